// Sessions: the caller's signed-in devices (each browser or phone that signed in), the one in
// use marked "this device", and End on every other one, which signs that device out at once.

import { h, note, replace } from '../dom.js';
import { deviceLabel } from '../format.js';

export async function mount(view, app) {
  const t = app.t;
  let sessions = [];
  const box = h('section', { 'aria-live': 'polite' });
  replace(view, h('p', { class: 'muted' }, t('sessions.intro')), box);

  async function load() {
    sessions = (await app.api.get('/api/auth/sessions')).items;
    render();
  }

  async function end(session) {
    const ended = await app.act(() => app.api.delete(`/api/auth/sessions/${encodeURIComponent(session.id)}`), t('sessions.ended'));
    if (ended !== undefined) sessions = sessions.filter((item) => item.id !== session.id);
    render();
  }

  function render() {
    if (!sessions.length) return replace(box, note(t('sessions.none')));
    replace(box, h('ul', { class: 'list' }, sessions.map((session) => h('li', { dataset: { sessionId: session.id }, title: session.userAgent },
      h('div', { class: 'row spread' },
        h('strong', {}, deviceLabel(session.userAgent) || t('sessions.unknownDevice')),
        session.current
          ? h('span', { class: 'pill good' }, t('sessions.thisDevice'))
          : h('button', { type: 'button', class: 'danger', 'aria-label': t('sessions.endNamed', { device: deviceLabel(session.userAgent) || t('sessions.unknownDevice') }),
            onclick: () => end(session) }, t('sessions.end'))),
      h('small', { class: 'muted' }, t('sessions.details', { lastUsed: app.ago(session.lastUsedAt), since: app.date(session.createdAt) }),
        session.address ? ` · ${session.address}` : '')))));
  }

  await load();
  return {};
}
