// The MiniApp without a connection: the service worker (sw.js) that keeps the shell and the
// last data, the banner that says the app is offline and how old what it shows is, and the
// outbox (outbox.js) of writes that wait for the server, shown in a panel above the screen
// with each refusal against its item and the ways to drop or fix it.

import { ApiError } from './api.js';
import { h, replace, toast } from './dom.js';
import { isTransient, openStorage, Outbox } from './outbox.js';

/** While writes wait, how often to try the server again when no event says it is back (Telegram's webviews do not always fire `online`). */
const retryEveryMs = 10_000;

export class OfflineMode {
  constructor(app) {
    this.app = app;
    this.offline = false;
    /** The oldest cached answer the screen on show was drawn from (ISO), or null when it is fresh. */
    this.cachedAt = null;
    /** When the server last answered (ISO): how old the screen is once the connection drops. */
    this.freshAt = null;
    this.outbox = null;
    this.banner = document.getElementById('offline');
    this.panel = document.getElementById('outbox');
    window.addEventListener('online', () => this.probe());
    window.addEventListener('offline', () => this.setOffline(true));
    setInterval(() => { if (this.outbox?.queued.length) this.probe(); }, retryEveryMs);
  }

  /** Registers the service worker (served at the root, so its scope is the whole app). */
  register() {
    // Absent in old webviews and on plain-HTTP origins other than localhost: the app then works online only.
    const workers = navigator.serviceWorker;
    if (!workers) return;
    // On the first visit the worker takes over a page that has already asked for /api/auth/me:
    // ask again through it, so an offline reload can start. (The screen on show is not drawn
    // again, which would throw away what the person is typing; the next screen fills the cache.)
    if (!workers.controller) {
      workers.addEventListener('controllerchange', () => {
        if (this.app.phase === 'running') this.app.api.get('/api/auth/me').catch(() => {});
      }, { once: true });
    }
    workers.register(new URL('../sw.js', import.meta.url), { scope: '/' }).catch((error) => console.warn('service worker:', error));
  }

  /** After sign-in: the person's queue, from IndexedDB (what they queued before a reload is still there). */
  async start(userId) {
    this.outbox = new Outbox({
      storage: await openStorage(),
      owner: userId ?? null,
      send: (item) => this.app.api.request(item.method, item.path, { body: item.body, idempotencyKey: item.id }),
      onChange: () => this.renderOutbox(),
    });
    await this.outbox.load();
    this.renderOutbox();
    if (this.outbox.queued.length) this.flush();
  }

  /** The session ended: its queue stays stored for when the same person signs in again, its data goes. */
  signedOut() {
    this.outbox = null;
    this.panel.hidden = true;
    this.cachedAt = null;
    this.setOffline(false);
    globalThis.caches?.delete('tenda-data');
  }

  /** A new screen is drawn: its data's age starts over. */
  screenShown() {
    this.cachedAt = null;
    this.renderBanner();
  }

  /** Every API answer (api.js's onAnswer): a cached one means offline; a fresh one, online. */
  answered({ cachedAt = null, failed = false }) {
    if (cachedAt) {
      if (!this.cachedAt || cachedAt < this.cachedAt) this.cachedAt = cachedAt;
      this.setOffline(true);
      this.renderBanner();  // the screen's oldest data may be older than what the banner says
    } else if (failed) {
      this.setOffline(true);
    } else {
      this.freshAt = new Date().toISOString();
      if (this.offline) this.backOnline();
    }
  }

  /** The live connection's state: up means the server is reachable again. */
  connection(status) {
    if ((status === 'live' || status === 'fallback') && this.offline) this.backOnline();
  }

  /** Asks the server whether it is back (the cheapest signed-in GET); an answer brings the app back online. */
  async probe() {
    if (this.outbox?.queued.length) await this.flush();
    if (!this.offline) return;
    try {
      await this.app.api.get('/api/auth/me');
    } catch {
      // Still offline: the banner stays.
    }
  }

  setOffline(offline) {
    if (this.offline === offline) return;
    this.offline = offline;
    this.renderBanner();
    // A socket opened before the drop may look alive for a while; a fresh attempt tells the
    // connection indicator the truth (and its coming back up is a sign the server is back).
    if (offline) this.app.live?.reconnectNow();
  }

  /**
   * The server answers again: send what waited, then, when the screen was drawn from the cache,
   * draw it again from fresh data. A screen that was fresh when the connection dropped is not
   * redrawn (that would throw away what the person is typing): the live connection resumes with
   * `since` and brings it up to date in place.
   */
  async backOnline() {
    const stale = this.cachedAt !== null;
    this.offline = false;
    this.cachedAt = null;
    this.renderBanner();
    await this.flush();
    this.app.live?.reconnectNow();
    if (stale) this.app.redraw();
  }

  /**
   * Sends a money or stock write the person just made (`key` made when they pressed), or
   * queues it when the server cannot be reached now. Answers the server's result, or
   * `{queued: item}` when the write was queued (the person has been told). A refusal is thrown, as before: the
   * screen shows it at once. Anything already queued goes first, so writes keep their order.
   */
  async write({ kind, path, body, key, label }) {
    const app = this.app;
    if (!this.outbox?.items.some((item) => item.state === 'queued') && navigator.onLine !== false) {
      try {
        return await app.api.post(path, body, { idempotencyKey: key });
      } catch (error) {
        // A 401 here means the session could not be renewed: that is the sign-in screen's business.
        if (!(error instanceof ApiError) || !isTransient(error) || error.status === 401) throw error;
      }
    }
    const item = await this.outbox.add({ kind, path, body, label, key });
    app.tg.haptic('warning');
    toast(app.t('outbox.queuedToast'));
    if (navigator.onLine !== false) this.flush();
    return { queued: item };
  }

  /** Replays the queue and says what happened to it. */
  async flush() {
    if (this.outbox) this.report(await this.outbox.flush());
  }

  /** Tells the person what a replay did (`{sent, refused, waiting}` from the outbox). */
  report(outcome) {
    // Callers that joined one replay get the same outcome object: say it once.
    if (!outcome || outcome === this.reported) return;
    this.reported = outcome;
    if (outcome.sent) toast(this.app.t('outbox.sent', { n: outcome.sent }), 'success');
    if (outcome.refused) {
      this.app.tg.haptic('error');
      toast(this.app.t('outbox.refusedToast', { n: outcome.refused }), 'error');
    }
    if (outcome.waiting) this.setOffline(true);
  }

  renderBanner() {
    const t = this.app.t;
    this.banner.hidden = !this.offline;
    if (!this.offline) return;
    const at = this.cachedAt ?? this.freshAt;
    this.banner.dataset.dataAt = at ?? '';
    this.banner.textContent = at ? t('offline.banner', { time: this.app.dateTime(at), ago: this.app.ago(at) }) : t('offline.bannerNoData');
  }

  /** The waiting writes, oldest first, each with its state; a refused one with the server's words and its buttons. */
  renderOutbox() {
    const app = this.app;
    const t = app.t;
    const items = this.outbox?.items ?? [];
    this.panel.hidden = items.length === 0;
    if (!items.length) return replace(this.panel);
    replace(this.panel,
      h('h2', {}, t('outbox.title', { n: items.length })),
      h('ul', { class: 'list' }, items.map((item) => {
        const refused = item.state === 'refused';
        const sending = this.outbox.sendingId === item.id;
        const state = refused ? t('outbox.refused', { reason: this.refusalText(item) }) : sending ? t('outbox.sending') : t('outbox.queued');
        const fixed = refused ? this.fixFor(item) : null;
        return h('li', { class: `row spread outbox-item${refused ? ' refused' : ''}`, dataset: { outboxItem: item.id, state: refused ? 'refused' : sending ? 'sending' : 'queued' } },
          h('span', {}, h('strong', {}, `${t(`outbox.kind.${item.kind}`)}: `), item.label, h('br'),
            h('small', { class: refused ? 'low' : 'muted' }, `${app.dateTime(item.createdAt)} · ${state}`)),
          refused ? h('span', { class: 'row' },
            fixed ? h('button', { type: 'button', dataset: { action: 'fix' }, onclick: () => this.outbox.fix(item.id, fixed.body, fixed.label).then((outcome) => this.report(outcome)) }, t('outbox.fix')) : null,
            h('button', { type: 'button', dataset: { action: 'retry' }, onclick: () => this.outbox.retry(item.id).then((outcome) => this.report(outcome)) }, t('outbox.retry')),
            h('button', { type: 'button', class: 'danger', dataset: { action: 'drop' }, onclick: () => this.outbox.drop(item.id) }, t('outbox.drop'))) : null);
      })));
  }

  /** The server's refusal in words; short stock names what is left of each item. */
  refusalText(item) {
    const t = this.app.t;
    const error = item.error ?? {};
    if (error.code === 'insufficient_stock' && error.items?.length) {
      const names = this.app.state.products ?? {};
      return `${t('purchase.short')} ${error.items.map((short) => t('purchase.shortItem', {
        name: names[short.productId]?.name ?? short.productId, requested: short.requested, available: short.available,
      })).join('; ')}`;
    }
    return `${error.message} (${error.code})`;
  }

  /** For a purchase or an order refused for short stock: the same lines cut to what is left (none when nothing is). */
  fixFor(item) {
    const error = item.error ?? {};
    if (error.code !== 'insufficient_stock' || !error.items?.length || !Array.isArray(item.body?.items)) return null;
    const available = new Map(error.items.map((short) => [short.productId, short.available]));
    const lines = item.body.items
      .map((line) => ({ ...line, quantity: Math.min(line.quantity, available.get(line.productId) ?? line.quantity) }))
      .filter((line) => line.quantity > 0);
    if (!lines.length) return null;
    const names = this.app.state.products ?? {};
    const buyer = item.body.buyerId ? ` → ${this.app.users.name(item.body.buyerId)}` : '';
    const label = lines.map((line) => `${line.quantity} × ${names[line.productId]?.name ?? line.productId}`).join(', ') + buyer;
    return { body: { ...item.body, items: lines }, label };
  }
}
