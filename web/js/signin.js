// The sign-in screen for a browser outside Telegram: the one-time code from the bot's
// /login, or the Telegram Login Widget (through oauth.telegram.org, which sends the signed
// fields back in the fragment as #tgAuthResult=…; no script is loaded from Telegram for it).

import { field, h, replace, toast } from './dom.js';

/**
 * Shows the sign-in form; `done` runs once a session exists. `notice` says why a session
 * ended; `again` (inside Telegram) signs in once more without a code.
 */
export async function showSignIn(app, done, { notice = null, again = null } = {}) {
  const t = app.t;
  document.getElementById('title').textContent = t('signin.title');
  const code = h('input', { name: 'code', autocomplete: 'one-time-code', required: true, placeholder: 'ABCD1234' });
  const submit = h('button', { class: 'primary', type: 'submit' }, t('signin.submit'));
  const form = h('form', {
    class: 'card signin',
    onsubmit: async (event) => {
      event.preventDefault();
      submit.disabled = true;
      try {
        await app.api.signIn('code', code.value.trim());
        await done();
      } catch (error) {
        toast(t('signin.failed', { reason: error.message }), 'error');
        submit.disabled = false;
        code.focus();
      }
    },
  },
  h('h2', {}, t('signin.title')),
  notice ? h('p', { class: 'notice', role: 'alert' }, notice) : null,
  again ? h('div', { class: 'row' }, h('button', {
    class: 'primary',
    type: 'button',
    onclick: async (event) => {
      const button = event.currentTarget;
      button.disabled = true;
      try {
        await again();
        await done();
      } catch (error) {
        toast(t('signin.failed', { reason: error.message }), 'error');
        button.disabled = false;
      }
    },
  }, t('signin.again'))) : null,
  h('p', {}, t('signin.intro')),
  field(t('signin.code'), code, t('signin.codeHint')),
  h('div', { class: 'row' }, submit));
  replace(document.getElementById('main'), form);

  const config = await fetch('/app-config.json').then((response) => response.json()).catch(() => ({}));
  if (config.botId) {
    const query = new URLSearchParams({ bot_id: String(config.botId), origin: location.origin, return_to: location.href.split('#')[0], request_access: 'write' });
    form.append(h('p', {}, t('signin.or')), h('a', { class: 'button', href: `https://oauth.telegram.org/auth?${query}` }, t('signin.widget')));
  }
}
