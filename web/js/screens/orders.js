// Orders: a customer places an order and sends the payment receipt; an admin sees every
// order, the receipt image, and verifies or rejects it. Orders change live (order_update).
// An admin may tick several orders and verify, reject or fulfil them at once
// (POST /api/orders/bulk); each order's outcome is shown under the bar.

import { idempotencyKey } from '../api.js';
import { applyResults, availableOrderActions, bulkBody, ordersFor, remainingSelection, summarize } from '../bulk.js';
import { field, h, note, replace, toast } from '../dom.js';
import { mediaImage } from '../media.js';
import { byId } from '../state.js';
import { can } from './index.js';

const openStates = ['pending_payment', 'receipt_submitted', 'verified'];

export async function mount(view, app) {
  const t = app.t;
  const reviewer = can(app.me, 'verificar');
  const products = byId(await app.api.all('/api/products'));
  const orders = new Map((await app.api.all('/api/orders')).map((order) => [order.id, order]));
  await app.users.load([...orders.values()].map((order) => order.customerId));

  const stateFilter = h('select', { onchange: render },
    h('option', { value: 'open' }, t('orders.open')), h('option', { value: '' }, t('orders.all')),
    ['pending_payment', 'receipt_submitted', 'verified', 'fulfilled', 'rejected', 'cancelled'].map((state) => h('option', { value: state }, t(`orderState.${state}`))));
  const list = h('ul', { class: 'list', 'aria-live': 'polite' });
  // The ticked orders' ids, the bar of actions over them, and the last bulk answer's outcomes.
  let selected = new Set();
  const bar = h('div', { class: 'toolbar bulk-bar', hidden: true });
  const outcome = h('ul', { class: 'list bulk-outcome', 'aria-live': 'polite', hidden: true });
  replace(view,
    can(app.me, 'pedido') ? newOrderForm() : null,
    h('section', {}, h('div', { class: 'toolbar' }, field(t('orders.state'), stateFilter)), bar, outcome, list));

  function newOrderForm() {
    const product = h('select', { name: 'product', required: true }, Object.values(products)
      .filter((p) => p.active !== false).sort((a, b) => a.name.localeCompare(b.name))
      .map((p) => h('option', { value: p.id }, `${p.emoji} ${p.name} — ${app.money(p.price, p.currency)}`)));
    const quantity = h('input', { name: 'quantity', type: 'number', min: 1, step: 1, value: '1', required: true });
    return h('form', {
      class: 'card',
      onsubmit: async (event) => {
        event.preventDefault();
        const items = [{ productId: product.value, quantity: Number(quantity.value) }];
        const label = `${items[0].quantity} × ${products[product.value]?.name ?? product.value}`;
        const order = await app.act(
          () => app.write({ kind: 'order', path: '/api/orders', body: { items }, key: idempotencyKey(), label }),
          (placed) => t('orders.placed', { total: app.money(placed.total, placed.currency) }));
        if (order?.queued) event.target.reset();
        if (!order || order.queued) return;
        orders.set(order.id, order);
        render();
      },
    }, h('h2', {}, t('orders.new')), h('div', { class: 'grid-2' }, field(t('screen.products'), product), field(t('orders.quantity'), quantity)),
    h('button', { class: 'primary', type: 'submit' }, t('orders.place')));
  }

  async function act(order, action, body, success) {
    const updated = await app.act(() => app.api.post(`/api/orders/${order.id}/${action}`, body), success);
    if (!updated) return;
    orders.set(updated.id, updated);
    render();
  }

  async function sendReceipt(order, input) {
    const file = input.files?.[0];
    if (!file) return;
    try {
      const media = await app.api.upload(file);
      await act(order, 'receipt', { mediaId: media.id }, t('orders.receiptSent'));
    } catch (error) {
      app.tg.haptic('error');
      toast(app.errorText(error), 'error');
    }
  }

  /** Runs `action` over the ticked orders it applies to, then shows each order's outcome. */
  async function bulk(action) {
    const chosen = ordersFor(action, [...selected].map((id) => orders.get(id)));
    let reason;
    if (action === 'reject') {
      reason = prompt(t('orders.rejectReason'));
      if (reason === null) return;
    }
    const request = bulkBody(action, chosen.map((order) => order.id), { reason });
    if (request.error) return toast(t(request.error, { max: request.max }), 'error');
    const answer = await app.act(() => app.api.post('/api/orders/bulk', request.body),
      (done) => t('bulk.done', { succeeded: done.succeeded, total: done.results.length }));
    if (!answer) return;
    applyResults(orders, answer);
    selected = remainingSelection(selected, answer);
    showOutcome(answer);
    render();
  }

  function showOutcome(answer) {
    const { succeeded, failures } = summarize(answer);
    outcome.hidden = false;
    replace(outcome,
      h('li', { class: 'muted' }, t('bulk.done', { succeeded, total: answer.results.length })),
      answer.results.map((result) => h('li', { dataset: { outcomeId: result.id, ok: String(result.ok) } },
        result.ok ? `✅ ${result.id}` : `⚠️ ${result.id}: ${failures.find((failure) => failure.id === result.id)?.message ?? ''}`)));
  }

  function renderBar() {
    const ticked = [...selected].map((id) => orders.get(id)).filter(Boolean);
    bar.hidden = !reviewer || ticked.length === 0;
    const labels = { verify: t('orders.verify'), reject: t('orders.reject'), fulfil: t('orders.fulfil') };
    replace(bar,
      h('strong', {}, t('bulk.selected', { count: ticked.length })),
      availableOrderActions(ticked).map((action) => h('button', {
        type: 'button', class: action === 'verify' ? 'primary' : action === 'reject' ? 'danger' : '', dataset: { bulkAction: action },
        onclick: () => bulk(action),
      }, `${labels[action]} (${ordersFor(action, ticked).length})`)),
      h('button', { type: 'button', onclick: () => { selected.clear(); render(); } }, t('bulk.clear')));
  }

  /** A tick box for an order a bulk action could take (waiting for verification, or verified). */
  function selector(order) {
    if (!reviewer || availableOrderActions([order]).length === 0) return null;
    return h('input', {
      type: 'checkbox', class: 'bulk-select', checked: selected.has(order.id), 'aria-label': t('bulk.select', { id: order.id }),
      onchange: (event) => { if (event.target.checked) selected.add(order.id); else selected.delete(order.id); renderBar(); },
    });
  }

  function actions(order) {
    const mine = order.customerId === app.me.user?.id;
    const buttons = [];
    if (mine && (order.state === 'pending_payment' || order.state === 'receipt_submitted')) {
      const input = h('input', { type: 'file', accept: 'image/*', onchange: () => sendReceipt(order, input) });
      buttons.push(field(t('orders.receipt'), input));
    }
    if (reviewer && order.state === 'receipt_submitted') {
      buttons.push(h('button', { class: 'primary', type: 'button', onclick: () => act(order, 'verify') }, t('orders.verify')));
      buttons.push(h('button', { class: 'danger', type: 'button', onclick: () => {
        const reason = prompt(t('orders.rejectReason'));
        if (reason !== null) act(order, 'reject', { reason });
      } }, t('orders.reject')));
    }
    if (reviewer && order.state === 'verified') buttons.push(h('button', { type: 'button', onclick: () => act(order, 'fulfil') }, t('orders.fulfil')));
    if ((mine || reviewer) && order.state === 'pending_payment') {
      buttons.push(h('button', { type: 'button', onclick: () => act(order, 'cancel', { reason: '' }) }, t('orders.cancel')));
    }
    return buttons.length ? h('div', { class: 'row' }, buttons) : null;
  }

  function render() {
    const wanted = stateFilter.value;
    const shown = [...orders.values()]
      .filter((order) => (wanted === 'open' ? openStates.includes(order.state) : !wanted || order.state === wanted))
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    // A ticked order that no bulk action takes any more (changed live, or hidden) leaves the selection.
    selected = new Set([...selected].filter((id) => orders.has(id) && availableOrderActions([orders.get(id)]).length > 0
      && shown.some((order) => order.id === id)));
    renderBar();
    if (!shown.length) return replace(list, note(t('orders.none')));
    replace(list, shown.map((order) => h('li', { dataset: { orderId: order.id } },
      h('div', { class: 'row spread' },
        h('label', { class: 'row' }, selector(order), h('strong', {}, `${order.id} · ${app.users.name(order.customerId)}`)),
        h('span', { class: `pill ${pillFor(order.state)}` }, t(`orderState.${order.state}`))),
      h('div', {}, order.lines.map((line) => `${line.quantity} × ${products[line.productId]?.name ?? line.productId}`).join(', '),
        ' · ', h('strong', {}, app.money(order.total, order.currency))),
      h('small', { class: 'muted' }, app.dateTime(order.createdAt)),
      order.reason ? h('p', { class: 'muted' }, `${t('orders.reason')}: ${order.reason}`) : null,
      order.receiptMediaId
        ? mediaImage(app.api, order.receiptMediaId, { class: 'receipt', alt: t('orders.receipt') }, t('unavailableImage', { name: `${t('orders.receipt')} ${order.receiptMediaId}` }))
        : null,
      actions(order))));
  }

  render();
  // The open orders (an admin's queue; a customer's own) are a live query, newest first: an order
  // that enters or changes in it comes whole. Orders that leave it (fulfilled, rejected, cancelled)
  // still arrive as order_update events below, so the "all" filter stays current too.
  app.watch('orders:open', { collection: 'orders', filter: { field: 'state', in: openStates }, order: { field: 'createdAt', direction: 'desc' }, limit: 200 },
    async (open) => {
      for (const order of open) orders.set(order.id, order);
      await app.users.load(open.map((order) => order.customerId));
      render();
    });
  return {
    async update(state, frame) {
      if (frame.event !== 'order_update') return;
      orders.set(frame.data.order.id, frame.data.order);
      await app.users.load([frame.data.order.customerId]);
      render();
    },
  };
}

function pillFor(state) {
  if (state === 'verified' || state === 'fulfilled') return 'good';
  if (state === 'rejected' || state === 'cancelled') return 'bad';
  return 'wait';
}
