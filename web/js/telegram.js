// Telegram's MiniApp API when the page runs inside Telegram, and plain-browser stand-ins
// otherwise: the main action becomes a button at the bottom of the page, Back a header button,
// haptics a no-op. https://telegram.org/js/telegram-web-app.js is the only script from Telegram.

const scriptURL = 'https://telegram.org/js/telegram-web-app.js';
/** How long a slow or unreachable telegram.org may hold the first paint back. */
const scriptTimeoutMs = 3000;

/**
 * Telegram.WebApp, loading Telegram's script first when the page was opened by a Telegram
 * client (it passes `tgWebAppData` in the URL's fragment); null in a plain browser. A failed
 * or slow load never blocks the app: it then runs as a browser dashboard.
 */
export async function loadTelegram() {
  if (window.Telegram?.WebApp) return window.Telegram.WebApp;
  const openedByTelegram = /tgWebApp/.test(location.hash) || 'TelegramWebviewProxy' in window;
  if (!openedByTelegram) return null;
  await new Promise((resolve) => {
    const script = document.createElement('script');
    script.src = scriptURL;
    script.onload = resolve;
    script.onerror = resolve;
    setTimeout(resolve, scriptTimeoutMs);
    document.head.append(script);
  });
  return window.Telegram?.WebApp ?? null;
}

/** Wraps Telegram.WebApp (or nothing) behind the few calls the screens make. */
export class TelegramBridge {
  constructor(webApp) {
    this.webApp = webApp;
    this.mainHandler = null;
    this.backHandler = null;
    this.fallbackMain = document.getElementById('main-action');
    this.fallbackBack = document.getElementById('back');
    this.fallbackMain?.addEventListener('click', () => this.mainHandler?.());
    this.fallbackBack?.addEventListener('click', () => this.backHandler?.());
    if (webApp) {
      webApp.MainButton?.onClick?.(() => this.mainHandler?.());
      webApp.BackButton?.onClick?.(() => this.backHandler?.());
    }
  }

  get inside() {
    return Boolean(this.webApp?.initData);
  }

  /** Readies the app in Telegram: ready(), expand(), theme, and follow theme changes. */
  start() {
    const webApp = this.webApp;
    this.applyTheme();
    if (!webApp) return;
    webApp.ready?.();
    webApp.expand?.();
    webApp.onEvent?.('themeChanged', () => this.applyTheme());
    document.documentElement.classList.add('in-telegram');
  }

  /** Copies themeParams into --tg-theme-* (Telegram sets them too; a stand-in may not) and marks dark mode. */
  applyTheme() {
    const root = document.documentElement;
    const params = this.webApp?.themeParams ?? {};
    for (const [key, value] of Object.entries(params)) {
      if (typeof value === 'string') root.style.setProperty(`--tg-theme-${key.replace(/_/g, '-')}`, value);
    }
    const dark = this.webApp?.colorScheme
      ? this.webApp.colorScheme === 'dark'
      : window.matchMedia?.('(prefers-color-scheme: dark)').matches;
    root.dataset.theme = dark ? 'dark' : 'light';
  }

  /** Shows the screen's main action (Telegram's MainButton, or the page's own button). */
  showMain(text, onClick) {
    this.mainHandler = onClick;
    const button = this.webApp?.MainButton;
    if (button && this.inside) {
      button.setText?.(text);
      button.enable?.();
      button.show?.();
    }
    if (this.fallbackMain) {
      this.fallbackMain.textContent = text;
      this.fallbackMain.disabled = false;
      this.fallbackMain.hidden = this.inside && Boolean(button);
    }
  }

  /** Enables or disables the main action (while a request runs, or the cart is empty). */
  setMainEnabled(enabled) {
    const button = this.webApp?.MainButton;
    if (button && this.inside) (enabled ? button.enable : button.disable)?.call(button);
    if (this.fallbackMain) this.fallbackMain.disabled = !enabled;
  }

  hideMain() {
    this.mainHandler = null;
    this.webApp?.MainButton?.hide?.();
    if (this.fallbackMain) this.fallbackMain.hidden = true;
  }

  /** Shows Back (Telegram's, or the header's) while a screen has somewhere to go back to. */
  showBack(onClick) {
    this.backHandler = onClick;
    if (this.inside) this.webApp?.BackButton?.show?.();
    if (this.fallbackBack) this.fallbackBack.hidden = false;
  }

  hideBack() {
    this.backHandler = null;
    this.webApp?.BackButton?.hide?.();
    if (this.fallbackBack) this.fallbackBack.hidden = true;
  }

  /** 'success' | 'error' | 'warning' on results; nothing outside Telegram. */
  haptic(type) {
    this.webApp?.HapticFeedback?.notificationOccurred?.(type);
  }

  /** The Telegram user's language, as the client reports it (display only, never trusted). */
  get languageCode() {
    return this.webApp?.initDataUnsafe?.user?.language_code ?? null;
  }
}
