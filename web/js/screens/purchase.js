// Purchase (admin): a cart for one buyer. Stock is shown live while others buy; the main
// button confirms; a short-stock refusal (409 insufficient_stock) names each short item.

import { idempotencyKey } from '../api.js';
import { field, h, note, replace, toast } from '../dom.js';
import { byId } from '../state.js';

export async function mount(view, app) {
  const t = app.t;
  const [products, buyers] = await Promise.all([app.api.all('/api/products'), loadBuyers(app)]);
  app.state = { ...app.state, products: byId(products) };
  const cart = new Map(); // productId → quantity
  let key = idempotencyKey(); // one per cart: a retried confirmation cannot buy twice

  const buyer = h('select', { required: true },
    h('option', { value: '' }, t('purchase.chooseBuyer')),
    buyers.map((user) => h('option', { value: user.id }, user.username ? `${user.name} (@${user.username})` : user.name)));
  const search = h('input', { type: 'search', placeholder: t('products.searchHint'), oninput: renderProducts });
  const list = h('ul', { class: 'list' });
  const summary = h('section', { 'aria-live': 'polite', dataset: { cart: 'true' } });
  replace(view,
    h('section', {}, field(t('purchase.buyer'), buyer), field(t('products.search'), search)),
    summary,
    h('section', {}, h('h2', {}, t('screen.products')), list));

  function change(productId, by) {
    const quantity = Math.max(0, (cart.get(productId) ?? 0) + by);
    if (quantity === 0) cart.delete(productId);
    else cart.set(productId, quantity);
    key = idempotencyKey();
    renderProducts();
    renderSummary();
  }

  function renderProducts() {
    const words = search.value.trim().toLocaleLowerCase();
    const shown = Object.values(app.state.products)
      .filter((product) => product.active !== false)
      .filter((product) => !words || product.name.toLocaleLowerCase().includes(words) || cart.has(product.id))
      .sort((a, b) => a.name.localeCompare(b.name));
    if (!shown.length) return replace(list, note(t('products.none')));
    replace(list, shown.map((product) => {
      const quantity = cart.get(product.id) ?? 0;
      const short = quantity > product.stock;
      return h('li', { class: 'row spread', dataset: { productId: product.id } },
        h('span', {}, `${product.emoji} ${product.name} · ${app.money(product.price, product.currency)}`, h('br'),
          h('small', { class: product.stock <= product.lowStockThreshold || short ? 'low' : 'muted', dataset: { stock: product.id } },
            t('stockLeft', { n: product.stock }))),
        h('span', { class: 'row' },
          h('button', { type: 'button', 'aria-label': t('purchase.less', { name: product.name }), disabled: quantity === 0, onclick: () => change(product.id, -1) }, '−'),
          h('output', { 'aria-label': t('purchase.quantity', { name: product.name }), class: short ? 'low' : '' }, String(quantity)),
          h('button', { type: 'button', 'aria-label': t('purchase.more', { name: product.name }), disabled: product.stock <= quantity, onclick: () => change(product.id, 1) }, '+')));
    }));
  }

  function total() {
    let sum = 0;
    for (const [productId, quantity] of cart) sum += (app.state.products[productId]?.price ?? 0) * quantity;
    return sum;
  }

  function renderSummary() {
    const lines = [...cart].map(([productId, quantity]) => ({ product: app.state.products[productId], quantity }));
    const currency = lines[0]?.product?.currency ?? 'BRL';
    replace(summary, h('h2', {}, t('purchase.cart')),
      lines.length
        ? h('ul', { class: 'list' }, lines.map(({ product, quantity }) => h('li', { class: 'row spread' },
          h('span', { class: quantity > product.stock ? 'low' : '' }, `${quantity} × ${product.emoji} ${product.name}`,
            quantity > product.stock ? ` — ${t('purchase.onlyLeft', { n: product.stock })}` : ''),
          h('span', {}, app.money(product.price * quantity, product.currency)))),
          h('li', { class: 'row spread' }, h('strong', {}, t('purchase.total')), h('strong', { dataset: { total: '' } }, app.money(total(), currency))))
        : note(t('purchase.empty')));
    if (lines.length) app.tg.showMain(t('purchase.confirm', { total: app.money(total(), currency) }), confirm);
    else app.tg.hideMain();
  }

  async function confirm() {
    if (!buyer.value) {
      toast(t('purchase.chooseBuyer'), 'error');
      buyer.focus();
      return;
    }
    app.tg.setMainEnabled(false);
    try {
      const items = [...cart].map(([productId, quantity]) => ({ productId, quantity }));
      const label = `${items.map(({ productId, quantity }) => `${quantity} × ${app.state.products[productId]?.name ?? productId}`).join(', ')} → ${app.users.name(buyer.value)}`;
      const sale = await app.write({ kind: 'purchase', path: '/api/purchases', body: { buyerId: buyer.value, items }, key, label });
      if (!sale.queued) {
        app.tg.haptic('success');
        toast(t('purchase.done', { total: app.money(sale.total, sale.currency), buyer: app.users.name(sale.buyerId) }), 'success');
      } else {
        // Queued offline: what it takes is off the stock shown here, so the next cart cannot count on it.
        for (const { productId, quantity } of items) {
          const product = app.state.products[productId];
          if (product) app.state.products[productId] = { ...product, stock: product.stock - quantity };
        }
      }
      cart.clear();
      key = idempotencyKey();
      renderProducts();
      renderSummary();
    } catch (error) {
      app.tg.haptic('error');
      if (error.code === 'insufficient_stock') {
        const short = error.items.map((item) => t('purchase.shortItem', {
          name: app.state.products[item.productId]?.name ?? item.productId, requested: item.requested, available: item.available,
        }));
        toast(`${t('purchase.short')} ${short.join('; ')}`, 'error');
      } else {
        toast(app.errorText(error), 'error');
      }
    } finally {
      app.tg.setMainEnabled(true);
    }
  }

  renderProducts();
  renderSummary();
  return {
    update(state, frame) {
      if (frame.event === 'inventory_update' || frame.event === 'product_update') {
        renderProducts();
        renderSummary();
      }
    },
  };
}

/** The people a purchase can be for: everyone for the owner; for an admin, those with debts or recent sales, and themself. */
async function loadBuyers(app) {
  if (app.users.canList) return (await app.users.all()).filter((user) => !user.blocked).sort((a, b) => a.name.localeCompare(b.name));
  const [debts, sales] = await Promise.all([app.api.get('/api/debts'), app.api.get('/api/sales?limit=200')]);
  const ids = new Set([app.me.user?.id, ...debts.items.map((debt) => debt.userId), ...sales.items.map((sale) => sale.buyerId)]);
  await app.users.load([...ids]);
  return [...ids].map((id) => app.users.known.get(id)).filter(Boolean).sort((a, b) => a.name.localeCompare(b.name));
}
