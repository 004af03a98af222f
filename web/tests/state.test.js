import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyFrame, byId, initialState, salesKept, viewersOf } from '../js/state.js';

const coxinha = { id: 'p3', name: 'Coxinha', price: 650, currency: 'BRL', stock: 12, lowStockThreshold: 5, active: true, version: 7 };
const pastel = { id: 'p4', name: 'Pastel', price: 800, currency: 'BRL', stock: 9, lowStockThreshold: 5, active: true, version: 2 };

function loaded() {
  return {
    ...initialState(),
    seq: 1040,
    products: byId([coxinha, pastel]),
    dashboard: {
      currency: 'BRL', todaySales: 3, todayRevenue: 2000, todayReceived: 0, lowStockCount: 0, outstandingDebt: 500,
      daily: [{ key: '2026-11-20', sales: 5, units: 9, revenue: 4000 }, { key: '2026-11-21', sales: 3, units: 4, revenue: 2000 }],
    },
    debts: { u1: { userId: 'u1', amount: 500, currency: 'BRL' } },
  };
}

const event = (seq, topic, name, data, at = '2026-11-21T10:00:00Z') => ({ type: 'event', seq, topic, event: name, data, at });

test('inventory_update sets the product’s stock and the low-stock count', () => {
  const state = applyFrame(loaded(), event(1041, 'inventory', 'inventory_update', { productId: 'p3', stock: 4 }));
  assert.equal(state.products.p3.stock, 4);
  assert.equal(state.products.p3.name, 'Coxinha');
  assert.equal(state.products.p4.stock, 9);
  assert.equal(state.dashboard.lowStockCount, 1);
  assert.equal(state.seq, 1041);
});

test('applying a frame leaves the previous state untouched', () => {
  const before = loaded();
  applyFrame(before, event(1041, 'inventory', 'inventory_update', { productId: 'p3', stock: 4 }));
  assert.equal(before.products.p3.stock, 12);
  assert.equal(before.seq, 1040);
});

test('an event at or before the applied position is a replay and changes nothing', () => {
  const state = loaded();
  assert.equal(applyFrame(state, event(1040, 'inventory', 'inventory_update', { productId: 'p3', stock: 1 })), state);
  assert.equal(applyFrame(state, event(1000, 'sales', 'new_sale', { sale: { id: 's1', lines: [], total: 1 } })), state);
});

test('new_sale lists the sale first and adds it to today’s figures and the last day', () => {
  const sale = { id: 's91', buyerId: 'u1', lines: [{ productId: 'p3', quantity: 2, unitPrice: 650 }], total: 1300, currency: 'BRL', at: '2026-11-21T10:00:00Z' };
  const state = applyFrame(loaded(), event(1041, 'sales', 'new_sale', { sale }));
  assert.equal(state.sales[0].id, 's91');
  assert.equal(state.dashboard.todaySales, 4);
  assert.equal(state.dashboard.todayRevenue, 3300);
  assert.deepEqual(state.dashboard.daily[1], { key: '2026-11-21', sales: 4, units: 6, revenue: 3300 });
  assert.deepEqual(state.dashboard.daily[0], loaded().dashboard.daily[0]);
  // The same sale again (another connection replayed it under a new position) is not counted twice.
  assert.equal(applyFrame(state, event(1042, 'sales', 'new_sale', { sale })).dashboard.todaySales, 4);
});

test('a sale on another day than the dashboard’s last leaves today’s figures alone', () => {
  const sale = { id: 's92', buyerId: 'u1', lines: [{ productId: 'p3', quantity: 1, unitPrice: 650 }], total: 650, currency: 'BRL', at: '2026-11-22T00:00:01Z' };
  const state = applyFrame(loaded(), event(1041, 'sales', 'new_sale', { sale }));
  assert.equal(state.dashboard.todaySales, 3);
  assert.equal(state.sales.length, 1);
});

test('the sales list keeps a bounded number of sales', () => {
  let state = loaded();
  for (let i = 1; i <= salesKept + 10; i += 1) {
    state = applyFrame(state, event(1040 + i, 'sales', 'new_sale', { sale: { id: `s${i}`, lines: [], total: 1, at: '2026-11-21T10:00:00Z' } }));
  }
  assert.equal(state.sales.length, salesKept);
  assert.equal(state.sales[0].id, `s${salesKept + 10}`);
});

test('debt_update moves a debt and the outstanding total', () => {
  let state = applyFrame(loaded(), event(1041, 'sales', 'debt_update', { userId: 'u1', change: -200, currency: 'BRL', kind: 'payment' }));
  assert.equal(state.debts.u1.amount, 300);
  assert.equal(state.dashboard.outstandingDebt, 300);
  state = applyFrame(state, event(1042, 'sales', 'debt_update', { userId: 'u2', change: 700, currency: 'BRL', kind: 'sale' }));
  assert.equal(state.debts.u2.amount, 700);
  assert.equal(state.dashboard.outstandingDebt, 1000);
});

test('product_update replaces or removes a product', () => {
  let state = applyFrame(loaded(), event(1041, 'inventory', 'product_update', { product: { ...coxinha, name: 'Coxinha grande', version: 8 } }));
  assert.equal(state.products.p3.name, 'Coxinha grande');
  state = applyFrame(state, event(1042, 'inventory', 'product_update', { productId: 'p4', deleted: true }));
  assert.equal(state.products.p4, undefined);
});

test('resync marks the state stale for a reload', () => {
  const state = applyFrame(loaded(), { type: 'resync', reason: 'since_too_old' });
  assert.equal(state.stale, true);
  assert.equal(state.products.p3.stock, 12);
});

test('presence replaces who is online without moving the feed position', () => {
  const online = [{ userId: 'u1', role: 'owner', connections: 1, views: ['products/p3'] }, { userId: 'u2', role: 'admin', connections: 2, views: ['dashboard'] }];
  const state = applyFrame(loaded(), event(1043, 'presence', 'presence', { online }));
  assert.deepEqual(state.online, online);
  assert.equal(state.seq, 1040);
  assert.deepEqual(viewersOf(state.online, 'products/p3', 'u2'), ['u1']);
  assert.deepEqual(viewersOf(state.online, 'products/p3', 'u1'), []);
});

test('notifications are counted unread once each', () => {
  const notification = { id: 'n1', title: 'Estoque baixo', read: false };
  let state = applyFrame(loaded(), event(1041, 'notifications', 'notification', { notification }));
  state = applyFrame(state, event(1042, 'notifications', 'notification', { notification }));
  assert.equal(state.notifications.unread, 1);
  assert.equal(state.notifications.items.length, 1);
});

test('frames that are not events (ready, pong, result) change nothing', () => {
  const state = loaded();
  for (const frame of [{ type: 'ready', seq: 2000 }, { type: 'pong' }, { type: 'result', id: 'c1', ok: true }]) {
    assert.equal(applyFrame(state, frame), state);
  }
});
