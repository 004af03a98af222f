// One live connection per tab: a WebSocket to /ws, or Server-Sent Events from /api/events
// when WebSockets are blocked. It keeps the last feed position it saw, and the store epoch that
// position belongs to, so a reconnect (or the tab becoming visible again) resumes with `since`
// and `epoch` and misses nothing; a store restored since answers `resync` instead of a gap. It follows the session
// too: warned that the access token is expiring, it refreshes it and re-authenticates on the
// open socket; a stream closed for an expired token reconnects quietly with a fresh one; a
// session that ended (logout, revoked, blocked) stops it and tells the app. It carries the
// screens' live queries too (`watch`): each folded here and handed over in its order, and
// resumed after a reconnect from the ids and versions held (README, "Live queries").

import { emptyResult, foldQuery, ordered, watchMessage } from './queries.js';

/** Seconds between reconnect attempts, growing to the last value. */
const defaultBackoff = [1, 2, 4, 8, 15];
/** WebSocket attempts that never opened before falling back to SSE. */
const failuresBeforeFallback = 2;
/** The `closed` codes that end the session, with their reasons; 4002 (`token_expired`) is renewed instead. */
const sessionEndCodes = { 4001: 'session_ended', 4003: 'user_blocked' };
const tokenExpired = 4002;

export class LiveConnection {
  /**
   * @param {object} options
   * @param {() => string|null} options.token the current access token
   * @param {(frame: object) => void} options.onFrame every server frame (events, resync, ready)
   * @param {(status: string) => void} options.onStatus 'connecting' | 'live' | 'fallback' | 'offline'
   * @param {() => Promise<void>} [options.refreshToken] renews the tokens (shared with the REST client's own refreshes)
   * @param {(reason: string) => void} [options.onSessionEnded] the server ended the session: 'session_ended' or 'user_blocked'
   * @param {number} [options.since] the feed position the loaded data reflects
   * @param {string} [options.epoch] the store epoch that position belongs to (the `ready` frame's)
   * @param {object} [options.environment] stand-ins for tests: `WebSocket`, `fetch`, `location`, `backoff` (seconds)
   */
  constructor({ token, onFrame, onStatus, refreshToken = async () => {}, onSessionEnded = () => {}, since = null, epoch = null, environment = {} }) {
    this.token = token;
    this.onFrame = onFrame;
    this.onStatus = onStatus;
    this.refreshToken = refreshToken;
    this.onSessionEnded = onSessionEnded;
    this.since = since;
    this.epoch = epoch;
    this.location = environment.location ?? globalThis.location;
    this.WebSocket = environment.WebSocket ?? globalThis.WebSocket;
    this.fetch = environment.fetch ?? globalThis.fetch?.bind(globalThis);
    this.backoff = environment.backoff ?? defaultBackoff;
    this.topics = new Set();
    this.view = null;
    this.socket = null;
    this.sse = null;
    this.attempt = 0;
    this.everOpened = false;
    this.stopped = false;
    this.timer = null;
    this.status = 'offline';
    this.signedInWith = null;  // the access token the open socket or stream was authenticated with
    this.expiresAt = null;     // when that token expires (RFC 3339), as the server said
    this.quiet = false;        // reconnecting for a fresh token: the status stays as it was
    this.watches = new Map();  // id → { query, result, onResult }
  }

  /**
   * Watches a live query: `onResult(records, result)` gets the records in the query's order at
   * once when some are already held, and again after every frame that changes them; `onResult(null,
   * error)` when the server refuses or ends the watch. Watching an id again replaces its query.
   */
  watch(id, query, onResult) {
    const previous = this.watches.get(id);
    const same = previous && JSON.stringify(previous.query) === JSON.stringify(query);
    const watch = { query, result: same ? previous.result : emptyResult(), onResult };
    this.watches.set(id, watch);
    if (same && watch.result.seq !== null) onResult(ordered(watch.result, query), watch.result);
    if (this.socket?.readyState === 1) this.send(watchMessage(id, query, watch.result));
    else if (this.sse) this.reconnectNow();
  }

  /** Stops watching `id`. */
  unwatch(id) {
    if (!this.watches.delete(id)) return;
    if (this.socket?.readyState === 1) this.send({ type: 'unwatch', id });
    else if (this.sse) this.reconnectNow();
  }

  /** Folds a live query's frame into its watch and hands the result on; true when the frame was one. */
  receiveQuery(frame) {
    const watch = typeof frame.id === 'string' ? this.watches.get(frame.id) : null;
    if (!watch) return frame.type === 'query_snapshot' || frame.type === 'query_diff';
    if (frame.type === 'error') {
      this.watches.delete(frame.id);
      watch.onResult(null, frame);
      return true;
    }
    if (frame.type !== 'query_snapshot' && frame.type !== 'query_diff') return false;
    // Diffs still queued for a query this id named before: the new query's first frame replaces all.
    if (frame.type === 'query_diff' && watch.result.seq === null && !frame.resumed) return true;
    watch.result = foldQuery(watch.result, frame);
    watch.onResult(ordered(watch.result, watch.query), watch.result);
    return true;
  }

  start() {
    this.stopped = false;
    this.connect();
    if (typeof document !== 'undefined') {
      this.visibility = () => {
        if (document.visibilityState === 'visible' && this.status !== 'live' && this.status !== 'fallback') this.reconnectNow();
      };
      document.addEventListener('visibilitychange', this.visibility);
    }
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.socket?.close(1000);
    this.sse?.abort();
    if (this.visibility) document.removeEventListener('visibilitychange', this.visibility);
    this.setStatus('offline');
  }

  /** The topics the current screen needs (plus those every screen needs); changes take effect at once. */
  setTopics(topics) {
    const wanted = new Set(topics);
    const added = [...wanted].filter((topic) => !this.topics.has(topic));
    const removed = [...this.topics].filter((topic) => !wanted.has(topic));
    this.topics = wanted;
    if (this.socket?.readyState === 1) {
      if (removed.length) this.send({ type: 'unsubscribe', topics: removed });
      if (added.length) this.send({ type: 'subscribe', topics: added });
    } else if (this.sse && (added.length || removed.length)) {
      this.reconnectNow();
    }
  }

  /** Tells the server what this tab looks at ("products/p3"), for presence; null for nothing in particular. */
  setView(view) {
    this.view = view;
    if (this.socket?.readyState === 1) this.send({ type: 'presence', view });
  }

  reconnectNow() {
    clearTimeout(this.timer);
    this.socket?.close(1000);
    this.socket = null;
    this.sse?.abort();
    this.sse = null;
    this.connect();
  }

  connect() {
    if (this.stopped) return;
    const token = this.token();
    if (!token) return;
    if (!this.quiet) this.setStatus('connecting');
    this.signedInWith = token;
    if (!this.everOpened && this.attempt >= failuresBeforeFallback) {
      this.connectEvents(token);
      return;
    }
    const scheme = this.location.protocol === 'https:' ? 'wss' : 'ws';
    let socket;
    try {
      socket = new this.WebSocket(`${scheme}://${this.location.host}/ws?token=${encodeURIComponent(token)}`);
    } catch {
      this.attempt += 1;
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      this.everOpened = true;
      this.attempt = 0;
    };
    socket.onmessage = (message) => {
      if (this.socket !== socket) return;
      let frame;
      try {
        frame = JSON.parse(message.data);
      } catch {
        return;
      }
      if (frame.type === 'ready') {
        this.quiet = false;
        this.setStatus('live');
        this.expiresAt = frame.expiresAt ?? null;
        if (this.since === null) {
          this.since = frame.seq;
          this.epoch = frame.epoch ?? null;
        }
        this.send({ type: 'subscribe', topics: [...this.topics], since: this.since, ...(this.epoch ? { epoch: this.epoch } : {}) });
        if (this.view) this.send({ type: 'presence', view: this.view });
        // After the subscribe, which may replace the server's subscription: the watches go on the new one.
        for (const [id, watch] of this.watches) this.send(watchMessage(id, watch.query, watch.result));
      } else if (frame.type === 'auth_expiring') {
        this.reauthenticate(socket);
      } else if (frame.type === 'auth_ok') {
        this.expiresAt = frame.expiresAt ?? null;
      } else if (frame.type === 'error' && !frame.id && /token|authenticated/.test(frame.code)) {
        this.refreshToken().catch(() => {});
      }
      if (this.receiveQuery(frame)) return;
      this.control(frame);
      this.track(frame);
      this.onFrame(frame);
      // The server closes right after these; the reason is acted on now, and the close is not a drop.
      const ending = frame.type === 'closed' ? frame.code : frame.type === 'error' && !frame.id ? sessionEndCode(frame.code) : null;
      if (ending) {
        this.socket = null;
        socket.close(1000);
        this.closedWith(ending);
      }
    };
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (!this.everOpened) this.attempt += 1;
      this.closedWith(event?.code);
    };
  }

  /**
   * The token is about to expire: a fresh one goes to the server on the open socket
   * (`{"type":"auth"}`, answered `auth_ok`), so nothing reconnects and nothing is missed.
   */
  async reauthenticate(socket) {
    let token;
    try {
      token = await this.freshToken();
    } catch {
      // A refused refresh signs the app out; after a network failure the server closes at
      // expiry (4002) and the reconnect tries again.
      return;
    }
    if (this.socket !== socket || socket.readyState !== 1 || !token) return;
    this.signedInWith = token;
    this.send({ type: 'auth', token });
  }

  /** A token newer than the connection's: the stored one when the app refreshed meanwhile, else a refresh. */
  async freshToken() {
    if (this.token() === this.signedInWith) await this.refreshToken();
    return this.token();
  }

  /** What the server's `closed` code (or the close frame's) asks for: a fresh token, the end of the session, or a retry. */
  closedWith(code) {
    if (sessionEndCodes[code]) this.end(sessionEndCodes[code]);
    // A fresh token refused as well waits its turn like any failure, rather than refresh in a loop.
    else if (code === tokenExpired && !this.quiet) this.renew();
    else this.scheduleReconnect();
  }

  /** Reconnects with a fresh token, the status unchanged: a token's expiry is not a lost connection. */
  async renew() {
    this.quiet = true;
    try {
      await this.freshToken();
    } catch {
      // Refused: the REST client signs the app out (and stops this). Offline: retry as after any drop.
      this.scheduleReconnect();
      return;
    }
    clearTimeout(this.timer);
    this.connect();
  }

  /** The session is over: no reconnect, and the app is told why. */
  end(reason) {
    if (this.stopped) return;
    this.stop();
    this.onSessionEnded(reason);
  }

  /** Frames about the connection itself that both transports carry. */
  control(frame) {
    if (frame.type === 'access' && Array.isArray(frame.topics)) {
      // What the server still sends after a role change; the screens' next setTopics asks again for the rest.
      this.topics = new Set(frame.topics);
    }
  }

  /** SSE over fetch (an EventSource cannot send the Authorization header). */
  async connectEvents(token) {
    const controller = new AbortController();
    this.sse = controller;
    const query = new URLSearchParams({ topics: [...this.topics].join(',') });
    if (this.since !== null) query.set('since', String(this.since));
    if (this.since !== null && this.epoch) query.set('epoch', this.epoch);
    for (const [id, watch] of this.watches) {
      const { type, ...request } = watchMessage(id, watch.query, watch.result);
      query.append('watch', JSON.stringify(request));
    }
    try {
      const response = await this.fetch(`/api/events?${query}`, { headers: { Authorization: `Bearer ${token}` }, signal: controller.signal });
      if (response.status === 401 || response.status === 403) {
        const ending = sessionEndCode(await errorCode(response)) ?? (response.status === 401 ? tokenExpired : null);
        if (this.sse !== controller) return;
        this.sse = null;
        this.closedWith(ending);
        return;
      }
      if (!response.ok || !response.body) throw new Error(`events: ${response.status}`);
      this.quiet = false;
      this.setStatus('fallback');
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      const parser = new EventStreamParser((data) => {
        if (this.sse !== controller) return;
        let frame;
        try {
          frame = JSON.parse(data);
        } catch {
          return;
        }
        // A stream cannot re-authenticate: the fresh token is made ready for the reconnect at expiry.
        if (frame.type === 'auth_expiring') this.freshToken().catch(() => {});
        if (this.receiveQuery(frame)) return;
        this.control(frame);
        this.track(frame);
        this.onFrame(frame);
        if (frame.type === 'closed') {
          this.sse = null;
          controller.abort();
          this.closedWith(frame.code);
        }
      });
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parser.push(value);
      }
    } catch {
      if (controller.signal.aborted) return;
    }
    if (this.sse === controller) {
      this.sse = null;
      this.scheduleReconnect();
    }
  }

  /** Keeps the feed position and its epoch: from a stream's `ready` when there was none, then from each event. */
  track(frame) {
    if (frame.type === 'ready' && this.since === null && typeof frame.seq === 'number') {
      this.since = frame.seq;
      this.epoch = frame.epoch ?? null;
    }
    if (frame.type === 'event' && frame.topic !== 'presence' && typeof frame.seq === 'number') {
      this.since = Math.max(this.since ?? 0, frame.seq);
    }
    if (frame.type === 'resync') {
      // Reloaded from REST; the next `ready` gives the position and epoch to follow from.
      this.since = null;
      this.epoch = null;
    }
  }

  scheduleReconnect() {
    if (this.stopped) return;
    this.quiet = false;
    this.setStatus('offline');
    const seconds = this.backoff[Math.min(this.attempt, this.backoff.length - 1)];
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), seconds * 1000);
  }

  send(message) {
    this.socket?.send(JSON.stringify(message));
  }

  setStatus(status) {
    if (status === this.status) return;
    this.status = status;
    this.onStatus(status);
  }
}

/** The close code for an error code that ends the session ('session_ended' → 4001, 'user_blocked' → 4003), or null. */
function sessionEndCode(code) {
  const found = Object.entries(sessionEndCodes).find(([, reason]) => reason === code);
  return found ? Number(found[0]) : null;
}

/** The contract's error code from a refusal's body, or null. */
async function errorCode(response) {
  try {
    return (await response.json())?.error?.code ?? null;
  } catch {
    return null;
  }
}

/** Splits a text/event-stream into its events' `data`, chunk by chunk (lines may arrive split). */
export class EventStreamParser {
  constructor(onData) {
    this.onData = onData;
    this.buffer = '';
    this.data = [];
  }

  push(chunk) {
    this.buffer += chunk;
    let newline;
    while ((newline = this.buffer.search(/\r\n|\n|\r/)) >= 0) {
      const line = this.buffer.slice(0, newline);
      this.buffer = this.buffer.slice(newline + (this.buffer.startsWith('\r\n', newline) ? 2 : 1));
      this.line(line);
    }
  }

  line(line) {
    if (line === '') {
      if (this.data.length) this.onData(this.data.join('\n'));
      this.data = [];
    } else if (line.startsWith('data:')) {
      this.data.push(line.slice(5).replace(/^ /, ''));
    }
  }
}
