// Debts and payments: an admin sees everyone's debt and records payments; a user sees their
// own debt and payments. An admin also sees each debt's age and reminders, and reminds a
// customer now or pauses their automatic reminders (README, "Debt reminders"). An admin's list is a live query over debts (README, "Live queries");
// a user's own amount moves with debt_update events.

import { idempotencyKey } from '../api.js';
import { field, h, note, replace, table, toast } from '../dom.js';
import { parseMoney } from '../format.js';
import { describeDebtor, sortDebtors } from '../reminders.js';
import { can } from './index.js';

/** Payment methods as the shop records them (the demo shop's words). */
const methods = ['pix', 'dinheiro', 'cartao', 'transferencia'];

export async function mount(view, app) {
  const t = app.t;
  const admin = can(app.me, 'pagar');
  const debts = new Map();
  const load = async () => {
    const list = admin ? (await app.api.get('/api/debts')).items : [await app.api.get('/api/debts/me')];
    debts.clear();
    for (const debt of list) debts.set(debt.userId, debt);
    await app.users.load([...debts.keys()]);
  };
  await load();
  const payments = await app.api.get(`/api/payments?limit=30${admin ? '' : `&userId=${encodeURIComponent(app.me.user?.id ?? '')}`}`).catch(() => ({ items: [] }));
  await app.users.load(payments.items.map((payment) => payment.userId));

  const debtsBox = h('section', { 'aria-live': 'polite' });
  const paymentsBox = h('section');
  const form = admin ? paymentForm() : null;
  const reminding = can(app.me, 'cobrar');
  const remindersBox = reminding ? h('section', { id: 'debt-reminders', class: 'card', 'aria-live': 'polite' }) : null;
  let debtors = [];
  replace(view, debtsBox, remindersBox, form, paymentsBox);

  async function loadDebtors() {
    debtors = (await app.api.get('/api/debts/reminders').catch(() => ({ items: [] }))).items;
    renderDebtors();
  }

  /** Runs a reminder action for one debtor and shows the answer in its row. */
  async function remindAction(debtor, path, body, message) {
    const updated = await app.act(() => app.api.post(path, body, path.endsWith('/remind') ? { idempotencyKey: idempotencyKey() } : undefined),
      () => t(message, { name: debtor.name }));
    if (!updated) return;
    debtors = debtors.map((known) => (known.userId === updated.userId ? { ...known, ...updated } : known));
    renderDebtors();
  }

  function renderDebtors() {
    if (!remindersBox) return;
    const rows = sortDebtors(debtors);
    replace(remindersBox, h('h2', {}, t('reminders.title')),
      rows.length
        ? table([t('name'), t('debts.amount'), t('reminders.ageHeader'), t('reminders.lastHeader'), ''], rows.map((debtor) => {
          const shown = describeDebtor(debtor, t, app.dateTime);
          return [
            h('span', {}, debtor.name, shown.paused ? h('span', { class: 'pill' }, ` ${t('reminders.paused')}`) : null),
            app.money(debtor.amount, debtor.currency),
            h('span', { class: shown.overdue ? 'low' : '', 'data-age': debtor.userId }, shown.age, shown.overdue ? ` · ${t('reminders.overdue')}` : ''),
            h('span', { 'data-last': debtor.userId }, shown.last),
            h('span', { class: 'row' },
              h('button', { type: 'button', 'data-remind': debtor.userId,
                onclick: () => remindAction(debtor, `/api/debts/${encodeURIComponent(debtor.userId)}/remind`, {}, 'reminders.sent') }, t('reminders.remind')),
              ' ',
              h('button', { type: 'button', 'data-pause': debtor.userId,
                onclick: () => remindAction(debtor, `/api/debts/${encodeURIComponent(debtor.userId)}/pause`, shown.pauseBody,
                  shown.paused ? 'reminders.resumedDone' : 'reminders.pausedDone') }, shown.pauseLabel)),
          ];
        }), { rowAttributes: (i) => ({ 'data-debtor': rows[i].userId }) })
        : note(t('reminders.none')));
  }

  function paymentForm() {
    const who = h('select', { name: 'userId', required: true });
    const amount = h('input', { name: 'amount', inputmode: 'decimal', required: true, placeholder: '0,00' });
    const method = h('select', { name: 'method' }, methods.map((m) => h('option', { value: m }, t(`method.${m}`))));
    const noteInput = h('input', { name: 'note', maxlength: 200 });
    const element = h('form', {
      class: 'card',
      onsubmit: async (event) => {
        event.preventDefault();
        const debt = debts.get(who.value);
        const currency = debt?.currency ?? 'BRL';
        const minor = parseMoney(amount.value, currency);
        if (!minor || minor <= 0) return toast(t('debts.badAmount'), 'error');
        const key = idempotencyKey(); // made at the press: a queued payment keeps it through every resend
        const label = `${app.money(minor, currency)} · ${app.users.name(who.value)} · ${t(`method.${method.value}`)}`;
        const payment = await app.act(
          () => app.write({ kind: 'payment', path: '/api/payments', body: { userId: who.value, amount: minor, currency, method: method.value, note: noteInput.value }, key, label }),
          (paid) => t('debts.recorded', { amount: app.money(paid.amount, paid.currency), name: app.users.name(paid.userId) }));
        if (payment?.queued) element.reset();
        if (!payment || payment.queued) return;
        if (!payments.items.some((known) => known.id === payment.id)) payments.items.unshift(payment);
        element.reset();
        renderPayments();
      },
    },
    h('h2', {}, t('debts.record')),
    h('div', { class: 'grid-2' }, field(t('debts.who'), who), field(t('debts.amount'), amount)),
    h('div', { class: 'grid-2' }, field(t('debts.method'), method), field(t('debts.note'), noteInput)),
    h('button', { class: 'primary', type: 'submit' }, t('debts.record')));
    element.fillPeople = () => {
      const chosen = who.value;
      replace(who, h('option', { value: '' }, t('purchase.chooseBuyer')), [...debts.values()]
        .sort((a, b) => app.users.name(a.userId).localeCompare(app.users.name(b.userId)))
        .map((debt) => h('option', { value: debt.userId, selected: debt.userId === chosen }, `${app.users.name(debt.userId)} — ${app.money(debt.amount, debt.currency)}`)));
    };
    return element;
  }

  function renderDebts() {
    const rows = [...debts.values()].filter((debt) => !admin || debt.amount !== 0).sort((a, b) => b.amount - a.amount);
    const total = rows.reduce((sum, debt) => sum + Math.max(debt.amount, 0), 0);
    replace(debtsBox, h('h2', {}, admin ? t('debts.everyone') : t('debts.yours')),
      rows.length
        ? table([t('name'), t('debts.amount')], rows.map((debt) => [app.users.name(debt.userId), h('span', { class: debt.amount > 0 ? 'low' : '' }, app.money(debt.amount, debt.currency))]))
        : note(t('debts.none')),
      admin && rows.length ? h('p', {}, h('strong', {}, `${t('purchase.total')}: ${app.money(total, rows[0].currency)}`)) : null);
    form?.fillPeople();
  }

  function renderPayments() {
    replace(paymentsBox, h('h2', {}, t('debts.payments')),
      payments.items.length
        ? table([t('when'), t('name'), t('debts.amount'), t('debts.method')], payments.items.map((payment) => [
          app.dateTime(payment.at), app.users.name(payment.userId), app.money(payment.amount, payment.currency), t.has(`method.${payment.method}`) ? t(`method.${payment.method}`) : payment.method,
        ]))
        : note(t('debts.noPayments')));
  }

  renderDebts();
  renderPayments();
  if (reminding) await loadDebtors();
  if (admin) {
    app.watch('debts:all', { collection: 'debts', filter: { field: 'amount', ne: 0 }, order: { field: 'amount', direction: 'desc' }, limit: 500 },
      async (list) => {
        debts.clear();
        for (const debt of list) debts.set(debt.userId, debt);
        await app.users.load([...debts.keys()]);
        renderDebts();
      });
  }
  return {
    async update(state, frame) {
      // An admin's amounts come whole from the live query; adding each change as well would count it twice.
      if (frame.event === 'debt_update' && !admin) {
        const { userId, change, currency } = frame.data;
        if (!admin && userId !== app.me.user?.id) return;
        const known = debts.get(userId) ?? { userId, amount: 0, currency };
        debts.set(userId, { ...known, amount: known.amount + change });
        await app.users.load([userId]);
        renderDebts();
      } else if (frame.event === 'payment_recorded' && !payments.items.some((p) => p.id === frame.data.payment.id)) {
        payments.items.unshift(frame.data.payment);
        renderPayments();
      }
      // A sale or payment moves a debt's amount and age: read the reminders' list again.
      if (reminding && (frame.event === 'debt_update' || frame.event === 'payment_recorded')) await loadDebtors();
    },
  };
}
