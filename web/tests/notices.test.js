import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fill, noticeWords } from '../js/notices.js';

const wording = {
  kinds: {
    low_stock: {
      pt: { title: 'Estoque baixo: {emoji} {product}', body: 'Restam {stock} (limite {threshold}).' },
      en: { title: 'Low stock: {emoji} {product}', body: '{stock} left (threshold {threshold}).' },
    },
    contract_declined: {
      pt: { title: 'Contrato recusado: {contract}', body: '{name} recusou. {reason}' },
      en: { title: 'Contract declined: {contract}', body: '{name} declined. {reason}' },
    },
  },
};

test('a notice is worded in the reader\'s language from its parameters', () => {
  const notice = { kind: 'low_stock', params: { product: 'Coxinha', emoji: '🥟', stock: '4', threshold: '5' }, title: 'Estoque baixo: 🥟 Coxinha', body: 'Restam 4 (limite 5).' };
  assert.deepEqual(noticeWords(notice, wording, 'en'), { title: 'Low stock: 🥟 Coxinha', body: '4 left (threshold 5).' });
  assert.deepEqual(noticeWords(notice, wording, 'pt'), { title: 'Estoque baixo: 🥟 Coxinha', body: 'Restam 4 (limite 5).' });
});

test('an empty value leaves no gap', () => {
  assert.equal(fill('Low stock: {emoji} {product}', { emoji: '', product: 'Kibe' }), 'Low stock: Kibe');
  assert.equal(fill('{name} declined. {reason}', { name: 'Ana' }), 'Ana declined.');
  assert.equal(fill('{name} declined. {reason}', { name: 'Ana', reason: 'Too dear' }), 'Ana declined. Too dear');
});

test('old notices and unknown kinds keep the words they came with', () => {
  const old = { kind: 'order_update', title: 'Pedido o3 confirmado', body: 'Seu pagamento foi confirmado.' };
  assert.deepEqual(noticeWords(old, wording, 'en'), { title: 'Pedido o3 confirmado', body: 'Seu pagamento foi confirmado.' });
  const stored = { kind: 'low_stock', title: 'Estoque baixo: Kibe', body: 'Restam 2 (limite 5).' };
  assert.deepEqual(noticeWords(stored, wording, 'en'), { title: 'Estoque baixo: Kibe', body: 'Restam 2 (limite 5).' });
  const newer = { kind: 'something_new', params: { x: '1' }, title: 'Algo novo', body: '' };
  assert.deepEqual(noticeWords(newer, wording, 'en'), { title: 'Algo novo', body: '' });
  assert.deepEqual(noticeWords(newer, null, 'en'), { title: 'Algo novo', body: '' });
});

test('a value is put in as written, not read as a template', () => {
  assert.equal(fill('{title}', { title: 'Promo {hoje}' }), 'Promo {hoje}');
});
