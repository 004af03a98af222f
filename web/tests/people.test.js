import test from 'node:test';
import assert from 'node:assert/strict';
import { canErase, exportFileName, isErased, maxTelegramId, newUserBody, readUserForm, userChanges } from '../js/people.js';

const ana = { id: 'u7', name: 'Ana Souza', telegramId: 436432850, role: 'user', version: 3 };

test('a new person needs a name, a positive whole Telegram id within bounds and a known role', () => {
  assert.deepEqual(newUserBody({ name: '  Bruno ', telegramId: ' 555 ', role: 'admin' }), { body: { name: 'Bruno', telegramId: 555, role: 'admin' } });
  assert.deepEqual(newUserBody({ name: '   ', telegramId: '5' }), { error: 'people.nameRequired', field: 'name' });
  assert.equal(newUserBody({ name: 'x'.repeat(201), telegramId: '5' }).error, 'people.nameTooLong');
  for (const bad of ['', '0', '-4', '1.5', '12abc', String(maxTelegramId + 1), '99999999999999999']) {
    assert.deepEqual(newUserBody({ name: 'Bruno', telegramId: bad }), { error: 'people.badTelegramId', field: 'telegramId' }, bad);
  }
  assert.equal(readUserForm({ name: 'Bruno', telegramId: String(maxTelegramId) }).value.telegramId, maxTelegramId);
  assert.equal(newUserBody({ name: 'Bruno', telegramId: '5', role: 'king' }).error, 'people.badRole');
});

test('an edit sends only what changed, and nothing when nothing did', () => {
  assert.deepEqual(userChanges(ana, { name: 'Ana S.', telegramId: '436432850', role: 'user' }), { body: { name: 'Ana S.' } });
  assert.deepEqual(userChanges(ana, { name: 'Ana Souza', telegramId: '777', role: 'admin' }), { body: { telegramId: 777, role: 'admin' } });
  assert.deepEqual(userChanges(ana, { name: 'Ana Souza', telegramId: '436432850', role: 'user' }), { unchanged: true });
  assert.equal(userChanges(ana, { name: 'Ana', telegramId: 'abc', role: 'user' }).error, 'people.badTelegramId');
});

test('only a customer other than the owner, not erased yet, may be erased', () => {
  const me = { id: 'u1' };
  assert.equal(canErase(ana, me), true);
  assert.equal(canErase({ ...ana, role: 'admin' }, me), false);
  assert.equal(canErase({ ...ana, id: 'u1' }, me), false);
  const erased = { ...ana, name: 'Erased customer u7', telegramId: -7 };
  assert.equal(isErased(erased), true);
  assert.equal(canErase(erased, me), false);
  assert.equal(isErased(ana), false);
});

test('the data download is named after the person and the day', () => {
  assert.equal(exportFileName({ exportedAt: '2026-12-05T01:02:03Z', user: { id: 'u7' } }), 'tenda-data-u7-2026-12-05.json');
  assert.equal(exportFileName({}), 'tenda-data-me-export.json');
});
