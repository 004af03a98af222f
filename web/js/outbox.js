// Writes made while the server cannot be reached — a purchase, a payment, a stock change, an
// order — wait here, in IndexedDB, and are sent in the order they were made once it can.
//
// Each item carries the Idempotency-Key made when the person pressed the button, and keeps it
// through every retry and reload: the server answers a repeat with the first result, so a
// write whose answer was lost (the connection dropped after the server committed) is sent
// again safely and still happens once. An HTTP answer settles the item: success removes it, a
// refusal (409 short stock, 412 stale version, 403 lost role …) keeps it, marked refused with
// the server's error, until the person drops it or fixes and resends it. A network failure,
// and the answers that say "not now" rather than "no" (401 while the session is renewed, 408,
// 429, 5xx), keep it queued and stop the replay, so nothing overtakes it.
//
// No DOM: the storage and the sender are passed in, so node --test drives the logic with a
// Map-backed storage and a stand-in sender.

import { idempotencyKey } from './api.js';

/** The kinds of write the queue takes, for the texts that name them. */
export const outboxKinds = ['purchase', 'payment', 'stock', 'order'];

/** True when an error means "try again later" rather than a refusal of this write. */
export function isTransient(error) {
  const status = error?.status ?? 0;
  return status === 0 || status === 401 || status === 408 || status === 429 || status >= 500;
}

export class Outbox {
  /**
   * @param {object} options
   * @param {{all(): Promise<object[]>, put(item): Promise<void>, delete(id): Promise<void>}} options.storage where items live
   * @param {(item) => Promise<any>} options.send sends one item (with `item.id` as its Idempotency-Key); throws ApiError
   * @param {string|null} [options.owner] the signed-in user: only their items are shown and sent
   * @param {() => void} [options.onChange] called after any change to the items
   * @param {(item, result) => void} [options.onSent] called with each item the server accepted
   * @param {LockManager} [options.locks] Web Locks: tabs sharing the queue replay one at a time
   * @param {() => number} [options.now] the clock, in milliseconds
   */
  constructor({ storage, send, owner = null, onChange = () => {}, onSent = () => {}, locks = globalThis.navigator?.locks, now = () => Date.now() }) {
    this.storage = storage;
    this.send = send;
    this.owner = owner;
    this.onChange = onChange;
    this.onSent = onSent;
    this.locks = locks;
    this.now = now;
    this.items = [];
    this.sendingId = null;
    this.flushing = null;
  }

  /** Reads the stored items (after a reload they are still there). Answers the owner's items, oldest first. */
  async load() {
    const all = await this.storage.all();
    this.items = all.filter((item) => item.owner === this.owner).sort((a, b) => a.seq - b.seq);
    return this.items;
  }

  /** Items still to be sent (not refused). */
  get queued() { return this.items.filter((item) => item.state === 'queued'); }

  get refused() { return this.items.filter((item) => item.state === 'refused'); }

  /**
   * Queues a write. `key` is the Idempotency-Key made when the person pressed the button (a
   * write first tried directly and lost to the network keeps the key it was sent with).
   */
  async add({ kind, path, body, label = '', key = idempotencyKey(), method = 'POST' }) {
    const all = await this.storage.all();
    // After the newest stored item, and not before the clock: the queue's order is the order of the presses.
    const seq = Math.max(this.now(), ...all.map((item) => item.seq + 1));
    const item = { id: key, seq, owner: this.owner, kind, method, path, body, label, createdAt: new Date(this.now()).toISOString(), state: 'queued', error: null };
    await this.storage.put(item);
    await this.load();
    this.onChange();
    return item;
  }

  /** Forgets a refused (or still queued) item: it will never be sent. */
  async drop(id) {
    await this.storage.delete(id);
    await this.load();
    this.onChange();
  }

  /** Sends a refused item again as it was, with its own key (the server may now accept it: stock arrived, role given back). */
  async retry(id) {
    const item = this.items.find((known) => known.id === id);
    if (!item) return;
    await this.storage.put({ ...item, state: 'queued', error: null });
    await this.load();
    this.onChange();
    return this.flush();
  }

  /**
   * Sends a refused item again with a corrected body (fewer units after a short-stock refusal).
   * A corrected write is a new decision, so it gets a new key; it keeps its place in the line.
   */
  async fix(id, body, label) {
    const item = this.items.find((known) => known.id === id);
    if (!item) return;
    await this.storage.delete(id);
    await this.storage.put({ ...item, id: idempotencyKey(), body, label: label ?? item.label, state: 'queued', error: null });
    await this.load();
    this.onChange();
    return this.flush();
  }

  /**
   * Sends the queued items one at a time, oldest first, until none is left or one cannot be
   * sent now. Concurrent calls share one replay; tabs take turns through Web Locks. Answers
   * `{sent, refused, waiting}`: how many went through, how many were refused, whether the
   * replay stopped on a transient failure.
   */
  flush() {
    if (!this.flushing) {
      const replay = () => this.replay();
      this.flushing = (this.locks ? this.locks.request('tenda.outbox', replay) : replay()).finally(() => {
        this.flushing = null;
      });
    }
    return this.flushing;
  }

  async replay() {
    const outcome = { sent: 0, refused: 0, waiting: false };
    // Read again before each item: another tab may have sent some, and the person may have
    // queued more while this replay ran.
    for (;;) {
      const item = (await this.load()).find((known) => known.state === 'queued');
      if (!item) break;
      this.sendingId = item.id;
      this.onChange();
      try {
        const result = await this.send(item);
        await this.storage.delete(item.id);
        outcome.sent += 1;
        this.onSent(item, result);
      } catch (error) {
        if (isTransient(error)) {
          outcome.waiting = true;
          break;
        }
        await this.storage.put({ ...item, state: 'refused', error: errorOf(error) });
        outcome.refused += 1;
      } finally {
        this.sendingId = null;
      }
    }
    await this.load();
    this.onChange();
    return outcome;
  }
}

/** What a refusal says, kept with the item (an Error does not survive IndexedDB as itself). */
function errorOf(error) {
  return { status: error?.status ?? 0, code: error?.code ?? 'error', message: error?.message ?? String(error), items: error?.items ?? [] };
}

/** The queue in memory, for a browser without IndexedDB (some private modes): it lasts as long as the tab. */
export class MemoryStorage {
  constructor() { this.map = new Map(); }
  async all() { return [...this.map.values()].map((item) => structuredClone(item)); }
  async put(item) { this.map.set(item.id, structuredClone(item)); }
  async delete(id) { this.map.delete(id); }
}

/** The queue in IndexedDB (database `tenda`, store `outbox`, keyed by the item's Idempotency-Key). */
export class IndexedDBStorage {
  constructor(indexedDB = globalThis.indexedDB, name = 'tenda') {
    this.opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(name, 1);
      request.onupgradeneeded = () => request.result.createObjectStore('outbox', { keyPath: 'id' });
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  async run(mode, work) {
    const db = await this.opening;
    return new Promise((resolve, reject) => {
      const transaction = db.transaction('outbox', mode);
      const request = work(transaction.objectStore('outbox'));
      transaction.oncomplete = () => resolve(request?.result);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
  }

  all() { return this.run('readonly', (store) => store.getAll()); }
  put(item) { return this.run('readwrite', (store) => store.put(item)).then(() => undefined); }
  delete(id) { return this.run('readwrite', (store) => store.delete(id)).then(() => undefined); }
}

/** IndexedDB when the browser has it and lets it open; memory otherwise. */
export async function openStorage() {
  if (!globalThis.indexedDB) return new MemoryStorage();
  try {
    const storage = new IndexedDBStorage();
    await storage.opening;
    return storage;
  } catch {
    return new MemoryStorage();
  }
}
