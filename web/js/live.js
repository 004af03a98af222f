// One live connection per tab: a WebSocket to /ws, or Server-Sent Events from /api/events
// when WebSockets are blocked. It keeps the last feed position it saw, so a reconnect (or the
// tab becoming visible again) resumes with `since` and misses nothing.

/** Seconds between reconnect attempts, growing to the last value. */
const defaultBackoff = [1, 2, 4, 8, 15];
/** WebSocket attempts that never opened before falling back to SSE. */
const failuresBeforeFallback = 2;

export class LiveConnection {
  /**
   * @param {object} options
   * @param {() => string|null} options.token the current access token
   * @param {(frame: object) => void} options.onFrame every server frame (events, resync, ready)
   * @param {(status: string) => void} options.onStatus 'connecting' | 'live' | 'fallback' | 'offline'
   * @param {() => Promise<void>} [options.refreshToken] renews the token after the socket refused it
   * @param {number} [options.since] the feed position the loaded data reflects
   * @param {object} [options.environment] stand-ins for tests: `WebSocket`, `fetch`, `location`, `backoff` (seconds)
   */
  constructor({ token, onFrame, onStatus, refreshToken = async () => {}, since = null, environment = {} }) {
    this.token = token;
    this.onFrame = onFrame;
    this.onStatus = onStatus;
    this.refreshToken = refreshToken;
    this.since = since;
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
    this.setStatus('connecting');
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
      let frame;
      try {
        frame = JSON.parse(message.data);
      } catch {
        return;
      }
      if (frame.type === 'ready') {
        this.setStatus('live');
        if (this.since === null) this.since = frame.seq;
        this.send({ type: 'subscribe', topics: [...this.topics], since: this.since });
        if (this.view) this.send({ type: 'presence', view: this.view });
      } else if (frame.type === 'error' && !frame.id && /token|authenticated/.test(frame.code)) {
        this.refreshToken().catch(() => {});
      }
      this.track(frame);
      this.onFrame(frame);
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (!this.everOpened) this.attempt += 1;
      this.scheduleReconnect();
    };
  }

  /** SSE over fetch (an EventSource cannot send the Authorization header). */
  async connectEvents(token) {
    const controller = new AbortController();
    this.sse = controller;
    const query = new URLSearchParams({ topics: [...this.topics].join(',') });
    if (this.since !== null) query.set('since', String(this.since));
    try {
      const response = await this.fetch(`/api/events?${query}`, { headers: { Authorization: `Bearer ${token}` }, signal: controller.signal });
      if (response.status === 401) await this.refreshToken();
      if (!response.ok || !response.body) throw new Error(`events: ${response.status}`);
      this.setStatus('fallback');
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      const parser = new EventStreamParser((data) => {
        let frame;
        try {
          frame = JSON.parse(data);
        } catch {
          return;
        }
        this.track(frame);
        this.onFrame(frame);
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

  track(frame) {
    if (frame.type === 'event' && frame.topic !== 'presence' && typeof frame.seq === 'number') {
      this.since = Math.max(this.since ?? 0, frame.seq);
    }
    if (frame.type === 'resync') this.since = null;
  }

  scheduleReconnect() {
    if (this.stopped) return;
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
