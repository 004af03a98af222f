import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

const web = new URL('../', import.meta.url);

/** The files the service worker precaches, read from sw.js (a classic worker script: it cannot export). */
function shellFiles() {
  const source = readFileSync(new URL('sw.js', web), 'utf8');
  const list = source.match(/const shellFiles = \[([\s\S]*?)\];/)?.[1];
  assert.ok(list, 'sw.js declares shellFiles');
  return [...list.matchAll(/'([^']+)'/g)].map((match) => match[1]);
}

test('the service worker precaches every file of the app shell, and only files that exist', () => {
  const files = shellFiles();
  const onDisk = ['index.html', 'styles.css', 'icon.svg',
    ...readdirSync(new URL('js/', web)).filter((name) => name.endsWith('.js')).map((name) => `js/${name}`),
    ...readdirSync(new URL('js/screens/', web)).filter((name) => name.endsWith('.js')).map((name) => `js/screens/${name}`)];
  // The root (index.html by another name) and the server's app-config.json are not files of web/.
  assert.deepEqual(files.filter((file) => file !== './' && file !== 'app-config.json').sort(), onDisk.sort());
  assert.ok(files.includes('./') && files.includes('app-config.json'));
});
