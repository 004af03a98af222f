// Sales: the latest sales (admin: everyone's, filtered by buyer and dates; user: their own),
// with new ones added at the top as they happen.

import { field, h, note, replace, table } from '../dom.js';
import { byId } from '../state.js';
import { can } from './index.js';

export async function mount(view, app) {
  const t = app.t;
  const admin = can(app.me, 'buy');
  const products = byId(await app.api.all('/api/products?archived=true'));
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
      app.dateTime(sale.at),
      app.users.name(sale.buyerId),
      sale.lines.map((line) => `${line.quantity} × ${products[line.productId]?.name ?? line.productId}`).join(', '),
      app.money(sale.total, sale.currency),
    ])));
  }

  await load(false);
  return {
    async update(state, frame) {
      if (frame.event !== 'new_sale' || from.value || to.value) return;
      const sale = frame.data.sale;
      if ((buyer.value && sale.buyerId !== buyer.value) || sales.some((known) => known.id === sale.id)) return;
      await app.users.load([sale.buyerId]);
      sales = [sale, ...sales];
      render();
    },
  };
}
