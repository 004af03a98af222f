// Dashboard (admin): today's sales and revenue, the 7/30/90-day chart, top products and
// buyers, low stock, outstanding debt and who is online, all kept current by live events.

import { drawChart } from '../charts.js';
import { field, h, replace, stat, table, toast } from '../dom.js';
import { shortDay, utcDay } from '../format.js';
import { startOfDayUTC } from '../queries.js';
import { byId } from '../state.js';
import { describeSummary, summaryBody } from '../summary.js';
import { describeReminders, reminderSettingsBody } from '../reminders.js';
import { can } from './index.js';

const ranges = [7, 30, 90];

export async function mount(view, app) {
  const t = app.t;
  const [dashboard, inventory, debts] = await Promise.all([
    app.api.get('/api/dashboard'), app.api.get('/api/inventory'), app.api.get('/api/debts'),
  ]);
  app.state = {
    ...app.state,
    dashboard,
    products: { ...app.state.products, ...byId(inventory.items.map((item) => item.product)) },
    debts: byId(debts.items.map((debt) => ({ ...debt, id: debt.userId }))),
  };
  let days = 30;
  let series = null;
  let chart = null;

  const figures = h('div', { class: 'stats', 'aria-live': 'polite' });
  const canvas = h('canvas', { role: 'img', 'aria-label': t('dashboard.chart') });
  const rangeButtons = h('div', { class: 'row', role: 'group', 'aria-label': t('dashboard.range') }, ranges.map((n) =>
    h('button', { type: 'button', 'aria-pressed': String(n === days), onclick: () => setRange(n) }, t('dashboard.days', { n }))));
  const top = h('div', { class: 'grid-2' });
  const low = h('section', { 'aria-labelledby': 'low-title' });
  const online = h('section', { 'aria-labelledby': 'online-title' });
  const today = h('section', { 'aria-labelledby': 'today-title' });
  replace(view, figures,
    h('section', {}, h('div', { class: 'row spread' }, h('h2', {}, t('dashboard.chart')), rangeButtons), h('div', { class: 'chart-box' }, canvas)),
    top, h('div', { class: 'grid-2' }, low, online), today);
  // The owner sets the bot's daily summary here (the link in the summary opens this screen).
  if (can(app.me, 'resumo')) view.append(await summaryForm());
  // And the debt reminders' settings (the owner's /lembretes).
  if (can(app.me, 'lembretes')) view.append(await reminderForm());
  // The low-stock list and today's newest sales are live queries: the server sends what enters,
  // changes in and leaves each list (README, "Live queries"). Until the first answer, the
  // low-stock list comes from the inventory loaded above.
  let lowStock = null;
  let todaySales = [];

  async function setRange(n) {
    days = n;
    for (const button of rangeButtons.children) button.setAttribute('aria-pressed', String(button.textContent === t('dashboard.days', { n })));
    const to = new Date();
    const from = new Date(to.getTime() - (n - 1) * 86400000);
    from.setUTCHours(0, 0, 0, 0);
    const report = await app.api.get(`/api/reports?groupBy=day&from=${from.toISOString().replace(/\.\d+Z$/, 'Z')}&to=${to.toISOString().replace(/\.\d+Z$/, 'Z')}`);
    series = report.rows;
    await drawSeries();
  }

  async function drawSeries() {
    chart = await drawChart(canvas, {
      labels: series.map((row) => shortDay(row.key, app.lang) ?? row.label),
      series: [
        { label: t('dashboard.revenue'), values: series.map((row) => row.revenue), format: (value) => app.money(value, dashboard.currency) },
        { label: t('dashboard.salesCount'), values: series.map((row) => row.sales), type: 'line', axis: 'y2', format: (value) => app.number(value) },
      ],
      formatValue: (value) => app.money(value, dashboard.currency),
    });
  }

  function renderFigures(state) {
    const d = state.dashboard;
    replace(figures,
      stat(t('dashboard.todaySales'), app.number(d.todaySales), { dataset: { figure: 'todaySales' } }),
      stat(t('dashboard.todayRevenue'), app.money(d.todayRevenue, d.currency), { dataset: { figure: 'todayRevenue' } }),
      stat(t('dashboard.todayReceived'), app.money(d.todayReceived, d.currency)),
      stat(t('dashboard.debt'), app.money(d.outstandingDebt, d.currency), { dataset: { figure: 'debt' } }),
      stat(t('dashboard.lowStock'), app.number(d.lowStockCount), { dataset: { figure: 'lowStock' } }));
  }

  function renderTop(state) {
    const d = state.dashboard;
    // Products rank with their units sold; buyers by revenue alone (the shop counts no units per buyer).
    const products = table([t('name'), t('dashboard.units'), t('dashboard.revenue')],
      d.topProducts.map((row) => [row.label, app.number(row.units), app.money(row.revenue, d.currency)]));
    const buyers = table([t('name'), t('dashboard.revenue')], d.topBuyers.map((row) => [row.label, app.money(row.revenue, d.currency)]));
    replace(top,
      h('section', {}, h('h2', {}, t('dashboard.topProducts')), products),
      h('section', {}, h('h2', {}, t('dashboard.topBuyers')), buyers));
  }

  function renderLow(state) {
    const products = lowStock ?? Object.values(state.products)
      .filter((product) => product.active !== false && product.stock <= product.lowStockThreshold)
      .sort((a, b) => a.stock - b.stock);
    replace(low, h('h2', { id: 'low-title' }, t('dashboard.lowStockList')),
      products.length
        ? h('ul', { class: 'list' }, products.map((product) => h('li', { class: 'row spread', dataset: { productId: product.id } },
          h('span', {}, `${product.emoji} ${product.name}`), h('span', { class: 'low' }, t('stockLeft', { n: product.stock })))))
        : h('p', { class: 'muted' }, t('dashboard.noLowStock')));
  }

  async function renderToday() {
    await app.users.load(todaySales.map((sale) => sale.buyerId));
    replace(today, h('h2', { id: 'today-title' }, t('dashboard.todayList')),
      todaySales.length
        ? table([t('when'), t('purchase.buyer'), t('purchase.total')], todaySales.map((sale) => [
          app.dateTime(sale.at), app.users.name(sale.buyerId), app.money(sale.total, sale.currency)]))
        : h('p', { class: 'muted' }, t('dashboard.noSalesToday')));
  }

  async function renderOnline(state) {
    await app.users.load(state.online.map((entry) => entry.userId));
    replace(online, h('h2', { id: 'online-title' }, t('dashboard.online')),
      state.online.length
        ? h('ul', { class: 'list' }, state.online.map((entry) => h('li', {},
          h('strong', {}, app.users.name(entry.userId)), ' ', h('span', { class: 'pill' }, t(`role.${entry.role}`)),
          entry.views.length ? h('div', { class: 'muted' }, entry.views.map((v) => describeView(app, v)).join(', ')) : null)))
        : h('p', { class: 'muted' }, t('dashboard.nobodyOnline')));
  }

  async function summaryForm() {
    let settings = await app.api.get('/api/settings').catch(() => null);
    const enabled = h('input', { type: 'checkbox', name: 'enabled', checked: Boolean(settings?.dailySummary.enabled) });
    const time = h('input', { type: 'time', name: 'time', required: true, value: settings?.dailySummary.time ?? '21:00' });
    const timeZone = h('input', { name: 'timeZone', maxlength: 64, value: settings?.timeZone ?? '', spellcheck: false });
    const state = h('p', { class: 'muted', 'aria-live': 'polite' }, settings ? describeSummary(settings, t) : '');
    return h('form', {
      class: 'card', id: 'summary-settings',
      onsubmit: async (event) => {
        event.preventDefault();
        const { body, error } = summaryBody({ enabled: enabled.checked, time: time.value, timeZone: timeZone.value });
        if (error) return toast(t(error), 'error');
        try {
          settings = await app.api.put('/api/settings', body);
          replace(state, describeSummary(settings, t));
          toast(t('summary.saved'));
        } catch (failure) {
          toast(app.errorText(failure), 'error');
        }
      },
    },
    h('h2', {}, t('summary.title')), state,
    h('label', { class: 'row' }, enabled, ' ', t('summary.enabled')),
    h('div', { class: 'grid-2' }, field(t('summary.time'), time), field(t('summary.zone'), timeZone)),
    h('button', { class: 'primary', type: 'submit' }, t('summary.save')));
  }

  async function reminderForm() {
    let settings = await app.api.get('/api/settings').catch(() => null);
    const r = settings?.debtReminders;
    const enabled = h('input', { type: 'checkbox', name: 'enabled', checked: Boolean(r?.enabled) });
    const number = (name, value) => h('input', { name, type: 'number', inputmode: 'numeric', required: true, value: value ?? '' });
    const overdueDays = number('overdueDays', r?.overdueDays ?? 30);
    const intervalDays = number('intervalDays', r?.intervalDays ?? 7);
    const maxReminders = number('maxReminders', r?.maxReminders ?? 3);
    const quietStart = h('input', { type: 'time', name: 'quietStart', required: true, value: r?.quietStart ?? '21:00' });
    const quietEnd = h('input', { type: 'time', name: 'quietEnd', required: true, value: r?.quietEnd ?? '09:00' });
    const state = h('p', { class: 'muted', 'aria-live': 'polite' }, settings ? describeReminders(settings, t) : '');
    return h('form', {
      class: 'card', id: 'reminder-settings', novalidate: true,
      onsubmit: async (event) => {
        event.preventDefault();
        const { body, error } = reminderSettingsBody({
          enabled: enabled.checked, overdueDays: overdueDays.value, intervalDays: intervalDays.value,
          maxReminders: maxReminders.value, quietStart: quietStart.value, quietEnd: quietEnd.value,
        });
        if (error) return toast(t(error), 'error');
        try {
          settings = await app.api.put('/api/settings', body);
          replace(state, describeReminders(settings, t));
          toast(t('summary.saved'));
        } catch (failure) {
          toast(app.errorText(failure), 'error');
        }
      },
    },
    h('h2', {}, t('reminders.settings')), state,
    h('label', { class: 'row' }, enabled, ' ', t('reminders.enabled')),
    h('div', { class: 'grid-2' }, field(t('reminders.overdueDays'), overdueDays), field(t('reminders.intervalDays'), intervalDays)),
    h('div', { class: 'grid-2' }, field(t('reminders.maxReminders'), maxReminders), field(t('reminders.quietStart'), quietStart)),
    h('div', { class: 'grid-2' }, field(t('reminders.quietEnd'), quietEnd)),
    h('button', { class: 'primary', type: 'submit' }, t('summary.save')));
  }

  renderFigures(app.state);
  renderTop(app.state);
  renderLow(app.state);
  renderOnline(app.state);
  renderToday();
  app.watch('dashboard:low', {
    collection: 'products',
    filter: { and: [{ field: 'active', eq: true }, { field: 'stock', lte: { field: 'lowStockThreshold' } }] },
    order: { field: 'stock' }, limit: 50,
  }, (products) => {
    lowStock = products;
    renderLow(app.state);
  });
  app.watch('dashboard:today', {
    collection: 'sales', filter: { field: 'at', gte: startOfDayUTC() }, order: { field: 'at', direction: 'desc' }, limit: 10,
  }, (sales) => {
    todaySales = sales;
    renderToday();
  });
  await setRange(days);

  return {
    update(state, frame) {
      if (frame.type !== 'event') return;
      if (frame.event === 'presence') return renderOnline(state);
      renderFigures(state);
      if (['inventory_update', 'product_update', 'low_stock'].includes(frame.event)) renderLow(state);
      if (frame.event === 'new_sale') {
        const sale = frame.data.sale;
        const today = series?.[series.length - 1];
        if (today && today.key === utcDay(sale.at)) {
          today.sales += 1;
          today.revenue += sale.total;
          if (chart) {
            chart.data.datasets[0].data = series.map((row) => row.revenue);
            chart.data.datasets[1].data = series.map((row) => row.sales);
            chart.update();
          }
        }
        // Rankings need the server's aggregation; fetch them again, a moment after a burst of sales.
        clearTimeout(this.refetch);
        this.refetch = setTimeout(async () => {
          const fresh = await app.api.get('/api/dashboard').catch(() => null);
          if (fresh) {
            app.state = { ...app.state, dashboard: { ...fresh } };
            renderTop(app.state);
            renderFigures(app.state);
          }
        }, 1500);
      }
    },
    unmount() {
      clearTimeout(this.refetch);
      chart?.destroy();
    },
  };
}

/** "products/p3" → "Produtos: Coxinha"; a screen name alone for other views. */
export function describeView(app, view) {
  const [screen, id] = view.split('/');
  const name = app.t(`screen.${screen}`);
  if (screen === 'products' && id) return `${name}: ${app.state.products[id]?.name ?? id}`;
  return id ? `${name} ${id}` : name;
}

