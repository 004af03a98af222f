import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventStreamParser, LiveConnection } from '../js/live.js';

test('server-sent events are split into their data, across chunk boundaries', () => {
  const received = [];
  const parser = new EventStreamParser((data) => received.push(data));
  parser.push('id: 1044\ndata: {"type":"event","seq":1044}\n\nid: 10');
  parser.push('45\ndata: {"type":"ev');
  parser.push('ent","seq":1045}\r\n\r\n: comment\n\n');
  assert.deepEqual(received, ['{"type":"event","seq":1044}', '{"type":"event","seq":1045}']);
});

test('multi-line data joins with newlines; an unfinished event waits', () => {
  const received = [];
  const parser = new EventStreamParser((data) => received.push(data));
  parser.push('data: a\ndata: b\n\ndata: c\n');
  assert.deepEqual(received, ['a\nb']);
  parser.push('\n');
  assert.deepEqual(received, ['a\nb', 'c']);
});

/** A WebSocket stand-in the test drives: it records what the client sends and opens, answers and closes on command. */
class FakeSocket {
  static made = [];
  constructor(url) {
    this.url = url;
    this.sent = [];
    this.readyState = 0;
    FakeSocket.made.push(this);
  }
  send(text) { this.sent.push(JSON.parse(text)); }
  close() { this.drop(); }
  open() { this.readyState = 1; this.onopen?.(); }
  receive(frame) { this.onmessage?.({ data: JSON.stringify(frame) }); }
  drop() { if (this.readyState === 3) return; this.readyState = 3; this.onclose?.(); }
}

const tick = (ms = 5) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `check()` is true, failing with `what` after two seconds (a loaded machine is slow, not broken). */
async function until(what, check) {
  const deadline = Date.now() + 2000;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await tick();
  }
}

function connection(environment, frames = [], statuses = []) {
  return new LiveConnection({
    token: () => 'tok',
    onFrame: (frame) => frames.push(frame),
    onStatus: (status) => statuses.push(status),
    environment: { location: { protocol: 'http:', host: 'shop.example' }, backoff: [0], ...environment },
  });
}

test('a reconnect resumes after the last event seen, with the same topics and view', async () => {
  FakeSocket.made = [];
  const frames = [];
  const live = connection({ WebSocket: FakeSocket }, frames);
  live.setTopics(['inventory', 'notifications']);
  live.setView('products/p3');
  live.start();
  const first = FakeSocket.made[0];
  assert.equal(first.url, 'ws://shop.example/ws?token=tok');
  first.open();
  first.receive({ type: 'ready', seq: 10, user: { id: 'u1', role: 'admin' } });
  assert.deepEqual(first.sent, [
    { type: 'subscribe', topics: ['inventory', 'notifications'], since: 10 },
    { type: 'presence', view: 'products/p3' },
  ]);
  first.receive({ type: 'event', seq: 11, topic: 'inventory', event: 'inventory_update', data: { productId: 'p3', stock: 4 } });
  first.receive({ type: 'event', seq: 99, topic: 'presence', event: 'presence', data: { online: [] } });
  first.drop();
  await tick();
  const second = FakeSocket.made[1];
  assert.ok(second, 'no reconnect');
  second.open();
  second.receive({ type: 'ready', seq: 15 });
  // Presence frames carry the hub's position, not a feed event's: the resume asks for what follows 11.
  assert.deepEqual(second.sent[0], { type: 'subscribe', topics: ['inventory', 'notifications'], since: 11 });
  assert.equal(frames.filter((frame) => frame.type === 'event').length, 2);
  live.stop();
});

test('the epoch of the ready frame goes with every resume, and a resync forgets both', async () => {
  FakeSocket.made = [];
  const live = connection({ WebSocket: FakeSocket });
  live.setTopics(['inventory']);
  live.start();
  const first = FakeSocket.made[0];
  first.open();
  first.receive({ type: 'ready', seq: 10, epoch: 'e1' });
  assert.deepEqual(first.sent[0], { type: 'subscribe', topics: ['inventory'], since: 10, epoch: 'e1' });
  first.receive({ type: 'event', seq: 12, topic: 'inventory', event: 'inventory_update', data: {} });
  first.drop();
  await tick();
  const second = FakeSocket.made[1];
  second.open();
  // The store was restored meanwhile: its ready names another epoch; the client still says which history its 12 is from.
  second.receive({ type: 'ready', seq: 8, epoch: 'e2' });
  assert.deepEqual(second.sent[0], { type: 'subscribe', topics: ['inventory'], since: 12, epoch: 'e1' });
  second.receive({ type: 'resync', reason: 'epoch_changed', epoch: 'e2' });
  assert.equal(live.since, null);
  assert.equal(live.epoch, null);
  live.reconnectNow();
  const third = FakeSocket.made[2];
  third.open();
  third.receive({ type: 'ready', seq: 8, epoch: 'e2' });
  assert.deepEqual(third.sent[0], { type: 'subscribe', topics: ['inventory'], since: 8, epoch: 'e2' });
  live.stop();
});

test('server-sent events take the position and epoch from the stream\'s ready and resume with both', async () => {
  const requests = [];
  const frames = [];
  const encoder = new TextEncoder();
  const fetch = async (url) => {
    requests.push(url);
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(encoder.encode('event: ready\ndata: {"type":"ready","seq":30,"epoch":"e1"}\n\n'));
        controller.close();
      },
    });
    return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
  };
  class BlockedSocket { constructor() { throw new Error('blocked'); } }
  const live = connection({ WebSocket: BlockedSocket, fetch }, frames);
  live.setTopics(['inventory']);
  live.start();
  await until('a reconnect after the stream ended', () => requests.length >= 2);
  assert.equal(requests[0], '/api/events?topics=inventory');
  assert.equal(requests[1], '/api/events?topics=inventory&since=30&epoch=e1');
  live.stop();
});

test('changing screens changes the subscription in place', () => {
  FakeSocket.made = [];
  const live = connection({ WebSocket: FakeSocket });
  live.setTopics(['notifications', 'inventory']);
  live.start();
  const socket = FakeSocket.made[0];
  socket.open();
  socket.receive({ type: 'ready', seq: 1 });
  socket.sent = [];
  live.setTopics(['notifications', 'sales']);
  assert.deepEqual(socket.sent, [{ type: 'unsubscribe', topics: ['inventory'] }, { type: 'subscribe', topics: ['sales'] }]);
  live.stop();
});

test('when WebSockets never open, it follows the shop over server-sent events with the token', async () => {
  const requests = [];
  const statuses = [];
  const frames = [];
  const encoder = new TextEncoder();
  const fetch = async (url, init) => {
    requests.push({ url, authorization: init.headers.Authorization });
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(encoder.encode('id: 21\ndata: {"type":"event","seq":21,"topic":"inventory","event":"inventory_update","data":{"productId":"p3","stock":2}}\n\n'));
      },
    });
    return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
  };
  class BlockedSocket { constructor() { throw new Error('blocked'); } }
  const live = connection({ WebSocket: BlockedSocket, fetch }, frames, statuses);
  live.setTopics(['inventory']);
  live.start();
  await until('the first event over SSE', () => frames.length > 0);
  assert.equal(requests.length, 1);
  assert.equal(requests[0].url, '/api/events?topics=inventory');
  assert.equal(requests[0].authorization, 'Bearer tok');
  assert.ok(statuses.includes('fallback'), `statuses: ${statuses}`);
  assert.equal(frames[0]?.seq, 21);
  assert.equal(live.since, 21);
  live.stop();
});

/** A connection whose token the test's refresh rotates (tok1 → tok2 …), recording refreshes, statuses and the session's end. */
function session(environment) {
  const record = { frames: [], statuses: [], refreshes: 0, ended: [], token: 'tok1' };
  const live = new LiveConnection({
    token: () => record.token,
    refreshToken: async () => {
      record.refreshes += 1;
      await tick(1);
      record.token = `tok${record.refreshes + 1}`;
    },
    onSessionEnded: (reason) => record.ended.push(reason),
    onFrame: (frame) => record.frames.push(frame),
    onStatus: (status) => record.statuses.push(status),
    environment: { location: { protocol: 'http:', host: 'shop.example' }, backoff: [0], ...environment },
  });
  return { live, record };
}

/** Starts a session on a FakeSocket and brings it to `ready`; answers the socket. */
function liveSession(topics = ['notifications', 'sales']) {
  FakeSocket.made = [];
  const { live, record } = session({ WebSocket: FakeSocket });
  live.setTopics(topics);
  live.start();
  const socket = FakeSocket.made[0];
  socket.open();
  socket.receive({ type: 'ready', seq: 5, user: { id: 'u1', role: 'admin' }, expiresAt: '2026-12-03T12:00:00Z' });
  socket.sent = [];
  return { live, record, socket };
}

test('a token about to expire is refreshed and sent on the open socket: no reconnect, the dot stays live', async () => {
  const { live, record, socket } = liveSession();
  assert.equal(live.expiresAt, '2026-12-03T12:00:00Z');
  socket.receive({ type: 'auth_expiring', expiresAt: '2026-12-03T12:00:00Z' });
  await until('the first auth message', () => socket.sent.length === 1);
  assert.equal(record.refreshes, 1);
  assert.deepEqual(socket.sent, [{ type: 'auth', token: 'tok2' }]);
  socket.receive({ type: 'auth_ok', expiresAt: '2026-12-03T12:15:00Z', user: { id: 'u1', role: 'admin' } });
  assert.equal(live.expiresAt, '2026-12-03T12:15:00Z');
  // The second expiry asks for the next token.
  socket.receive({ type: 'auth_expiring', expiresAt: '2026-12-03T12:15:00Z' });
  await until('the second auth message', () => socket.sent.length === 2);
  assert.deepEqual(socket.sent.at(-1), { type: 'auth', token: 'tok3' });
  assert.equal(FakeSocket.made.length, 1, 'it reconnected');
  assert.deepEqual(record.statuses, ['connecting', 'live']);
  live.stop();
});

test('when the app refreshed the tokens already, the warning sends the newer token without another refresh', async () => {
  const { live, record, socket } = liveSession();
  record.token = 'tokFromRest';
  socket.receive({ type: 'auth_expiring', expiresAt: '2026-12-03T12:00:00Z' });
  await until('the auth message', () => socket.sent.length === 1);
  assert.equal(record.refreshes, 0);
  assert.deepEqual(socket.sent, [{ type: 'auth', token: 'tokFromRest' }]);
  live.stop();
});

test('closed for an expired token: a fresh token and a quiet reconnect that resumes where it was', async () => {
  const { live, record, socket } = liveSession();
  socket.receive({ type: 'event', seq: 7, topic: 'sales', event: 'new_sale', data: {} });
  socket.receive({ type: 'closed', code: 4002, reason: 'token_expired' });
  socket.drop();
  await until('the new socket', () => FakeSocket.made.length === 2);
  assert.equal(record.refreshes, 1);
  const second = FakeSocket.made[1];
  assert.equal(second?.url, 'ws://shop.example/ws?token=tok2');
  second.open();
  second.receive({ type: 'ready', seq: 9 });
  assert.deepEqual(second.sent[0], { type: 'subscribe', topics: ['notifications', 'sales'], since: 7 });
  assert.deepEqual(record.statuses, ['connecting', 'live'], 'the reconnect showed');
  assert.deepEqual(record.ended, []);
  live.stop();
});

test('a session ended or blocked stops the connection and tells the app why, frame or close code alone', async () => {
  const ended = liveSession();
  ended.socket.receive({ type: 'closed', code: 4001, reason: 'session_ended' });
  await tick();
  assert.deepEqual(ended.record.ended, ['session_ended']);
  assert.equal(FakeSocket.made.length, 1, 'it reconnected after the session ended');
  assert.equal(ended.record.statuses.at(-1), 'offline');

  const blocked = liveSession();
  blocked.socket.onclose({ code: 4003, reason: 'user_blocked' });
  await tick();
  assert.deepEqual(blocked.record.ended, ['user_blocked']);
  assert.equal(FakeSocket.made.length, 1);
});

test('a role change keeps the topics the server kept; a later screen asks again for the ones it needs', () => {
  const { live, record, socket } = liveSession(['notifications', 'inventory', 'presence']);
  socket.receive({ type: 'access', role: 'user', topics: ['inventory', 'notifications'] });
  assert.equal(record.frames.at(-1).type, 'access', 'the app is told');
  assert.deepEqual([...live.topics], ['inventory', 'notifications']);
  // Promoted again, the screen's topics are subscribed on the open socket.
  socket.receive({ type: 'access', role: 'admin', topics: ['inventory', 'notifications'] });
  live.setTopics(['notifications', 'inventory', 'presence']);
  assert.deepEqual(socket.sent, [{ type: 'subscribe', topics: ['presence'] }]);
  live.stop();
});

/** A fetch for /api/events answering each call from `answers` in turn (status and SSE text), recording the calls. */
function eventsFetch(answers) {
  const requests = [];
  const encoder = new TextEncoder();
  const fetch = async (url, init) => {
    requests.push({ url, authorization: init.headers.Authorization });
    const { status = 200, text = '', error } = answers[Math.min(requests.length - 1, answers.length - 1)];
    if (error) return new Response(JSON.stringify({ error }), { status, headers: { 'content-type': 'application/json' } });
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(encoder.encode(text));
        init.signal.addEventListener('abort', () => controller.error(new DOMException('aborted', 'AbortError')));
      },
    });
    return new Response(body, { status, headers: { 'content-type': 'text/event-stream' } });
  };
  return { fetch, requests };
}

class BlockedSocket { constructor() { throw new Error('blocked'); } }

test('over SSE, a stream closed for an expired token resumes with a fresh token, the status unchanged', async () => {
  const { fetch, requests } = eventsFetch([
    { text: 'data: {"type":"event","seq":21,"topic":"inventory","event":"inventory_update","data":{}}\n\ndata: {"type":"closed","code":4002,"reason":"token_expired"}\n\n' },
    { text: '' },
  ]);
  const { live, record } = session({ WebSocket: BlockedSocket, fetch });
  live.setTopics(['inventory']);
  live.start();
  await until('the second stream', () => requests.length >= 2 && record.statuses.at(-1) === 'fallback');
  assert.deepEqual(requests.map((request) => [request.url, request.authorization]), [
    ['/api/events?topics=inventory', 'Bearer tok1'],
    ['/api/events?topics=inventory&since=21', 'Bearer tok2'],
  ]);
  // Two refused sockets, then the stream; its renewal shows nothing.
  assert.deepEqual(record.statuses, ['connecting', 'offline', 'connecting', 'offline', 'connecting', 'fallback']);
  live.stop();
});

test('over SSE, a refusal saying the session ended or the user is blocked ends the session', async () => {
  for (const [status, code] of [[401, 'session_ended'], [403, 'user_blocked']]) {
    const { fetch, requests } = eventsFetch([{ status, error: { code, message: 'no' } }]);
    const { live, record } = session({ WebSocket: BlockedSocket, fetch });
    live.start();
    await until(`the end of the session (${code})`, () => record.ended.length > 0);
    assert.deepEqual(record.ended, [code]);
    assert.equal(requests.length, 1, 'it tried again');
    assert.equal(record.refreshes, 0);
  }
});

test('live queries go out after the subscribe, are folded and handed on in order, and resume after a reconnect', async () => {
  FakeSocket.made = [];
  const live = connection({ WebSocket: FakeSocket });
  const results = [];
  const query = { collection: 'products', order: { field: 'stock' }, limit: 5 };
  live.watch('q:low', query, (records, result) => results.push(records ? records.map((p) => p.id) : result.code));
  live.start();
  const first = FakeSocket.made[0];
  first.open();
  first.receive({ type: 'ready', seq: 10, epoch: 'e1', user: { id: 'u1', role: 'admin' } });
  assert.deepEqual(first.sent.map((m) => m.type), ['subscribe', 'watch']);
  assert.deepEqual(first.sent[1], { type: 'watch', id: 'q:low', ...query });
  first.receive({ type: 'query_snapshot', id: 'q:low', seq: 10, epoch: 'e1', records: [{ id: 'p1', stock: 3, version: 2 }, { id: 'p2', stock: 1, version: 1 }] });
  first.receive({ type: 'query_diff', id: 'q:low', seq: 12, enter: [], update: [{ id: 'p1', stock: 0, version: 3 }], leave: ['p2'] });
  assert.deepEqual(results, [['p2', 'p1'], ['p1']]);

  first.drop();
  await until('the reconnect', () => FakeSocket.made.length === 2);
  const second = FakeSocket.made[1];
  second.open();
  second.receive({ type: 'ready', seq: 12, epoch: 'e1', user: { id: 'u1', role: 'admin' } });
  assert.deepEqual(second.sent[1], { type: 'watch', id: 'q:low', ...query, since: 12, epoch: 'e1', have: { p1: 3 } });

  // A watch the server ends is dropped and said so.
  second.receive({ type: 'error', id: 'q:low', code: 'forbidden', message: 'no' });
  assert.deepEqual(results.at(-1), 'forbidden');
  live.unwatch('q:low');
  assert.equal(second.sent.filter((m) => m.type === 'unwatch').length, 0, 'an ended watch is not unwatched again');
  live.stop();
});

test('a watch given a new query ignores diffs of the old one until its own snapshot comes', () => {
  FakeSocket.made = [];
  const live = connection({ WebSocket: FakeSocket });
  const results = [];
  live.start();
  const socket = FakeSocket.made[0];
  socket.open();
  socket.receive({ type: 'ready', seq: 1, epoch: 'e', user: { id: 'u1', role: 'admin' } });
  live.watch('q', { collection: 'products', limit: 5 }, (records) => results.push(records.map((p) => p.id)));
  socket.receive({ type: 'query_snapshot', id: 'q', seq: 2, records: [{ id: 'p1' }, { id: 'p2' }] });
  live.watch('q', { collection: 'products', filter: { field: 'name', prefix: 'b' }, limit: 5 }, (records) => results.push(records.map((p) => p.id)));
  socket.receive({ type: 'query_diff', id: 'q', seq: 3, enter: [], update: [{ id: 'p1' }], leave: [] });
  socket.receive({ type: 'query_snapshot', id: 'q', seq: 3, records: [{ id: 'p7' }] });
  assert.deepEqual(results, [['p1', 'p2'], ['p7']]);
  assert.deepEqual(socket.sent.filter((m) => m.type === 'watch').map((m) => m.filter ?? null), [null, { field: 'name', prefix: 'b' }]);
  live.stop();
});
