// The MiniApp's shell: Telegram first, then sign-in, the menu the caller's role allows, the
// live connection, and hash routing (#/products/p3) to screens loaded on demand. The shell
// follows the session as the server reports it: a new role redraws the menu and the screen
// in place, and a session that ends goes back to the sign-in screen saying why.

import { ApiClient, ApiError, TokenStore } from './api.js';
import { h, replace, toast } from './dom.js';
import { formatDate, formatDateTime, formatMoney, formatNumber, formatRelative } from './format.js';
import { languageOf, translator } from './i18n.js';
import { LiveConnection } from './live.js';
import { OfflineMode } from './offline.js';
import { atLeast, screenFor, screens, visibleScreens } from './screens/index.js';
import { showSignIn } from './signin.js';
import { applyFrame, initialState } from './state.js';
import { loadTelegram, TelegramBridge } from './telegram.js';
import { UserDirectory } from './directory.js';

const app = {
  state: initialState(),
  me: null,
  current: null,  // {screen, view (element), handle}
};

boot().catch((error) => {
  console.error(error);
  replace(document.getElementById('main'), h('p', { class: 'error-box', role: 'alert' }, String(error?.message ?? error)));
});

async function boot() {
  const webApp = await loadTelegram();
  app.tg = new TelegramBridge(webApp);
  app.tg.start();
  setLanguage(app.tg.languageCode ?? navigator.language);
  app.webApp = webApp;
  // Offline first of all: the service worker keeps the shell even for a page that stops at sign-in.
  app.offline = new OfflineMode(app);
  app.offline.register();
  // While starting, a reload signs in again (inside Telegram, with initData); once running, the
  // sign-in screen says why. A sign-out and the server's close of the same session both end up here.
  app.api = new ApiClient({
    tokens: new TokenStore(webApp?.initData ? sessionStorage : localStorage),
    onSignedOut: (reason) => (app.phase === 'running' || app.phase === 'ended' ? endSession(reason) : location.reload()),
    onAnswer: (answer) => app.offline.answered(answer),
  });
  app.users = new UserDirectory(app.api);

  await signIn(webApp);
  if (!app.api.signedIn) {
    showSignIn(app, () => start());
    return;
  }
  await start();
}

/** Signs in without asking when the page can: Telegram's initData, a ?code= link, a Login Widget return. */
async function signIn(webApp) {
  const url = new URL(location.href);
  const code = url.searchParams.get('code');
  const widget = url.hash.match(/tgAuthResult=([^&]+)/)?.[1];
  try {
    if (code) {
      url.searchParams.delete('code');
      history.replaceState(null, '', url.pathname + url.search + (url.hash.startsWith('#/') ? url.hash : ''));
      await app.api.signIn('code', code);
    } else if (widget) {
      history.replaceState(null, '', url.pathname + url.search);
      await app.api.signIn('widget', JSON.parse(atob(widget.replace(/-/g, '+').replace(/_/g, '/'))));
    } else if (webApp?.initData && !app.api.signedIn) {
      await app.api.signIn('telegram', webApp.initData);
    }
  } catch (error) {
    toast(app.t('signin.failed', { reason: error.message }), 'error');
    app.tg.haptic('error');
  }
}

/** After sign-in: who am I, the menu, the live connection, and the first screen. */
async function start() {
  app.phase = 'starting';
  try {
    app.me = await app.api.get('/api/auth/me');
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      app.api.signOutLocally();
      return;
    }
    throw error;
  }
  // Telegram's own language is the freshest word on it; outside Telegram, the stored one.
  if (!app.tg.languageCode && app.me.user?.language) setLanguage(app.me.user.language);
  app.users.remember(app.me.user);
  app.users.canList = app.me.role === 'owner';
  app.signingOut = false;
  renderMenu();
  // The person's queued writes (kept through reloads) show, and go out if the server is there.
  await app.offline.start(app.me.user?.id);
  app.live = new LiveConnection({
    token: () => app.api.accessToken,
    refreshToken: () => app.api.refresh(),
    onSessionEnded: endSession,
    onFrame: receive,
    onStatus: showConnection,
  });
  app.live.setTopics(['notifications']);
  app.live.start();
  app.phase = 'running';
  loadUnread();
  window.addEventListener('hashchange', route);
  await route();
}

function setLanguage(code) {
  app.lang = languageOf(code);
  app.locale = app.lang === 'en' ? 'en-US' : 'pt-BR';
  app.t = translator(app.lang);
  document.documentElement.lang = app.locale;
  app.money = (minor, currency = app.me?.currency ?? 'BRL') => formatMoney(minor, currency, app.locale);
  app.number = (value) => formatNumber(value, app.locale);
  app.date = (iso) => formatDate(iso, app.locale);
  app.dateTime = (iso) => formatDateTime(iso, app.locale);
  app.ago = (iso) => formatRelative(iso, app.locale);
  document.querySelector('.skip').textContent = app.t('skip');
  document.getElementById('back').setAttribute('aria-label', app.t('back'));
  document.getElementById('bell').setAttribute('aria-label', app.t('screen.notifications'));
}

/** The notifications' words (GET /api/notifications/wording), asked once; asked again after a failure. */
app.noticeWording = () => {
  app.wordingRequest ??= app.api.get('/api/notifications/wording').catch((error) => {
    app.wordingRequest = null;
    throw error;
  });
  return app.wordingRequest;
};

/**
 * Watches a live query for the screen on show (README, "Live queries"): `onResult(records)` gets
 * its result in order, now and after every change; it is unwatched when the screen changes.
 * The screen loads its first data over REST (which the offline cache keeps); the watch keeps it current.
 */
app.watch = (id, query, onResult) => {
  const screen = app.current;
  screen?.watches.add(id);
  app.live.watch(id, query, (records) => {
    if (app.current === screen && records) onResult(records);
  });
};

/** Draws the screen on show again from fresh data (the connection came back). */
app.redraw = () => route();

/** A money or stock write, sent now or queued while offline (see offline.js); answers the result, or `{queued}`. */
app.write = (write) => app.offline.write(write);

app.navigate = (path) => {
  if (location.hash === `#/${path}`) route();
  else location.hash = `#/${path}`;
};

/** Shows the screen the hash names, when the caller's role allows it; otherwise their first screen. */
async function route() {
  if (app.phase !== 'running') return;
  const [id, ...params] = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const allowed = visibleScreens(app.me);
  const screen = screenFor(id, app.me) ?? allowed[0];
  if (!screen) return;
  if (id && screen.id !== id) {
    toast(app.t('notAllowed'), 'error');
    history.replaceState(null, '', `#/${screen.id}`);
  }
  app.current?.handle?.unmount?.();
  for (const id of app.current?.watches ?? []) app.live.unwatch(id);
  app.tg.hideMain();
  app.tg.hideBack();
  app.offline.screenShown();
  const main = document.getElementById('main');
  const view = h('div', { class: `screen screen-${screen.id}` });
  replace(main, view);
  document.getElementById('title').textContent = app.t(`screen.${screen.id}`);
  document.title = `${app.t(`screen.${screen.id}`)} · Tenda`;
  for (const link of document.querySelectorAll('#menu a')) {
    if (link.dataset.screen === screen.id) {
      link.setAttribute('aria-current', 'page');
      link.scrollIntoView?.({ block: 'nearest', inline: 'nearest' });  // the phone's menu scrolls sideways
    } else {
      link.removeAttribute('aria-current');
    }
  }
  app.live.setTopics(['notifications', ...screen.topics]);
  app.live.setView(params.length ? `${screen.id}/${params[0]}` : screen.id);
  const current = { screen, view, handle: null, watches: new Set() };
  app.current = current;
  try {
    const module = await screen.load();
    if (app.current !== current) return;
    current.handle = await module.mount(view, app, params);
    view.dataset.ready = 'true';
  } catch (error) {
    if (app.current !== current) return;
    view.append(h('p', { class: 'error-box', role: 'alert' }, errorText(error)));
  }
}

/** A refusal in words: the server's message, with the code for a person to quote. */
function errorText(error) {
  if (error instanceof ApiError) return error.status === 0 ? app.t('offlineError') : `${error.message} (${error.code})`;
  return String(error?.message ?? error);
}
app.errorText = errorText;

/**
 * Runs a change the person asked for and says how it went: haptic success and an optional
 * message (text, or a function of the result), or haptic error and the server's refusal.
 * Answers the result, or undefined when it was refused.
 */
app.act = async (work, success) => {
  try {
    const result = await work();
    if (result?.queued) return result;  // kept for later: app.write said so, with its own haptic
    app.tg.haptic('success');
    const message = typeof success === 'function' ? success(result) : success;
    if (message) toast(message, 'success');
    return result;
  } catch (error) {
    app.tg.haptic('error');
    toast(errorText(error), 'error');
    return undefined;
  }
};

/** Every frame from the live connection: into the state, then to the screen on show. */
function receive(frame) {
  if (frame.type === 'ready') return;
  if (frame.type === 'access') {
    followAccess(frame);
    return;
  }
  app.state = applyFrame(app.state, frame);
  if (frame.type === 'event' && frame.event === 'notification') showUnread(app.state.notifications.unread);
  if (app.state.stale) {
    // The server could not replay what we missed: start over from REST and a fresh subscription.
    app.state = initialState();
    toast(app.t('resynced'));
    app.live.reconnectNow();
    route();
    return;
  }
  app.current?.handle?.update?.(app.state, frame);
}

/**
 * The caller's role changed (the server says so on the live connection): the menu and the
 * screen on show follow at once, without a reload. /api/auth/me gives the commands the new
 * role allows, which decide the screens; a demoted admin lands on their first screen.
 */
async function followAccess(frame) {
  if (!frame.role || frame.role === app.me.role) return;
  const asked = (app.accessAsked = (app.accessAsked ?? 0) + 1);
  const lowered = !atLeast({ role: frame.role }, app.me.role);
  let me;
  try {
    me = await app.api.get('/api/auth/me');
  } catch {
    // Without the new command list, a lower role keeps none of the old one's screens.
    me = { ...app.me, role: frame.role, commands: lowered ? [] : app.me.commands };
  }
  if (asked !== app.accessAsked || app.phase !== 'running') return;
  app.me = me;
  app.users.canList = me.role === 'owner';
  renderMenu();
  toast(app.t('session.roleChanged', { role: app.t(`role.${me.role}`) }), lowered ? 'info' : 'success');
  app.tg.haptic(lowered ? 'warning' : 'success');
  if (!screenFor(app.current?.screen.id, me)) history.replaceState(null, '', `#/${visibleScreens(me)[0]?.id ?? ''}`);
  route();
}

/** Why the sign-in screen is back, by the reason the session ended (a live close reason or a refused refresh's code). */
const sessionEndTexts = { session_ended: 'session.ended', user_blocked: 'session.blocked', token_expired: 'session.expired' };

/**
 * The session is over (ended on another device, blocked, or its refresh refused), or the
 * person signed out: everything live stops and the sign-in screen says why.
 */
function endSession(reason) {
  if (app.phase === 'ended') return;
  app.phase = 'ended';
  app.live?.stop();
  app.live = null;
  window.removeEventListener('hashchange', route);
  app.current?.handle?.unmount?.();
  app.current = null;
  app.tg.hideMain();
  app.tg.hideBack();
  app.api.tokens.clear();
  app.offline.signedOut();
  app.state = initialState();
  for (const id of ['menu', 'bell', 'connection']) document.getElementById(id).hidden = true;
  replace(document.getElementById('toasts'));
  const code = typeof reason === 'string' ? reason : reason?.code;
  const notice = app.signingOut || !reason ? 'session.signedOut' : sessionEndTexts[code] ?? 'session.ended';
  if (!app.signingOut) app.tg.haptic('warning');
  // Inside Telegram the same initData signs in again with one tap; a blocked person is refused anyway.
  const again = app.webApp?.initData && code !== 'user_blocked' ? () => app.api.signIn('telegram', app.webApp.initData) : null;
  showSignIn(app, () => start(), { notice: app.t(notice), again });
}

function showConnection(status) {
  const indicator = document.getElementById('connection');
  indicator.hidden = false;
  indicator.dataset.status = status;
  indicator.textContent = app.t(`connection.${status}`);
  indicator.title = app.t(`connection.${status}`);
  app.offline.connection(status);
}

async function loadUnread() {
  try {
    const list = await app.api.get('/api/notifications?limit=20');
    app.state = { ...app.state, notifications: { items: list.items, unread: list.unread } };
    showUnread(list.unread);
  } catch {
    // The bell stays without a count; the notifications screen shows the error if it persists.
  }
}

function showUnread(count) {
  document.getElementById('bell').hidden = false;
  const badge = document.getElementById('unread');
  badge.hidden = count === 0;
  badge.textContent = count > 99 ? '99+' : String(count);
}
app.showUnread = showUnread;

function renderMenu() {
  const menu = document.getElementById('menu');
  replace(menu, visibleScreens(app.me).map((screen) =>
    h('a', { href: `#/${screen.id}`, dataset: { screen: screen.id } }, `${screen.icon} ${app.t(`screen.${screen.id}`)}`)),
  h('a', { href: '#', onclick: (event) => { event.preventDefault(); app.signingOut = true; app.api.logout(); } }, `⎋ ${app.t('logout')}`));
  menu.hidden = false;
}

export { app, screens };
