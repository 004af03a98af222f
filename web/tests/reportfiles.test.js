import assert from 'node:assert/strict';
import { test } from 'node:test';
import { customerView, exportFile, exportKinds } from '../js/reportfiles.js';

test('each export names its route and a file for the chosen range and grouping', () => {
  assert.deepEqual(exportKinds, ['csv', 'xlsx']);
  const form = { from: '2026-01-01', to: '2026-01-31', groupBy: 'buyer' };
  assert.deepEqual(exportFile('xlsx', form), {
    path: '/api/reports/export.xlsx?from=2026-01-01T00%3A00%3A00Z&to=2026-01-31T23%3A59%3A59Z&groupBy=buyer',
    name: 'tenda-buyer-2026-01-01-2026-01-31.xlsx',
  });
  assert.equal(exportFile('csv', form).path.startsWith('/api/reports/export.csv?'), true);
  assert.throws(() => exportFile('pdf', form), /no export as pdf/);
});

test('the customers of a report read as a summary and a table, in the report currency', () => {
  const t = (key, params) => `${key}${params ? ' ' + JSON.stringify(params) : ''}`;
  const money = (minor, currency) => `${currency} ${(minor / 100).toFixed(2)}`;
  const number = (n) => String(n);
  const report = {
    currency: 'BRL',
    customers: {
      buyers: 2, repeatBuyers: 1, sales: 3, revenue: 3300, averageBasket: 1100,
      rows: [
        { id: 'u3', name: 'Ana', sales: 2, revenue: 2800, lifetimeRevenue: 2800, debt: 1800 },
        { id: 'u4', name: 'Bruno', sales: 1, revenue: 500, lifetimeRevenue: 1150, debt: -50 },
      ],
    },
  };
  const view = customerView(report, { t, money, number });
  assert.equal(view.summary, 'reports.customers.summary {"buyers":"2","repeat":"1","basket":"BRL 11.00"}');
  assert.deepEqual(view.headings, ['reports.customers.name', 'dashboard.salesCount', 'dashboard.revenue', 'reports.customers.lifetime', 'reports.customers.debt']);
  assert.deepEqual(view.rows, [
    ['Ana', '2', 'BRL 28.00', 'BRL 28.00', 'BRL 18.00'],
    ['Bruno', '1', 'BRL 5.00', 'BRL 11.50', 'BRL -0.50'],
  ]);
  // A report from a server without customer figures shows none rather than failing.
  assert.deepEqual(customerView({ currency: 'BRL' }, { t, money, number }).rows, []);
});
