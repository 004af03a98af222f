import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatNumber } from '../js/format.js';
import { texts, translator } from '../js/i18n.js';
import { levelSeries, mergeMovements, movementRows, refreshMovements, signedQuantity } from '../js/stockhistory.js';

// As GET /api/products/{id}/stock-movements answers: newest first.
const movement = (n, kind, delta, levelAfter, extra = {}) => ({
  id: `m${n}`, productId: 'p3', kind, reason: kind, delta, levelAfter, note: '', at: `2026-03-01T${String(9 + n).padStart(2, '0')}:00:00Z`, version: 1, ...extra,
});
const m1 = movement(1, 'initial', 20, 20, { actorId: 'u1', actorName: 'Olga' });
const m2 = movement(2, 'restock', 10, 30, { actorId: 'u2', actorName: 'Adão', note: 'fornecedor' });
const m3 = movement(3, 'sale', -3, 27, { actorId: 'u2', actorName: 'Adão', reference: 's7' });
const m4 = movement(4, 'refund', 1, 28, { reference: 's7', note: 'estragado' });
const m5 = movement(5, 'adjustment', -2, 26, { actorId: 'u2', actorName: 'Adão', note: 'quebrou' });

test('a quantity carries its sign, with a true minus', () => {
  assert.equal(signedQuantity(10), '+10');
  assert.equal(signedQuantity(-3), '\u22123');
  assert.equal(signedQuantity(0), '0');
  assert.equal(signedQuantity(1500, (n) => formatNumber(n, 'pt-BR')), '+1.500');
});

test('the chart runs oldest to newest through the level each movement left', () => {
  assert.deepEqual(levelSeries([m4, m3, m2, m1]), [
    { at: m1.at, level: 20 }, { at: m2.at, level: 30 }, { at: m3.at, level: 27 }, { at: m4.at, level: 28 },
  ]);
  assert.deepEqual(levelSeries([]), []);
});

test('"more" appends the next page, each movement once', () => {
  assert.deepEqual(mergeMovements([m4, m3], [m3, m2, m1]).map((m) => m.id), ['m4', 'm3', 'm2', 'm1']);
  assert.deepEqual(mergeMovements([], [m2]).map((m) => m.id), ['m2']);
});

test('a fresh first page goes in front, keeping the cursor of what was shown, or replaces it when there is a gap', () => {
  // Shown: the first page of two (m4, m3), cursor c1. One movement happened: the fresh page of two is m5, m4.
  assert.deepEqual(refreshMovements([m4, m3], 'c1', { items: [m5, m4], next: 'c2' }), { movements: [m5, m4, m3], next: 'c1' });
  // Nothing was shown yet.
  assert.deepEqual(refreshMovements([], null, { items: [m2, m1], next: null }), { movements: [m2, m1], next: null });
  // More moved than a page holds: the fresh page does not reach m2, so paging restarts from it.
  assert.deepEqual(refreshMovements([m2, m1], null, { items: [m5, m4], next: 'c3' }), { movements: [m5, m4], next: 'c3' });
  // The fresh page is the whole history: nothing is missing even without an overlap.
  assert.deepEqual(refreshMovements([m1], null, { items: [m2], next: null }), { movements: [m2, m1], next: null });
});

test('each row says when, what, how many, the level after, who and why, in the reader’s language', () => {
  const words = { t: translator('pt'), dateTime: (iso) => iso.slice(11, 16), number: (n) => formatNumber(n, 'pt-BR') };
  assert.deepEqual(movementRows([m5, m4, m3, m2, m1], words), [
    ['14:00', 'Ajuste', '\u22122', '26', 'Adão', 'quebrou'],
    ['13:00', 'Reembolso', '+1', '28', 'sistema', 'estragado · s7'],
    ['12:00', 'Venda', '\u22123', '27', 'Adão', 's7'],
    ['11:00', 'Reposição', '+10', '30', 'Adão', 'fornecedor'],
    ['10:00', 'Estoque inicial', '+20', '20', 'Olga', ''],
  ]);
  const english = movementRows([m4], { ...words, t: translator('en') });
  assert.deepEqual(english[0].slice(1, 5), ['Refund', '+1', '28', 'system']);
});

test('every kind the API names has words in both languages', () => {
  for (const kind of ['initial', 'sale', 'restock', 'adjustment', 'order', 'cancel', 'return', 'refund']) {
    for (const language of ['pt', 'en']) assert.ok(texts[language][`movement.${kind}`], `${language} movement.${kind}`);
  }
});
