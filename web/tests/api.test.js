import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiClient, ApiError, TokenStore } from '../js/api.js';

/** A Storage stand-in. */
class MemoryStorage {
  constructor() { this.map = new Map(); }
  getItem(key) { return this.map.has(key) ? this.map.get(key) : null; }
  setItem(key, value) { this.map.set(key, String(value)); }
  removeItem(key) { this.map.delete(key); }
}

function json(status, body, headers = {}) {
  return new Response(body === null ? null : JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

/** A fetch that answers from `routes` ("METHOD /path" → (request) => Response) and records every call. */
function fakeFetch(routes) {
  const calls = [];
  const fetch = async (url, init) => {
    const call = { url, method: init.method, headers: init.headers, body: init.body ? JSON.parse(init.body) : undefined };
    calls.push(call);
    const handler = routes[`${init.method} ${url.split('?')[0]}`];
    if (!handler) return json(404, { error: { code: 'not_found', message: 'no such route' } });
    return handler(call, calls);
  };
  return { fetch, calls };
}

function signedInClient(routes, tokens = { accessToken: 'a1', refreshToken: 'r1' }) {
  const store = new TokenStore(new MemoryStorage());
  store.save(tokens);
  const { fetch, calls } = fakeFetch(routes);
  let signedOut = 0;
  const api = new ApiClient({ tokens: store, fetch, onSignedOut: () => { signedOut += 1; } });
  return { api, store, calls, signedOut: () => signedOut };
}

test('requests carry the bearer token and decode JSON', async () => {
  const { api, calls } = signedInClient({ 'GET /api/products': () => json(200, { items: [{ id: 'p1' }], next: null }) });
  const answer = await api.get('/api/products');
  assert.deepEqual(answer, { items: [{ id: 'p1' }], next: null });
  assert.equal(calls[0].headers.Authorization, 'Bearer a1');
});

test('the contract’s error body becomes an ApiError with code, field and short items', async () => {
  const { api } = signedInClient({
    'POST /api/purchases': () => json(409, {
      error: { code: 'insufficient_stock', message: 'not enough Coxinha', items: [{ productId: 'p3', requested: 5, available: 2 }] },
    }),
    'PATCH /api/products/p3': () => json(400, { error: { code: 'invalid_input', message: 'price must be ≥ 0', field: 'price' } }),
  });
  await assert.rejects(api.post('/api/purchases', { buyerId: 'u1', items: [] }), (error) => {
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, 409);
    assert.equal(error.code, 'insufficient_stock');
    assert.equal(error.message, 'not enough Coxinha');
    assert.deepEqual(error.items, [{ productId: 'p3', requested: 5, available: 2 }]);
    return true;
  });
  await assert.rejects(api.patch('/api/products/p3', { price: -1 }), { status: 400, code: 'invalid_input', field: 'price' });
});

test('If-Match and Idempotency-Key are sent when asked for', async () => {
  const { api, calls } = signedInClient({ 'PATCH /api/products/p3': () => json(412, { error: { code: 'version_conflict', message: 'stale' } }) });
  await assert.rejects(api.patch('/api/products/p3', { name: 'X' }, { ifMatch: 7, idempotencyKey: 'k1' }), { status: 412, code: 'version_conflict' });
  assert.equal(calls[0].headers['If-Match'], '7');
  assert.equal(calls[0].headers['Idempotency-Key'], 'k1');
});

test('a network failure is an ApiError with status 0', async () => {
  const store = new TokenStore(new MemoryStorage());
  const api = new ApiClient({ tokens: store, fetch: async () => { throw new TypeError('Failed to fetch'); } });
  await assert.rejects(api.get('/api/auth/me'), { status: 0, code: 'network' });
});

test('an expired access token is refreshed once and the request retried with the new one', async () => {
  const { api, store, calls } = signedInClient({
    'GET /api/auth/me': (call) => (call.headers.Authorization === 'Bearer a2'
      ? json(200, { role: 'admin' })
      : json(401, { error: { code: 'not_authenticated', message: 'the access token is not valid or has expired' } })),
    'POST /api/auth/refresh': (call) => {
      assert.deepEqual(call.body, { refreshToken: 'r1' });
      assert.equal(call.headers.Authorization, undefined, 'a refresh sends no stale bearer');
      return json(200, { accessToken: 'a2', refreshToken: 'r2', expiresIn: 900 });
    },
  });
  assert.deepEqual(await api.get('/api/auth/me'), { role: 'admin' });
  assert.deepEqual(calls.map((call) => `${call.method} ${call.url}`), ['GET /api/auth/me', 'POST /api/auth/refresh', 'GET /api/auth/me']);
  assert.deepEqual(store.load(), { accessToken: 'a2', refreshToken: 'r2' });
});

test('concurrent 401s share one refresh (a rotated refresh token cannot be used twice)', async () => {
  let refreshes = 0;
  const { api } = signedInClient({
    'GET /api/a': (call) => (call.headers.Authorization === 'Bearer a2' ? json(200, { a: 1 }) : json(401, { error: { code: 'not_authenticated', message: 'the access token is not valid or has expired' } })),
    'GET /api/b': (call) => (call.headers.Authorization === 'Bearer a2' ? json(200, { b: 1 }) : json(401, { error: { code: 'not_authenticated', message: 'the access token is not valid or has expired' } })),
    'POST /api/auth/refresh': async () => {
      refreshes += 1;
      await new Promise((resolve) => setTimeout(resolve, 10));
      return json(200, { accessToken: 'a2', refreshToken: 'r2' });
    },
  });
  const [a, b] = await Promise.all([api.get('/api/a'), api.get('/api/b')]);
  assert.deepEqual([a, b], [{ a: 1 }, { b: 1 }]);
  assert.equal(refreshes, 1);
});

test('a refused refresh signs out and forgets the tokens', async () => {
  const { api, store, signedOut } = signedInClient({
    'GET /api/auth/me': () => json(401, { error: { code: 'not_authenticated', message: 'the access token is not valid or has expired' } }),
    'POST /api/auth/refresh': () => json(401, { error: { code: 'not_authenticated', message: 'this refresh token was already used; all sessions of its family are ended', field: 'refreshToken' } }),
  });
  await assert.rejects(api.get('/api/auth/me'), { status: 401, code: 'not_authenticated' });
  assert.equal(store.load(), null);
  assert.equal(signedOut(), 1);
});

test('signing in stores the tokens; sign-in routes never carry a bearer token', async () => {
  const store = new TokenStore(new MemoryStorage());
  const { fetch, calls } = fakeFetch({
    'POST /api/auth/telegram': () => json(200, { accessToken: 'a', refreshToken: 'r', expiresIn: 900, user: { id: 'u1' } }),
  });
  const api = new ApiClient({ tokens: store, fetch });
  const answer = await api.signIn('telegram', 'query_id=1&hash=abc');
  assert.equal(answer.user.id, 'u1');
  assert.deepEqual(calls[0].body, { initData: 'query_id=1&hash=abc' });
  assert.equal(calls[0].headers.Authorization, undefined);
  assert.equal(api.accessToken, 'a');
});

test('all() follows cursors to the last page', async () => {
  const { api } = signedInClient({
    'GET /api/users': (call) => (call.url.includes('cursor=c2')
      ? json(200, { items: [{ id: 'u3' }], next: null })
      : json(200, { items: [{ id: 'u1' }, { id: 'u2' }], next: 'c2' })),
  });
  assert.deepEqual((await api.all('/api/users')).map((user) => user.id), ['u1', 'u2', 'u3']);
});

test('204 answers are null', async () => {
  const { api, store } = signedInClient({ 'POST /api/auth/logout': () => new Response(null, { status: 204 }) });
  assert.equal(await api.request('POST', '/api/auth/logout'), null);
  await api.logout();
  assert.equal(store.load(), null);
});

/** Web Locks as navigator.locks grants them: one holder per name at a time, in order. */
class Locks {
  constructor() { this.tails = new Map(); }
  request(name, work) {
    const previous = this.tails.get(name) ?? Promise.resolve();
    const turn = previous.then(() => work());
    this.tails.set(name, turn.catch(() => {}));
    return turn;
  }
}

test('two tabs sharing the tokens refresh once: the second takes what the first rotated', async () => {
  const storage = new MemoryStorage();
  const locks = new Locks();
  let refreshes = 0;
  const { fetch } = fakeFetch({
    'POST /api/auth/refresh': async (call) => {
      refreshes += 1;
      assert.deepEqual(call.body, { refreshToken: 'r1' }, 'a rotated refresh token was sent again');
      await new Promise((resolve) => setTimeout(resolve, 10));
      return json(200, { accessToken: 'a2', refreshToken: 'r2' });
    },
  });
  new TokenStore(storage).save({ accessToken: 'a1', refreshToken: 'r1' });
  const tabs = [1, 2].map(() => new ApiClient({ tokens: new TokenStore(storage), fetch, locks }));
  const answers = await Promise.all(tabs.map((tab) => tab.refresh()));
  assert.equal(refreshes, 1);
  assert.deepEqual(answers.map((answer) => answer.accessToken), ['a2', 'a2']);
  assert.equal(tabs[1].accessToken, 'a2');
});

test('a refused refresh tells the app why the session ended', async () => {
  const reasons = [];
  const store = new TokenStore(new MemoryStorage());
  store.save({ accessToken: 'a1', refreshToken: 'r1' });
  const { fetch } = fakeFetch({ 'POST /api/auth/refresh': () => json(401, { error: { code: 'session_ended', message: 'ended' } }) });
  const api = new ApiClient({ tokens: store, fetch, onSignedOut: (reason) => reasons.push(reason?.code ?? reason) });
  await assert.rejects(api.refresh(), { code: 'session_ended' });
  await api.logout().catch(() => {});
  assert.deepEqual(reasons, ['session_ended', null]);
});
