// Products: search and filter for everyone; for admins, create and edit (with an image),
// stock adjustment, the stock history (a list paged with "more" and a chart of the level) and archive. Saving sends If-Match with the version the form was filled
// from, so an edit that lost a race is refused (412) and the other person's change is shown.

import { idempotencyKey } from '../api.js';
import { drawChart } from '../charts.js';
import { field, h, note, replace, table, toast } from '../dom.js';
import { mediaImage } from '../media.js';
import { parseMoney } from '../format.js';
import { byId, viewersOf } from '../state.js';
import { levelSeries, mergeMovements, movementRows, refreshMovements } from '../stockhistory.js';
import { can } from './index.js';

/** The fields the editor changes (stock moves through its own route). */
const editedFields = ['name', 'emoji', 'category', 'description', 'price', 'lowStockThreshold', 'mediaIds'];

/** Lower case without accents, as the server's `prefix` compares: "Pão" → "pao". */
const fold = (text) => text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();

export async function mount(view, app, params) {
  if (params[0]) return mountEditor(view, app, params[0]);
  return mountList(view, app);
}

async function mountList(view, app) {
  const t = app.t;
  const editable = can(app.me, 'estoque');
  let showArchived = false;
  const load = async () => {
    const items = await app.api.all(`/api/products${showArchived ? '?archived=true' : ''}`);
    app.state = { ...app.state, products: byId(items) };
  };
  await load();

  // The list is a live query of the search and the category (README, "Live queries"): the server
  // sends the products that enter, change in or leave it. Until its first answer, and offline,
  // the products loaded over REST are filtered here the same way.
  let watched = null;
  let searchTimer = null;
  const search = h('input', {
    type: 'search', maxlength: 100, placeholder: t('products.searchHint'),
    oninput: () => {
      render();
      clearTimeout(searchTimer);
      searchTimer = setTimeout(watchList, 250);
    },
  });
  const category = h('select', { onchange: () => { watchList(); render(); } });
  const archived = h('input', { type: 'checkbox', onchange: async () => { showArchived = archived.checked; await load(); watchList(); render(); } });
  const body = h('div');
  replace(view,
    h('section', {},
      h('div', { class: 'toolbar' },
        field(t('products.search'), search),
        field(t('products.category'), category),
        editable ? h('label', { class: 'row' }, archived, t('products.showArchived')) : null,
        editable ? h('button', { class: 'primary', type: 'button', onclick: () => app.navigate('products/new') }, t('products.new')) : null),
      body));

  function categories(products) {
    const names = [...new Set(products.map((product) => product.category).filter(Boolean))].sort((a, b) => a.localeCompare(b));
    const chosen = category.value;
    replace(category, h('option', { value: '' }, t('products.allCategories')), names.map((name) => h('option', { value: name, selected: name === chosen }, name)));
  }

  function watchList() {
    const words = search.value.trim();
    const clauses = [];
    if (!showArchived) clauses.push({ field: 'active', eq: true });
    if (category.value) clauses.push({ field: 'category', eq: category.value });
    // Name or category starting with the words, ignoring case and accents.
    if (words) clauses.push({ or: [{ field: 'name', prefix: words }, { field: 'category', prefix: words }] });
    const filter = clauses.length > 1 ? { and: clauses } : clauses[0];
    watched = null;
    app.watch('products:list', { collection: 'products', ...(filter ? { filter } : {}), order: { field: 'name' }, limit: 500 }, (products) => {
      watched = products;
      render();
    });
  }

  function render() {
    const products = watched ?? Object.values(app.state.products);
    if (category.options.length === 0) categories(Object.values(app.state.products));
    const words = fold(search.value.trim());
    const shown = products
      .filter((product) => showArchived || product.active !== false)
      .filter((product) => !category.value || product.category === category.value)
      .filter((product) => !words || fold(`${product.name} ${product.category} ${product.description}`).includes(words))
      .sort((a, b) => a.name.localeCompare(b.name));
    if (!shown.length) return replace(body, note(t('products.none')));
    replace(body, table([t('products.product'), t('products.category'), t('products.price'), t('products.stock')],
      shown.map((product) => [
        h('span', {}, product.mediaIds?.[0] ? mediaImage(app.api, product.mediaIds[0], { class: 'thumb' }) : null, ' ',
          editable ? h('a', { href: `#/products/${product.id}` }, `${product.emoji} ${product.name}`) : `${product.emoji} ${product.name}`,
          product.active === false ? h('span', { class: 'pill' }, ` ${t('products.archived')}`) : null),
        product.category,
        app.money(product.price, product.currency),
        h('span', { class: product.stock <= product.lowStockThreshold ? 'low' : '', dataset: { stock: product.id } }, app.number(product.stock)),
      ]), { rowAttributes: (i) => ({ dataset: { productId: shown[i].id } }) }));
  }
  render();
  watchList();

  return {
    update(state, frame) {
      if (frame.event === 'inventory_update') {
        // In place: only the stock cell changes, so a focused control keeps its focus.
        const cell = body.querySelector(`[data-stock="${CSS.escape(frame.data.productId)}"]`);
        const product = state.products[frame.data.productId];
        if (cell && product) {
          cell.textContent = app.number(product.stock);
          cell.className = product.stock <= product.lowStockThreshold ? 'low' : '';
        }
      } else if (frame.event === 'product_update') {
        categories(Object.values(state.products));
        render();
      }
    },
  };
}

async function mountEditor(view, app, id) {
  const t = app.t;
  const creating = id === 'new';
  app.tg.showBack(() => app.navigate('products'));
  let product = creating ? null : await app.api.get(`/api/products/${encodeURIComponent(id)}`);
  if (product) app.state = { ...app.state, products: { ...app.state.products, [product.id]: product } };
  const editable = can(app.me, 'estoque');
  if (!editable) {
    replace(view, note(t('notAllowed')));
    return {};
  }

  const inputs = {
    name: h('input', { name: 'name', required: true, maxlength: 80 }),
    emoji: h('input', { name: 'emoji', maxlength: 8 }),
    category: h('input', { name: 'category', maxlength: 40 }),
    description: h('textarea', { name: 'description', maxlength: 500 }),
    price: h('input', { name: 'price', inputmode: 'decimal', required: true }),
    lowStockThreshold: h('input', { name: 'lowStockThreshold', type: 'number', min: 0, step: 1 }),
    stock: h('input', { name: 'stock', type: 'number', min: 0, step: 1 }),
  };
  const image = h('input', { name: 'image', type: 'file', accept: 'image/*' });
  const preview = h('div');
  const presence = h('p', { class: 'presence', 'aria-live': 'polite' });
  const conflict = h('div', { 'aria-live': 'assertive' });
  const stockPanel = h('section');
  const historyPanel = creating ? null : stockHistory(app, product.id);
  let mediaIds = product?.mediaIds ?? [];
  // Whether the person changed the form since it was last filled: an untouched form follows
  // other people's saves; a touched one keeps the person's values (a save then meets the 412 path).
  let touched = false;

  function fill(from) {
    touched = false;
    inputs.name.value = from?.name ?? '';
    inputs.emoji.value = from?.emoji ?? '';
    inputs.category.value = from?.category ?? '';
    inputs.description.value = from?.description ?? '';
    inputs.price.value = from ? app.money(from.price, from.currency).replace(/[^\d,.-]/g, '') : '';
    inputs.lowStockThreshold.value = String(from?.lowStockThreshold ?? 5);
    inputs.stock.value = String(from?.stock ?? 0);
    mediaIds = from?.mediaIds ?? [];
    replace(preview, mediaIds[0] ? mediaImage(app.api, mediaIds[0], { class: 'receipt', alt: t('products.image') }) : null);
  }
  fill(product);

  image.addEventListener('change', async () => {
    const file = image.files?.[0];
    if (!file) return;
    try {
      const uploaded = await app.api.upload(file);
      mediaIds = [uploaded.id];
      replace(preview, mediaImage(app.api, uploaded.id, { class: 'receipt', alt: t('products.image') }));
    } catch (error) {
      toast(app.errorText(error), 'error');
    }
  });

  function changes() {
    const price = parseMoney(inputs.price.value, product?.currency ?? 'BRL');
    if (price === null || price < 0) throw new Error(t('products.badPrice'));
    return {
      name: inputs.name.value.trim(), emoji: inputs.emoji.value.trim(), category: inputs.category.value.trim(),
      description: inputs.description.value.trim(), price, lowStockThreshold: Number(inputs.lowStockThreshold.value || 0), mediaIds,
    };
  }

  async function save() {
    let body;
    try {
      body = changes();
    } catch (error) {
      toast(error.message, 'error');
      return;
    }
    app.tg.setMainEnabled(false);
    try {
      if (creating) {
        const created = await app.api.post('/api/products', { ...body, stock: Number(inputs.stock.value || 0) }, { idempotencyKey: idempotencyKey() });
        app.tg.haptic('success');
        toast(t('products.created', { name: created.name }), 'success');
        app.navigate('products');
        return;
      }
      product = await app.api.patch(`/api/products/${product.id}`, body, { ifMatch: product.version });
      replace(conflict);
      fill(product);
      app.tg.haptic('success');
      toast(t('saved'), 'success');
    } catch (error) {
      app.tg.haptic('error');
      if (error.status === 412) await resolveRace(body);
      else toast(app.errorText(error), 'error');
    } finally {
      app.tg.setMainEnabled(true);
    }
  }

  /**
   * The version moved on. When only the stock moved (a sale, a restock), nobody touched what
   * this form edits: save again on the new version. Otherwise show the other person's change.
   */
  async function resolveRace(mine) {
    const base = product;
    const theirs = await app.api.get(`/api/products/${product.id}`);
    product = theirs;
    const changedByOthers = editedFields.filter((key) => JSON.stringify(theirs[key]) !== JSON.stringify(base[key]));
    if (changedByOthers.length === 0) return save();
    showConflict(theirs, mine, changedByOthers);
  }

  /** Someone saved first: show what they saved beside what we tried, and let the person choose again. */
  function showConflict(theirs, mine, differing) {
    const show = (key, value) => (key === 'price' ? app.money(value, theirs.currency) : String(value));
    replace(conflict, h('div', { class: 'conflict', role: 'alert' },
      h('strong', {}, t('products.conflict')),
      table([t('products.field'), t('products.theirs'), t('products.yours')],
        differing.filter((key) => key !== 'mediaIds').map((key) => [t(`products.${key}`), show(key, theirs[key]), show(key, mine[key])])),
      h('div', { class: 'row' },
        h('button', { type: 'button', onclick: () => { fill(theirs); replace(conflict); } }, t('products.keepTheirs')),
        h('button', { type: 'button', onclick: () => { replace(conflict); toast(t('products.reapply')); } }, t('products.keepMine')))));
    // The form keeps the person's own values; its version is now the current one, so saving again overwrites knowingly.
  }

  async function adjustStock(event) {
    event.preventDefault();
    const form = event.target;
    const delta = Number(form.delta.value);
    if (!Number.isInteger(delta) || delta === 0) return toast(t('products.badDelta'), 'error');
    const label = `${delta > 0 ? '+' : ''}${delta} ${product.emoji} ${product.name}`;
    const adjusted = await app.act(() => app.write({ kind: 'stock', path: `/api/products/${product.id}/stock`, body: { delta, reason: form.reason.value },
      key: idempotencyKey(), label }));
    if (adjusted?.queued) form.reset();
    if (!adjusted || adjusted.queued) return;
    product = adjusted;
    renderStock();
    historyPanel?.refresh();
  }

  async function archive() {
    if (!confirm(t('products.archiveConfirm', { name: product.name }))) return;
    try {
      await app.api.delete(`/api/products/${product.id}`, { ifMatch: product.version });
      toast(t('products.archivedDone'), 'success');
      app.navigate('products');
    } catch (error) {
      if (error.status === 412) {
        product = await app.api.get(`/api/products/${product.id}`);
        toast(t('products.changedMeanwhile'), 'error');
      } else toast(app.errorText(error), 'error');
    }
  }

  function renderStock() {
    if (creating) return;
    replace(stockPanel, h('h2', {}, t('products.stockTitle')),
      h('p', {}, t('products.stockNow'), ' ', h('strong', { dataset: { stock: product.id } }, app.number(product.stock))),
      h('form', { class: 'toolbar', onsubmit: adjustStock },
        field(t('products.delta'), h('input', { name: 'delta', type: 'number', step: 1, required: true })),
        field(t('products.reason'), h('select', { name: 'reason' },
          ['restock', 'adjustment', 'return'].map((reason) => h('option', { value: reason }, t(`reason.${reason}`))))),
        h('button', { type: 'submit' }, t('products.adjust'))));
  }

  function renderPresence(state) {
    if (creating) return;
    const others = viewersOf(state.online, `products/${product.id}`, app.me.user?.id);
    app.users.load(others).then(() => {
      presence.textContent = others.length ? t('products.editing', { names: others.map((uid) => app.users.name(uid)).join(', ') }) : '';
    });
  }

  replace(view,
    presence,
    conflict,
    h('form', { class: 'card', oninput: () => { touched = true; }, onsubmit: (event) => { event.preventDefault(); save(); } },
      h('h2', {}, creating ? t('products.new') : `${product.emoji} ${product.name}`),
      field(t('products.name'), inputs.name),
      h('div', { class: 'grid-2' }, field(t('products.emoji'), inputs.emoji), field(t('products.category'), inputs.category)),
      field(t('products.description'), inputs.description),
      h('div', { class: 'grid-2' }, field(t('products.price'), inputs.price), field(t('products.lowStockThreshold'), inputs.lowStockThreshold)),
      creating ? field(t('products.initialStock'), inputs.stock) : null,
      field(t('products.image'), image), preview,
      h('div', { class: 'row' },
        h('button', { type: 'submit', class: 'primary' }, creating ? t('products.create') : t('save')),
        creating || product.active === false ? null : h('button', { type: 'button', class: 'danger', onclick: archive }, t('products.archive')))),
    stockPanel,
    historyPanel?.element ?? null);
  renderStock();
  await historyPanel?.open();
  renderPresence(app.state);
  app.tg.showMain(creating ? t('products.create') : t('save'), save);

  return {
    update(state, frame) {
      if (frame.event === 'presence') renderPresence(state);
      if (creating) return;
      if (frame.event === 'product_update' && frame.data.product?.id === product.id && !touched) {
        product = frame.data.product;
        fill(product);
        renderStock();
      }
      if (frame.event === 'inventory_update' && frame.data.productId === product.id) {
        product = { ...product, stock: frame.data.stock };
        const shown = stockPanel.querySelector('[data-stock]');
        if (shown) shown.textContent = app.number(product.stock);
        historyPanel?.refresh();
      }
    },
  };
}

/**
 * The product's stock history (admin): the movements newest first, 20 at a time with "more",
 * and a line chart of the level each one left, oldest to newest. `refresh()` fetches the first
 * page again after a movement (a live inventory_update, an adjustment made here).
 */
function stockHistory(app, productId) {
  const t = app.t;
  const path = `/api/products/${encodeURIComponent(productId)}/stock-movements`;
  let movements = [];
  let next = null;
  let chart = null;
  let refreshing = null;
  const canvas = h('canvas', { role: 'img', 'aria-label': t('history.chart') });
  const list = h('div', { dataset: { stockHistory: productId } });
  const more = h('button', { type: 'button', hidden: true, onclick: () => load(true).catch((error) => toast(app.errorText(error), 'error')) }, t('more'));
  const element = h('section', { class: 'stock-history' },
    h('h2', {}, t('history.title')),
    h('div', { class: 'chart-box' }, canvas),
    list, more);

  async function page(cursor) {
    const query = new URLSearchParams({ limit: '20' });
    if (cursor) query.set('cursor', cursor);
    return app.api.get(`${path}?${query}`);
  }

  async function load(append = false) {
    const fetched = await page(append ? next : null);
    movements = append ? mergeMovements(movements, fetched.items) : fetched.items;
    next = fetched.next;
    render();
  }

  /** The first page when the editor opens; without it (offline, say) the editor still opens and says why. */
  async function open() {
    try {
      await load(false);
    } catch (error) {
      replace(list, note(app.errorText(error)));
    }
  }

  /** The first page again, in front of what is shown; one at a time (frames can come in bursts). */
  function refresh() {
    if (refreshing) return refreshing;
    refreshing = page(null).then((fresh) => {
      ({ movements, next } = refreshMovements(movements, next, fresh));
      render();
    }).catch((error) => toast(app.errorText(error), 'error')).finally(() => { refreshing = null; });
    return refreshing;
  }

  function render() {
    more.hidden = !next;
    if (!movements.length) {
      replace(list, note(t('history.none')));
    } else {
      replace(list, table(
        [t('when'), t('history.kind'), t('history.quantity'), t('history.levelAfter'), t('history.who'), t('history.why')],
        movementRows(movements, { t, dateTime: app.dateTime, number: app.number }),
        { rowAttributes: (i) => ({ dataset: { movementId: movements[i].id, kind: movements[i].kind } }) }));
    }
    const points = levelSeries(movements);
    if (chart) {
      chart.data.labels = points.map((point) => app.dateTime(point.at));
      chart.data.datasets[0].data = points.map((point) => point.level);
      chart.update();
    } else {
      drawChart(canvas, {
        kind: 'line',
        labels: points.map((point) => app.dateTime(point.at)),
        series: [{ label: t('history.level'), values: points.map((point) => point.level) }],
        formatValue: (value) => app.number(value),
      }).then((drawn) => { chart = drawn; });
    }
  }

  return { element, open, refresh };
}
