// Reports (admin): revenue, sales and units over a date range, grouped by day, week, month,
// product or buyer; a chart, the table, the period's customers, and the same report as CSV or
// as an .xlsx workbook.

import { drawChart } from '../charts.js';
import { field, h, note, replace, table, toast } from '../dom.js';
import { shortDay } from '../format.js';
import { customerView, exportFile } from '../reportfiles.js';

const groupings = ['day', 'week', 'month', 'product', 'buyer'];

export async function mount(view, app) {
  const t = app.t;
  const today = new Date().toISOString().slice(0, 10);
  const monthAgo = new Date(Date.now() - 29 * 86400000).toISOString().slice(0, 10);
  const from = h('input', { type: 'date', value: monthAgo, required: true });
  const to = h('input', { type: 'date', value: today, required: true });
  const groupBy = h('select', {}, groupings.map((g) => h('option', { value: g }, t(`reports.by.${g}`))));
  const canvas = h('canvas', { role: 'img', 'aria-label': t('screen.reports') });
  const summary = h('p');
  const rows = h('div');
  const customers = h('section', { dataset: { customers: '' } });
  let chart = null;
  replace(view,
    h('section', {}, h('form', { class: 'toolbar', onchange: load, onsubmit: (event) => { event.preventDefault(); load(); } },
      field(t('from'), from), field(t('to'), to), field(t('reports.groupBy'), groupBy),
      h('button', { type: 'button', dataset: { export: 'csv' }, onclick: () => download('csv') }, t('reports.csv')),
      h('button', { type: 'button', dataset: { export: 'xlsx' }, onclick: () => download('xlsx') }, t('reports.xlsx')))),
    h('section', {}, summary, h('div', { class: 'chart-box' }, canvas)),
    h('section', {}, rows),
    customers);

  function query() {
    return new URLSearchParams({ from: `${from.value}T00:00:00Z`, to: `${to.value}T23:59:59Z`, groupBy: groupBy.value });
  }

  async function load() {
    let report;
    try {
      report = await app.api.get(`/api/reports?${query()}`);
    } catch (error) {
      return toast(app.errorText(error), 'error');
    }
    const byTime = ['day', 'week', 'month'].includes(report.groupBy);
    summary.textContent = t('reports.total', { total: app.money(report.totalRevenue, report.currency), n: report.rows.reduce((sum, row) => sum + row.sales, 0) });
    chart = await drawChart(canvas, {
      kind: byTime ? 'line' : 'bar',
      labels: report.rows.map((row) => shortDay(row.key, app.lang) ?? row.label),
      series: [{ label: t('dashboard.revenue'), values: report.rows.map((row) => row.revenue) }],
      formatValue: (value) => app.money(value, report.currency),
    });
    // Some groupings carry no unit counts (all zero): leave that column out rather than show zeros.
    const units = report.rows.some((row) => row.units !== 0);
    replace(rows, report.rows.length
      ? table([t(`reports.by.${report.groupBy}`), t('dashboard.salesCount'), units ? t('dashboard.units') : null, t('dashboard.revenue')].filter(Boolean),
        report.rows.map((row) => [row.label, app.number(row.sales), units ? app.number(row.units) : null, app.money(row.revenue, report.currency)]
          .filter((cell) => cell !== null)))
      : note(t('reports.none')));
    const people = customerView(report, app);
    replace(customers, h('h2', {}, t('reports.customers')), h('p', { dataset: { customerSummary: '' } }, people.summary),
      people.rows.length ? table(people.headings, people.rows) : note(t('reports.none')));
  }

  /** The files come from authenticated routes, so each is fetched with the token and saved from a blob. */
  async function download(kind) {
    try {
      const file = exportFile(kind, { from: from.value, to: to.value, groupBy: groupBy.value });
      const blob = await app.api.request('GET', file.path, { blob: true });
      const link = h('a', { href: URL.createObjectURL(blob), download: file.name });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 10000);
    } catch (error) {
      toast(app.errorText(error), 'error');
    }
  }

  await load();
  return {
    update(state, frame) {
      if (frame.event !== 'new_sale') return;
      clearTimeout(this.reload);
      this.reload = setTimeout(load, 1500);
    },
    unmount() {
      clearTimeout(this.reload);
      chart?.destroy();
    },
  };
}
