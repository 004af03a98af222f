import assert from 'node:assert/strict';
import { test } from 'node:test';
import { emptyResult, foldQuery, ordered, startOfDayUTC, watchMessage } from '../js/queries.js';

const lowStock = { collection: 'products', filter: { field: 'stock', lte: { field: 'lowStockThreshold' } }, order: { field: 'stock' }, limit: 20 };

test('a snapshot replaces what was held; diffs enter, update and leave by id', () => {
  let result = foldQuery(emptyResult(), { type: 'query_snapshot', id: 'q', seq: 10, epoch: 'e1', records: [{ id: 'p1', stock: 2, version: 3 }, { id: 'p2', stock: 1, version: 1 }] });
  assert.equal(result.seq, 10);
  assert.equal(result.epoch, 'e1');
  assert.deepEqual(ordered(result, lowStock).map((p) => p.id), ['p2', 'p1']);
  const before = result;
  result = foldQuery(result, { type: 'query_diff', id: 'q', seq: 12, enter: [{ id: 'p9', stock: 0, version: 5 }], update: [{ id: 'p1', stock: 1, version: 4 }], leave: ['p2'] });
  assert.deepEqual(ordered(result, lowStock).map((p) => [p.id, p.stock]), [['p9', 0], ['p1', 1]]);
  assert.equal(result.seq, 12);
  assert.equal(result.epoch, 'e1');
  assert.equal(before.records.size, 2, 'folding never changes the result it was given');
  result = foldQuery(result, { type: 'query_snapshot', id: 'q', seq: 20, epoch: 'e2', records: [] });
  assert.equal(result.records.size, 0);
  assert.equal(result.epoch, 'e2');
});

test('the order follows its field and direction, ties by the number in the id, absent values first', () => {
  const result = foldQuery(emptyResult(), { type: 'query_snapshot', seq: 1, records: [
    { id: 'p10', name: 'Bolo' }, { id: 'p9', name: 'Bolo' }, { id: 'p2', name: 'Açaí' }, { id: 'p3' },
  ] });
  assert.deepEqual(ordered(result, { order: { field: 'name' } }).map((p) => p.id), ['p3', 'p2', 'p9', 'p10']);
  assert.deepEqual(ordered(result, { order: { field: 'name', direction: 'desc' } }).map((p) => p.id), ['p10', 'p9', 'p2', 'p3']);
  assert.deepEqual(ordered(result, {}).map((p) => p.id), ['p2', 'p3', 'p9', 'p10']);
  const debts = foldQuery(emptyResult(), { type: 'query_snapshot', seq: 1, records: [{ userId: 'u2', amount: 100 }, { userId: 'u1', amount: 900 }] });
  assert.deepEqual(ordered(debts, { order: { field: 'amount', direction: 'desc' } }).map((d) => d.userId), ['u1', 'u2']);
});

test('a watch resumes with the position, the epoch and the versions it holds', () => {
  assert.deepEqual(watchMessage('q', lowStock, emptyResult()), { type: 'watch', id: 'q', ...lowStock });
  const held = foldQuery(emptyResult(), { type: 'query_snapshot', seq: 7, epoch: 'e1', records: [{ id: 'p1', version: 3 }, { userId: 'u4', amount: 5 }] });
  assert.deepEqual(watchMessage('q', lowStock, held), { type: 'watch', id: 'q', ...lowStock, since: 7, epoch: 'e1', have: { p1: 3, u4: 0 } });
});

test('today starts at midnight UTC', () => {
  assert.equal(startOfDayUTC(new Date('2026-12-04T23:59:59.500Z')), '2026-12-04T00:00:00Z');
});
