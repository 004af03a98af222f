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
  await tick(50);
  assert.equal(requests.length, 1);
  assert.equal(requests[0].url, '/api/events?topics=inventory');
  assert.equal(requests[0].authorization, 'Bearer tok');
  assert.ok(statuses.includes('fallback'), `statuses: ${statuses}`);
  assert.equal(frames[0]?.seq, 21);
  assert.equal(live.since, 21);
  live.stop();
});
