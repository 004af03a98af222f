// Sales: the latest sales (admin: everyone's, filtered by buyer and dates; user: their own),
// with new ones added at the top as they happen. A sale opens on its own (#/sales/s12): its
// lines, what was refunded of each, and for admins the refund form (which units, back to stock
// or not, a reason), confirmed before POST /api/sales/{id}/refund.

import { idempotencyKey } from '../api.js';
import { field, h, note, replace, table } from '../dom.js';
import { fullyRefunded, refundAmount, refundBody, refundableLines, replaceSale } from '../refunds.js';
import { byId } from '../state.js';
import { can } from './index.js';

export async function mount(view, app, params = []) {
  const products = byId(await app.api.all('/api/products?archived=true'));
  if (params[0]) return mountDetail(view, app, params[0], products);
  const t = app.t;
  const admin = can(app.me, 'buy');
  let sales = [];
  let next = null;

  const from = h('input', { type: 'date' });
  const to = h('input', { type: 'date' });
  const buyer = h('select', {}, h('option', { value: '' }, t('sales.everyone')));
  const body = h('div');
  const more = h('button', { type: 'button', hidden: true, onclick: () => load(true) }, t('more'));
  replace(view, h('section', {},
    h('form', { class: 'toolbar', onchange: () => load(false), onsubmit: (event) => event.preventDefault() },
      field(t('from'), from), field(t('to'), to), admin ? field(t('purchase.buyer'), buyer) : null),
    body, more));

  async function load(append) {
    const query = new URLSearchParams({ limit: '50' });
    if (from.value) query.set('from', `${from.value}T00:00:00Z`);
    if (to.value) query.set('to', `${to.value}T23:59:59Z`);
    if (buyer.value) query.set('buyerId', buyer.value);
    if (append && next) query.set('cursor', next);
    const page = await app.api.get(`/api/sales?${query}`);
    sales = append ? [...sales, ...page.items] : page.items;
    next = page.next;
    more.hidden = !next;
    await app.users.load(sales.map((sale) => sale.buyerId));
    if (admin && buyer.options.length === 1) {
      const ids = [...new Set(sales.map((sale) => sale.buyerId))].sort((a, b) => app.users.name(a).localeCompare(app.users.name(b)));
      buyer.append(...ids.map((id) => h('option', { value: id }, app.users.name(id))));
    }
    render();
  }

  function render() {
    if (!sales.length) return replace(body, note(t('sales.none')));
    replace(body, table([t('when'), t('purchase.buyer'), t('sales.items'), t('purchase.total')], sales.map((sale) => [
      h('a', { href: `#/sales/${encodeURIComponent(sale.id)}`, 'aria-label': t('sales.open', { id: sale.id }) }, app.dateTime(sale.at)),
      app.users.name(sale.buyerId),
      sale.lines.map((line) => `${line.quantity} × ${products[line.productId]?.name ?? line.productId}`).join(', '),
      [app.money(sale.total, sale.currency), ' ', refundPill(sale, t)],
    ]), { rowAttributes: (i) => ({ dataset: { saleId: sales[i].id } }) }));
  }

  await load(false);
  return {
    async update(state, frame) {
      if (frame.event === 'sale_refunded' && frame.data?.sale) {
        sales = replaceSale(sales, frame.data.sale);
        return render();
      }
      if (frame.event !== 'new_sale' || from.value || to.value) return;
      const sale = frame.data.sale;
      if ((buyer.value && sale.buyerId !== buyer.value) || sales.some((known) => known.id === sale.id)) return;
      await app.users.load([sale.buyerId]);
      sales = [sale, ...sales];
      render();
    },
  };
}

/** "Estornada" or "Estorno parcial" when anything of the sale was refunded. */
function refundPill(sale, t) {
  if (fullyRefunded(sale)) return h('span', { class: 'pill bad' }, t('sales.refundedPill'));
  if ((sale.refundedQuantities ?? []).some((n) => n > 0)) return h('span', { class: 'pill wait' }, t('sales.partlyRefundedPill'));
  return null;
}

/** One sale: its lines and, for admins, the refund form. */
async function mountDetail(view, app, id, products) {
  const t = app.t;
  const refunder = can(app.me, 'estornar');
  let sale;
  try {
    sale = await app.api.get(`/api/sales/${encodeURIComponent(id)}`);
  } catch (error) {
    if (error?.status !== 404) throw error;
    return replace(view, h('section', {}, note(t('sales.notFound')), h('a', { href: '#/sales' }, t('sales.back'))));
  }
  await app.users.load([sale.buyerId]);
  const name = (productId) => products[productId]?.name ?? productId;

  function render() {
    const lines = refundableLines(sale);
    replace(view,
      h('section', { class: 'sale-detail', dataset: { saleId: sale.id } },
        h('div', { class: 'row spread' }, h('h2', {}, t('sales.detail', { id: sale.id })), refundPill(sale, t)),
        h('p', {}, `${t('sales.buyer')}: ${app.users.name(sale.buyerId)} · ${app.dateTime(sale.at)}`),
        table([t('sales.product'), t('sales.sold'), t('sales.refunded'), t('sales.unitPrice')], lines.map((line) => [
          name(line.productId), String(line.sold), String(line.refunded), app.money(line.unitPrice, sale.currency),
        ])),
        h('p', {}, h('strong', {}, `${t('purchase.total')}: ${app.money(sale.total, sale.currency)}`)),
        h('a', { href: '#/sales' }, t('sales.back'))),
      refunder ? refundForm(lines) : null);
  }

  function refundForm(lines) {
    if (!lines.some((line) => line.left > 0)) return h('section', { class: 'refund' }, note(t('sales.refundAll')));
    const inputs = new Map(lines.filter((line) => line.left > 0).map((line) => [line.index,
      h('input', { type: 'number', min: 0, max: line.left, step: 1, value: String(line.left), name: `refund-${line.productId}`, dataset: { line: line.index } })]));
    const restock = h('input', { type: 'checkbox', name: 'restock', checked: true });
    const reason = h('input', { type: 'text', name: 'note', maxLength: 500 });
    const chosen = () => Object.fromEntries(lines.map((line) => [line.index, inputs.get(line.index)?.value ?? 0]));
    const amount = h('strong', { class: 'refund-amount' });
    const showAmount = () => { amount.textContent = app.money(refundAmount(sale, chosen()), sale.currency); };
    showAmount();
    return h('form', {
      class: 'card refund',
      oninput: showAmount,
      onsubmit: async (event) => {
        event.preventDefault();
        const request = refundBody(sale, chosen(), { restock: restock.checked, note: reason.value });
        if (request.error) return app.act(() => { throw new Error(t(request.error, { left: request.left })); });
        const value = app.money(refundAmount(sale, chosen()), sale.currency);
        if (!confirm(t('sales.refundConfirm', { amount: value, id: sale.id, buyer: app.users.name(sale.buyerId) }))) return;
        const refunded = await app.act(
          () => app.api.post(`/api/sales/${encodeURIComponent(sale.id)}/refund`, request.body, { idempotencyKey: idempotencyKey() }),
          t('sales.refundDone', { amount: value }));
        if (!refunded) return;
        sale = refunded;
        render();
      },
    },
    h('h2', {}, t('sales.refundTitle')),
    lines.filter((line) => line.left > 0).map((line) => field(t('sales.refundUnits', { name: name(line.productId), left: line.left }), inputs.get(line.index))),
    h('label', { class: 'row' }, restock, t('sales.refundRestock')),
    field(t('sales.refundNote'), reason),
    h('div', { class: 'row spread' }, amount, h('button', { class: 'danger', type: 'submit' }, t('sales.refund'))));
  }

  render();
  return {
    update(state, frame) {
      if (frame.event !== 'sale_refunded' || frame.data?.sale?.id !== sale.id) return;
      // A refund from elsewhere (the bot, another admin): a newer sale replaces the one shown.
      if ((frame.data.sale.version ?? 0) <= (sale.version ?? 0)) return;
      sale = frame.data.sale;
      render();
    },
  };
}
