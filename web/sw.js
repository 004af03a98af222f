// The MiniApp's service worker: it keeps the app shell and the last answer of each GET /api
// the screens asked, so the MiniApp opens, and shows what it last saw, with no connection.
//
// Served from the root (/sw.js), so its scope is the whole app without a Service-Worker-Allowed
// header. Both caches are network-first: online, every file and every answer comes from the
// server as before (the files are `no-cache`, a 304 is cheap) and refreshes the cache; only a
// failed request falls back to the cache. A cached API answer carries `X-Tenda-Cached-At` (when
// the server gave it), which is how the page knows it is offline and how old what it shows is.
// Writes (POST, PATCH, DELETE) are never touched: the page's outbox (js/outbox.js) handles them.

const shellCache = 'tenda-shell-v1';
/** The API answers of the signed-in person; app.js deletes it on sign-out. */
const dataCache = 'tenda-data';

/** Every file of the app shell (web/tests/sw.test.js checks the list against web/). */
const shellFiles = [
  './', 'index.html', 'styles.css', 'icon.svg',
  'js/api.js', 'js/app.js', 'js/bulk.js', 'js/charts.js', 'js/directory.js', 'js/dom.js', 'js/format.js', 'js/i18n.js', 'js/live.js',
  'js/media.js', 'js/notices.js', 'js/outbox.js', 'js/offline.js', 'js/people.js', 'js/queries.js', 'js/refunds.js', 'js/reminders.js', 'js/reportfiles.js', 'js/signin.js', 'js/state.js',
  'js/stockhistory.js', 'js/summary.js', 'js/telegram.js',
  'js/screens/audit.js', 'js/screens/console.js', 'js/screens/contracts.js', 'js/screens/dashboard.js', 'js/screens/debts.js',
  'js/screens/index.js', 'js/screens/notifications.js', 'js/screens/orders.js', 'js/screens/products.js',
  'js/screens/purchase.js', 'js/screens/reports.js', 'js/screens/sales.js', 'js/screens/sessions.js', 'js/screens/users.js',
  'app-config.json',
];
/** Cached when the server has them; the app works without (charts stay empty). */
const optionalFiles = ['vendor/chart.js'];
/** Telegram's script, loaded by telegram.js inside Telegram; kept so the MiniApp opens there offline too. */
const telegramScript = 'https://telegram.org/js/telegram-web-app.js';

/** The paths of the shell's files; nothing else outside /api is touched (/docs, /metrics, /media go to the network as usual). */
const shellPaths = new Set([...shellFiles, ...optionalFiles].map((file) => new URL(file, self.location).pathname));

/** API paths whose answers are never kept: streams, long polls, sign-in and token traffic. */
const uncachedAPI = [/^\/api\/events/, /^\/api\/changes/, /^\/api\/auth\/(?!me$)/, /^\/api\/reports\/export/];

/** How long a request may hang (a connection that is up but carries nothing) before the cache answers. */
const networkTimeoutMs = 8000;

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(shellCache);
    // `no-cache`: the browser's HTTP cache may hold an older copy of a file.
    await cache.addAll(shellFiles.map((file) => new Request(file, { cache: 'no-cache' })));
    await Promise.all(optionalFiles.map((file) => cache.add(new Request(file, { cache: 'no-cache' })).catch(() => {})));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) if (name !== shellCache && name !== dataCache) await caches.delete(name);
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.href === telegramScript) {
    event.respondWith(networkFirst(request, shellCache, { key: telegramScript }));
  } else if (url.origin !== self.location.origin) {
    return;
  } else if (url.pathname.startsWith('/api/')) {
    if (uncachedAPI.some((pattern) => pattern.test(url.pathname))) return;
    event.respondWith(networkFirst(request, dataCache, { stamp: true }));
  } else if (!shellPaths.has(url.pathname)) {
    return;
  } else if (request.mode === 'navigate') {
    // The app's page at any address (with ?code=, with a #/screen) opens from the one kept copy.
    event.respondWith(networkFirst(request, shellCache, { fallback: 'index.html' }));
  } else {
    event.respondWith(networkFirst(request, shellCache, { ignoreSearch: true }));
  }
});

/**
 * The server's answer, kept in `cacheName` when it is a success; the kept one when the
 * server cannot be reached (or hangs past networkTimeoutMs). `stamp` adds X-Tenda-Cached-At.
 */
async function networkFirst(request, cacheName, { stamp = false, fallback = null, ignoreSearch = false, key = request } = {}) {
  const cache = await caches.open(cacheName);
  try {
    const response = await fetchWithin(request, networkTimeoutMs);
    // A 200 (or Telegram's opaque script); an error answer is the server's word and is passed on, not kept.
    if (response.ok || response.type === 'opaque') await cache.put(key, stamp ? await stamped(response.clone()) : response.clone());
    return response;
  } catch (error) {
    const kept = (await cache.match(key, { ignoreSearch })) ?? (fallback ? await cache.match(fallback) : undefined);
    if (kept) return kept;
    throw error;
  }
}

/** fetch(request), or a failure after `milliseconds`. (Not an AbortSignal: a navigation's Request cannot take one.) */
function fetchWithin(request, milliseconds) {
  let timer;
  const late = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('no answer in time')), milliseconds); });
  return Promise.race([fetch(request), late]).finally(() => clearTimeout(timer));
}

/** A copy of a response whose headers say when it was received. */
async function stamped(response) {
  const headers = new Headers(response.headers);
  // The body below is the decoded one: what the wire carried no longer describes it.
  headers.delete('Content-Encoding');
  headers.delete('Content-Length');
  headers.set('X-Tenda-Cached-At', new Date().toISOString());
  return new Response(await response.blob(), { status: response.status, statusText: response.statusText, headers });
}
