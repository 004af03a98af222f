import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyResults, availableOrderActions, bulkBody, maxBulkItems, ordersFor, remainingSelection, summarize } from '../js/bulk.js';

const orders = [
  { id: 'o1', state: 'receipt_submitted' },
  { id: 'o2', state: 'verified' },
  { id: 'o3', state: 'receipt_submitted' },
  { id: 'o4', state: 'fulfilled' },
];

test('each action applies to the selected orders in its state', () => {
  assert.deepEqual(ordersFor('verify', orders).map((o) => o.id), ['o1', 'o3']);
  assert.deepEqual(ordersFor('reject', orders).map((o) => o.id), ['o1', 'o3']);
  assert.deepEqual(ordersFor('fulfil', orders).map((o) => o.id), ['o2']);
  assert.deepEqual(ordersFor('cancel', orders), [], 'not a bulk action');
  assert.deepEqual(availableOrderActions(orders), ['verify', 'reject', 'fulfil']);
  assert.deepEqual(availableOrderActions([orders[3]]), [], 'a fulfilled order takes none');
  assert.deepEqual(availableOrderActions([orders[1]]), ['fulfil']);
});

test('the body names each id once, in order, with the field its action needs', () => {
  assert.deepEqual(bulkBody('verify', ['o3', 'o1', 'o3']), { body: { action: 'verify', ids: ['o3', 'o1'] } });
  assert.deepEqual(bulkBody('reject', ['o1'], { reason: '  ilegível ' }), { body: { action: 'reject', ids: ['o1'], reason: 'ilegível' } });
  assert.deepEqual(bulkBody('reject', ['o1'], { reason: '   ' }), { error: 'bulk.reasonNeeded' });
  assert.deepEqual(bulkBody('reject', ['o1']), { error: 'bulk.reasonNeeded' });
  assert.deepEqual(bulkBody('verify', ['o1'], { reason: 'x' }), { body: { action: 'verify', ids: ['o1'] } }, 'only reject sends a reason');
  assert.deepEqual(bulkBody('role', ['u2', 'u3'], { role: 'admin' }), { body: { action: 'role', ids: ['u2', 'u3'], role: 'admin' } });
  assert.deepEqual(bulkBody('role', ['u2'], { role: 'king' }), { error: 'bulk.roleNeeded' });
  assert.deepEqual(bulkBody('block', ['u2']), { body: { action: 'block', ids: ['u2'] } });
  assert.deepEqual(bulkBody('verify', []), { error: 'bulk.nothing' });
  assert.deepEqual(bulkBody('verify', [null, '']), { error: 'bulk.nothing' });
  const many = Array.from({ length: maxBulkItems + 1 }, (_, i) => `o${i + 1}`);
  assert.deepEqual(bulkBody('verify', many), { error: 'bulk.tooMany', max: 100 });
  assert.equal(bulkBody('verify', many.slice(0, maxBulkItems)).body.ids.length, 100);
});

// What POST /api/orders/bulk answers when o2 was already fulfilled.
const answer = {
  results: [
    { id: 'o1', ok: true, record: { id: 'o1', state: 'verified', version: 3 } },
    { id: 'o2', ok: false, error: { code: 'invalid_transition', message: 'cannot go from fulfilled to verified' } },
    { id: 'o3', ok: true, record: { id: 'o3', state: 'verified', version: 3 } },
  ],
  succeeded: 2,
  failed: 1,
};

test('every item’s outcome is read from the answer', () => {
  assert.deepEqual(summarize(answer), {
    succeeded: 2, failed: 1, failures: [{ id: 'o2', code: 'invalid_transition', message: 'cannot go from fulfilled to verified' }],
  });
  assert.deepEqual(summarize({ results: [] }), { succeeded: 0, failed: 0, failures: [] });
  assert.deepEqual(summarize(undefined), { succeeded: 0, failed: 0, failures: [] });
});

test('the applied records replace the known ones; the refused ones stay selected', () => {
  const records = new Map(orders.map((o) => [o.id, o]));
  assert.deepEqual(applyResults(records, answer), ['o1', 'o3']);
  assert.equal(records.get('o1').state, 'verified');
  assert.equal(records.get('o3').state, 'verified');
  assert.equal(records.get('o2').state, 'verified', 'the refused one is left as it was known');
  assert.deepEqual([...remainingSelection(new Set(['o1', 'o2', 'o3']), answer)], ['o2']);
});
