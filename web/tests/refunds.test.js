import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canRefund, fullyRefunded, refundAmount, refundBody, refundableLines, replaceSale } from '../js/refunds.js';
import { applyFrame, initialState } from '../js/state.js';

// A sale of 3 × p3 at 650 and 2 × p4 at 800, one p3 refunded already.
const sale = {
  id: 's9', buyerId: 'u1', total: 3550, currency: 'BRL', version: 2,
  lines: [{ productId: 'p3', quantity: 3, unitPrice: 650 }, { productId: 'p4', quantity: 2, unitPrice: 800 }],
  refundedQuantities: [1, 0],
};

test('each line tells what is left to refund', () => {
  assert.deepEqual(refundableLines(sale).map(({ sold, refunded, left }) => [sold, refunded, left]), [[3, 1, 2], [2, 0, 2]]);
  assert.equal(canRefund(sale), true);
  assert.equal(fullyRefunded(sale), false);
  const done = { ...sale, refundedQuantities: [3, 2] };
  assert.equal(canRefund(done), false);
  assert.equal(fullyRefunded(done), true);
  assert.equal(fullyRefunded({ ...sale, lines: [], refundedQuantities: [] }), false, 'an empty sale is not refunded');
  assert.deepEqual(refundableLines({ lines: [{ productId: 'p3', quantity: 2, unitPrice: 1 }] }).map((line) => line.left), [2], 'an old record without refundedQuantities');
});

test('choosing everything left refunds the rest without naming items', () => {
  assert.deepEqual(refundBody(sale, { 0: '2', 1: '2' }), { body: { restock: true } });
  assert.deepEqual(refundBody(sale, { 0: 2, 1: 2 }, { restock: false, note: '  estragou ' }), { body: { restock: false, note: 'estragou' } });
  assert.equal(refundAmount(sale, { 0: '2', 1: '2' }), 2 * 650 + 2 * 800);
});

test('choosing some units names only those lines', () => {
  assert.deepEqual(refundBody(sale, { 0: '1', 1: '0' }), { body: { restock: true, items: [{ productId: 'p3', quantity: 1 }] } });
  assert.deepEqual(refundBody(sale, { 0: '', 1: '2' }).body.items, [{ productId: 'p4', quantity: 2 }]);
  assert.equal(refundAmount(sale, { 0: '1', 1: '' }), 650);
});

test('more than is left, fractions, negatives and nothing at all are refused before asking the server', () => {
  assert.deepEqual(refundBody(sale, { 0: '3', 1: '0' }), { error: 'sales.refundBadQuantity', index: 0, left: 2 });
  assert.equal(refundBody(sale, { 0: '1.5', 1: '0' }).error, 'sales.refundBadQuantity');
  assert.equal(refundBody(sale, { 0: '-1', 1: '0' }).error, 'sales.refundBadQuantity');
  assert.equal(refundBody(sale, { 0: 'abc', 1: '0' }).error, 'sales.refundBadQuantity');
  assert.equal(refundBody(sale, { 0: '1e30', 1: '0' }).error, 'sales.refundBadQuantity');
  assert.deepEqual(refundBody(sale, { 0: '0', 1: '0' }), { error: 'sales.refundNothing' });
  assert.deepEqual(refundBody({ ...sale, refundedQuantities: [3, 2] }, {}), { error: 'sales.refundNothing' });
});

test('a refunded sale replaces its older self in a list', () => {
  const other = { ...sale, id: 's8' };
  const refunded = { ...sale, refundedQuantities: [3, 2], version: 3 };
  assert.deepEqual(replaceSale([other, sale], refunded), [other, refunded]);
});

test('sale_refunded updates the sale in the live state and nothing else', () => {
  const state = { ...initialState(), seq: 10, sales: [sale] };
  const refunded = { ...sale, refundedQuantities: [3, 2], version: 3 };
  const frame = { type: 'event', seq: 11, topic: 'sales', event: 'sale_refunded', data: { sale: refunded, lines: [], amount: 2900 }, at: '2026-12-04T10:00:00Z' };
  const next = applyFrame(state, frame);
  assert.deepEqual(next.sales, [refunded]);
  assert.equal(next.seq, 11);
  const unknown = applyFrame(state, { ...frame, data: { sale: { ...refunded, id: 's1' } } });
  assert.deepEqual(unknown.sales, [sale], 'a sale not loaded is not added');
});
