// The REST client: bearer tokens, one silent refresh when an access token has expired, and
// the contract's errors as ApiError values. No DOM: `fetch` and the token store are passed
// in, so node --test drives it with stand-ins.

/** A refusal from the server (`{"error": {"code", "message", "field", "items"}}`) or a network failure (status 0). */
export class ApiError extends Error {
  constructor(status, code, message, { field = null, items = [], body = null } = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
    this.items = items;
    this.body = body;
  }
}

/** Tokens kept in a Storage (localStorage in a browser, a Map-backed stand-in in tests). */
export class TokenStore {
  constructor(storage, key = 'tenda.session') {
    this.storage = storage;
    this.key = key;
  }

  load() {
    try {
      return JSON.parse(this.storage.getItem(this.key) ?? 'null');
    } catch {
      return null;
    }
  }

  save(tokens) {
    this.storage.setItem(this.key, JSON.stringify({ accessToken: tokens.accessToken, refreshToken: tokens.refreshToken }));
  }

  clear() {
    this.storage.removeItem(this.key);
  }
}

const signInPaths = new Set(['/api/auth/telegram', '/api/auth/code', '/api/auth/widget', '/api/auth/refresh']);

export class ApiClient {
  /**
   * @param {object} options
   * @param {TokenStore} options.tokens where the session's tokens live
   * @param {Function} [options.fetch] the fetch to call (tests pass a stand-in)
   * @param {string} [options.baseURL] prefix for paths ('' = this origin)
   * @param {Function} [options.onSignedOut] called with the refusal (null after a logout) once the session is gone
   * @param {LockManager} [options.locks] Web Locks (navigator.locks): tabs sharing the tokens refresh one at a time
   * @param {Function} [options.onAnswer] told of every answer: `{path, cachedAt}` (cachedAt: the service worker answered
   *   from its cache, offline, with data received then) or `{path, failed: true}` when the server could not be reached
   */
  constructor({ tokens, fetch = globalThis.fetch?.bind(globalThis), baseURL = '', onSignedOut = () => {}, locks = globalThis.navigator?.locks,
    onAnswer = () => {} }) {
    this.onAnswer = onAnswer;
    this.tokens = tokens;
    this.fetch = fetch;
    this.baseURL = baseURL;
    this.onSignedOut = onSignedOut;
    this.locks = locks;
    this.refreshing = null;
  }

  get accessToken() {
    return this.tokens.load()?.accessToken ?? null;
  }

  get signedIn() {
    return this.accessToken !== null;
  }

  get(path, options) { return this.request('GET', path, options); }

  /** Every item of a list route, following `next` cursors page by page. */
  async all(path, pageSize = 200) {
    const items = [];
    const separator = path.includes('?') ? '&' : '?';
    let cursor = null;
    do {
      const page = await this.get(`${path}${separator}limit=${pageSize}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      items.push(...page.items);
      cursor = page.next;
    } while (cursor);
    return items;
  }
  post(path, body, options) { return this.request('POST', path, { ...options, body }); }
  patch(path, body, options) { return this.request('PATCH', path, { ...options, body }); }
  put(path, body, options) { return this.request('PUT', path, { ...options, body }); }
  delete(path, options) { return this.request('DELETE', path, options); }

  /**
   * Sends one request and answers its decoded JSON (or text for non-JSON answers, null for 204).
   * A 401 on a signed-in request refreshes the tokens once and retries; a refused refresh signs out.
   */
  async request(method, path, { body, ifMatch, idempotencyKey, headers = {}, form, blob = false } = {}) {
    const send = async () => {
      const sent = { ...headers };
      const token = this.accessToken;
      if (token && !signInPaths.has(path)) sent.Authorization = `Bearer ${token}`;
      if (ifMatch !== undefined) sent['If-Match'] = String(ifMatch);
      if (idempotencyKey) sent['Idempotency-Key'] = idempotencyKey;
      let payload;
      if (form) {
        payload = form;
      } else if (body !== undefined) {
        sent['Content-Type'] = 'application/json';
        payload = JSON.stringify(body);
      }
      try {
        return await this.fetch(this.baseURL + path, { method, headers: sent, body: payload });
      } catch (error) {
        this.onAnswer({ path, failed: true });
        throw new ApiError(0, 'network', error?.message || 'network error');
      }
    };
    let response = await send();
    if (response.status === 401 && !signInPaths.has(path) && this.tokens.load()?.refreshToken) {
      await this.refresh();
      response = await send();
    }
    this.onAnswer({ path, cachedAt: response.headers?.get?.('x-tenda-cached-at') ?? null });
    if (blob && response.ok) return response.blob();
    return decode(response);
  }

  /**
   * Rotates the tokens; concurrent callers share one refresh (a rotated token cannot be used
   * twice, and reusing one ends the session). Tabs that share the stored tokens take turns,
   * and a tab whose turn comes after another rotated them takes the new ones as they are.
   */
  refresh() {
    if (!this.refreshing) {
      const rotating = this.tokens.load()?.refreshToken;
      const rotate = async () => {
        const stored = this.tokens.load();
        if (stored?.refreshToken && stored.refreshToken !== rotating) return stored;
        try {
          const answer = await this.request('POST', '/api/auth/refresh', { body: { refreshToken: stored?.refreshToken } });
          this.tokens.save(answer);
          return answer;
        } catch (error) {
          if (error.status !== 0) this.signOutLocally(error);
          throw error;
        }
      };
      this.refreshing = (this.locks ? this.locks.request('tenda.refresh', rotate) : rotate()).finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  /** Signs in with Telegram's raw initData, the bot's one-time code, or the Login Widget's fields. */
  async signIn(kind, payload) {
    const paths = { telegram: ['/api/auth/telegram', { initData: payload }], code: ['/api/auth/code', { code: payload }], widget: ['/api/auth/widget', payload] };
    const [path, body] = paths[kind];
    const answer = await this.request('POST', path, { body });
    this.tokens.save(answer);
    return answer;
  }

  /** Revokes the session on the server (best effort) and forgets it here. */
  async logout() {
    try {
      await this.request('POST', '/api/auth/logout');
    } finally {
      this.signOutLocally();
    }
  }

  /** Forgets the session here; `reason` is the refusal that ended it (null for a logout). */
  signOutLocally(reason = null) {
    this.tokens.clear();
    this.onSignedOut(reason);
  }

  /** Uploads an image (a File or Blob) as multipart form data; answers `{id, url}`. */
  upload(file) {
    const form = new FormData();
    form.append('file', file, file.name || 'image');
    return this.request('POST', '/api/media', { form });
  }
}

async function decode(response) {
  if (response.status === 204) return null;
  const type = response.headers?.get?.('content-type') ?? '';
  const text = await response.text();
  let body = text;
  if (type.includes('json') && text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  if (response.ok) return body;
  const error = body?.error ?? {};
  throw new ApiError(response.status, error.code ?? `http_${response.status}`, error.message ?? (response.statusText || 'request failed'), {
    field: error.field ?? null, items: error.items ?? [], body,
  });
}

/** A fresh key for a POST that must not happen twice (a purchase retried after a timeout). */
export function idempotencyKey() {
  return globalThis.crypto?.randomUUID?.() ?? `${Date.now()}-${Math.random().toString(16).slice(2)}`;
}
