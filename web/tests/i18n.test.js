import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { languageOf, texts, translator } from '../js/i18n.js';

const root = join(import.meta.dirname, '..', 'js');

function sources(folder = root) {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(folder, entry.name)) : entry.name.endsWith('.js') ? [readFileSync(join(folder, entry.name), 'utf8')] : []);
}

test('English is for language codes starting with "en"; Portuguese otherwise', () => {
  assert.equal(languageOf('en'), 'en');
  assert.equal(languageOf('en-US'), 'en');
  assert.equal(languageOf('pt-br'), 'pt');
  assert.equal(languageOf('es'), 'pt');
  assert.equal(languageOf(null), 'pt');
});

test('values fill their places', () => {
  assert.equal(translator('pt')('stockLeft', { n: 3 }), '3 em estoque');
  assert.equal(translator('en')('products.editing', { names: 'Ana' }), 'Ana is editing this product');
});

test('both languages have the same texts', () => {
  assert.deepEqual(Object.keys(texts.en).sort(), Object.keys(texts.pt).sort());
});

test('every text the code asks for by name exists', () => {
  const used = new Set(sources().flatMap((source) => [...source.matchAll(/\bt\('([^']+)'/g)].map((match) => match[1])));
  assert.ok(used.size > 100, `found only ${used.size} texts: the scan is probably broken`);
  const missing = [...used].filter((key) => !(key in texts.pt));
  assert.deepEqual(missing, []);
});

test('every screen has its title in both languages', async () => {
  const { screens } = await import('../js/screens/index.js');
  for (const screen of screens) {
    assert.ok(`screen.${screen.id}` in texts.pt && `screen.${screen.id}` in texts.en, `no title for ${screen.id}`);
  }
  for (const state of ['pending_payment', 'receipt_submitted', 'verified', 'fulfilled', 'rejected', 'cancelled']) {
    assert.ok(`orderState.${state}` in texts.pt, `no words for the order state ${state}`);
  }
});
