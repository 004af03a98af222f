import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from '../js/api.js';
import { isTransient, MemoryStorage, Outbox } from '../js/outbox.js';

/**
 * A server stand-in that honours Idempotency-Key as Tenda does: a key it has answered gets the
 * first answer again, and the effect (a sale) happens once. `down` makes every call a network
 * failure; `loseAnswers` commits and then throws, as a connection that drops after the server
 * wrote. `refuse(item)` answers a refusal instead of committing.
 */
function fakeServer({ refuse = () => null } = {}) {
  const server = { sales: [], answered: new Map(), calls: [], down: false, loseAnswers: 0 };
  server.send = async (item) => {
    server.calls.push(item.id);
    if (server.down) throw new ApiError(0, 'network', 'Failed to fetch');
    if (server.answered.has(item.id)) return server.answered.get(item.id);
    const refusal = refuse(item);
    if (refusal) throw refusal;
    const sale = { id: `s${server.sales.length + 1}`, body: item.body };
    server.sales.push(sale);
    server.answered.set(item.id, sale);
    if (server.loseAnswers > 0) {
      server.loseAnswers -= 1;
      throw new ApiError(0, 'network', 'connection reset');
    }
    return sale;
  };
  return server;
}

let clock = 1_000;
const now = () => (clock += 1);

function outbox(server, storage = new MemoryStorage(), extra = {}) {
  return new Outbox({ storage, send: server.send, owner: 'u9', locks: null, now, ...extra });
}

const sale = (n) => ({ kind: 'purchase', path: '/api/purchases', body: { buyerId: 'u1', items: [{ productId: 'p3', quantity: n }] }, label: `${n} × Coxinha` });

test('queued writes are sent in the order they were made, each once, and leave the queue', async () => {
  const server = fakeServer();
  const box = outbox(server);
  const first = await box.add({ ...sale(1), key: 'k1' });
  await box.add({ ...sale(2), key: 'k2' });
  await box.add({ kind: 'payment', path: '/api/payments', body: { userId: 'u1', amount: 500 }, key: 'k3' });
  assert.equal(first.id, 'k1');
  assert.deepEqual(box.queued.map((item) => item.id), ['k1', 'k2', 'k3']);
  const sent = [];
  box.onSent = (item, result) => sent.push([item.id, result.id]);
  const outcome = await box.flush();
  assert.deepEqual(outcome, { sent: 3, refused: 0, waiting: false });
  assert.deepEqual(server.calls, ['k1', 'k2', 'k3']);
  assert.deepEqual(sent, [['k1', 's1'], ['k2', 's2'], ['k3', 's3']]);
  assert.equal(box.items.length, 0);
});

test('a network failure keeps the item and everything after it queued, with the same key', async () => {
  const server = fakeServer();
  const box = outbox(server);
  await box.add({ ...sale(1), key: 'k1' });
  await box.add({ ...sale(2), key: 'k2' });
  server.down = true;
  assert.deepEqual(await box.flush(), { sent: 0, refused: 0, waiting: true });
  assert.deepEqual(server.calls, ['k1'], 'nothing overtakes the item that could not be sent');
  assert.deepEqual(box.queued.map((item) => item.id), ['k1', 'k2']);
  server.down = false;
  assert.deepEqual(await box.flush(), { sent: 2, refused: 0, waiting: false });
  assert.deepEqual(server.calls, ['k1', 'k1', 'k2']);
  assert.equal(server.sales.length, 2);
});

test('an answer lost after the server wrote is resent with its key and the write happens once', async () => {
  const server = fakeServer();
  const box = outbox(server);
  await box.add({ ...sale(1), key: 'k1' });
  server.loseAnswers = 1;
  assert.equal((await box.flush()).waiting, true);
  assert.equal(box.queued.length, 1);
  assert.equal((await box.flush()).sent, 1);
  assert.deepEqual(server.calls, ['k1', 'k1']);
  assert.equal(server.sales.length, 1, 'the replay answered the first sale instead of selling again');
});

test('the queue survives a reload: a new Outbox over the same storage sends what the old one kept', async () => {
  const storage = new MemoryStorage();
  const server = fakeServer();
  server.down = true;
  const before = outbox(server, storage);
  await before.add({ ...sale(1), key: 'k1' });
  await before.add({ ...sale(2), key: 'k2' });
  await before.flush();
  server.down = false;
  const after = outbox(server, storage);
  assert.deepEqual((await after.load()).map((item) => item.id), ['k1', 'k2']);
  await after.flush();
  assert.deepEqual(server.sales.map((s) => s.body.items[0].quantity), [1, 2]);
});

test('a flapping connection during the replay still yields each write exactly once', async () => {
  const server = fakeServer();
  const box = outbox(server);
  for (let n = 1; n <= 6; n++) await box.add({ ...sale(n), key: `k${n}` });
  // Ten flips: every other flush meets a dead network, and half the answers that do arrive are lost.
  for (let flip = 0; flip < 10; flip++) {
    server.down = flip % 2 === 0;
    server.loseAnswers = flip % 4 === 1 ? 1 : 0;
    await box.flush();
  }
  server.down = false;
  while (box.queued.length) await box.flush();
  assert.deepEqual(server.sales.map((s) => s.body.items[0].quantity), [1, 2, 3, 4, 5, 6]);
});

test('a refusal settles the item against it, the rest go on, and it can be dropped or fixed', async () => {
  const server = fakeServer({
    refuse: (item) => (item.body.items?.[0]?.quantity > 5
      ? new ApiError(409, 'insufficient_stock', 'not enough stock', { items: [{ productId: 'p3', requested: item.body.items[0].quantity, available: 5 }] })
      : null),
  });
  const box = outbox(server);
  await box.add({ ...sale(8), key: 'big' });
  await box.add({ ...sale(1), key: 'small' });
  assert.deepEqual(await box.flush(), { sent: 1, refused: 1, waiting: false });
  assert.equal(box.items.length, 1);
  const refused = box.refused[0];
  assert.equal(refused.id, 'big');
  assert.deepEqual(refused.error, { status: 409, code: 'insufficient_stock', message: 'not enough stock', items: [{ productId: 'p3', requested: 8, available: 5 }] });
  // A refusal is not retried by itself.
  await box.flush();
  assert.deepEqual(server.calls, ['big', 'small']);

  // Fixed (five units): a new decision, so a new key, and it is sent.
  await box.fix('big', sale(5).body, '5 × Coxinha');
  assert.equal(box.items.length, 0);
  assert.equal(server.calls.length, 3);
  assert.notEqual(server.calls[2], 'big');
  assert.deepEqual(server.sales.map((s) => s.body.items[0].quantity), [1, 5]);

  await box.add({ ...sale(9), key: 'again' });
  await box.flush();
  assert.equal(box.refused.length, 1);
  await box.drop('again');
  assert.equal(box.items.length, 0);
  await box.flush();
  assert.equal(server.calls.filter((id) => id === 'again').length, 1, 'a dropped item is never sent again');
});

test('retrying a refused item sends it with its own key', async () => {
  let stock = 0;
  const server = fakeServer({ refuse: () => (stock < 2 ? new ApiError(409, 'insufficient_stock', 'short') : null) });
  const box = outbox(server);
  await box.add({ ...sale(2), key: 'k1' });
  await box.flush();
  assert.equal(box.refused.length, 1);
  stock = 10;
  await box.retry('k1');
  assert.deepEqual(server.calls, ['k1', 'k1']);
  assert.equal(server.sales.length, 1);
  assert.equal(box.items.length, 0);
});

test('concurrent flushes share one replay, and items added meanwhile are sent by it', async () => {
  const server = fakeServer();
  let release;
  const gate = new Promise((resolve) => { release = resolve; });
  const send = server.send;
  server.send = async (item) => { if (item.id === 'k1') await gate; return send(item); };
  const box = new Outbox({ storage: new MemoryStorage(), send: (item) => server.send(item), owner: 'u9', locks: null, now });
  await box.add({ ...sale(1), key: 'k1' });
  const one = box.flush();
  const two = box.flush();
  assert.equal(one, two);
  await box.add({ ...sale(2), key: 'k2' });
  release();
  assert.deepEqual(await one, { sent: 2, refused: 0, waiting: false });
  assert.deepEqual(server.calls, ['k1', 'k2']);
});

test('each person sees and sends only their own queued writes', async () => {
  const storage = new MemoryStorage();
  const server = fakeServer();
  await outbox(server, storage, { owner: 'u1' }).add({ ...sale(1), key: 'theirs' });
  const mine = outbox(server, storage, { owner: 'u2' });
  await mine.add({ ...sale(2), key: 'mine' });
  assert.deepEqual(mine.items.map((item) => item.id), ['mine']);
  await mine.flush();
  assert.deepEqual(server.calls, ['mine']);
  assert.equal((await storage.all()).length, 1, 'the other person\'s write waits for them');
});

test('only "not now" answers keep an item queued; every other HTTP answer settles it', () => {
  for (const status of [0, 401, 408, 429, 500, 502, 503]) assert.equal(isTransient({ status }), true, `${status}`);
  for (const status of [400, 403, 404, 409, 412, 413, 422]) assert.equal(isTransient({ status }), false, `${status}`);
});
