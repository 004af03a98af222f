import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventStreamParser } from '../js/live.js';

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
