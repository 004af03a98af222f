// What the reports screen downloads (the report as CSV or as an .xlsx workbook) and how it
// shows the period's customers: kept apart from the screen so node tests it without a DOM.

/** The formats GET /api/reports/export.{kind} answers. */
export const exportKinds = ['csv', 'xlsx'];

/** The route and the file name of one download of the report the form describes. */
export function exportFile(kind, { from, to, groupBy }) {
  if (!exportKinds.includes(kind)) throw new Error(`no export as ${kind}`);
  const query = new URLSearchParams({ from: `${from}T00:00:00Z`, to: `${to}T23:59:59Z`, groupBy });
  return { path: `/api/reports/export.${kind}?${query}`, name: `tenda-${groupBy}-${from}-${to}.${kind}` };
}

/**
 * The customer figures of a report (its `customers` object) as the screen shows them: the
 * summary's words and the table's cells, money formatted by `money(minorUnits, currency)`.
 */
export function customerView(report, { t, money, number }) {
  const c = report.customers ?? { buyers: 0, repeatBuyers: 0, sales: 0, averageBasket: 0, rows: [] };
  return {
    summary: t('reports.customers.summary', {
      buyers: number(c.buyers), repeat: number(c.repeatBuyers), basket: money(c.averageBasket, report.currency),
    }),
    headings: [t('reports.customers.name'), t('dashboard.salesCount'), t('dashboard.revenue'), t('reports.customers.lifetime'), t('reports.customers.debt')],
    rows: c.rows.map((row) => [row.name, number(row.sales), money(row.revenue, report.currency),
      money(row.lifetimeRevenue, report.currency), money(row.debt, report.currency)]),
  };
}
