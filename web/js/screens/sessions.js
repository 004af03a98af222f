// Sessions: the caller's signed-in devices (each browser or phone that signed in), the one in
// use marked "this device", and End on every other one, which signs that device out at once.
// "Download my data" saves everything the shop holds about the caller (GET /api/me/export).

import { h, note, replace } from '../dom.js';
import { exportFileName } from '../people.js';
import { deviceLabel } from '../format.js';

export async function mount(view, app) {
  const t = app.t;
  let sessions = [];
  const box = h('section', { 'aria-live': 'polite' });
  const download = h('button', { type: 'button', dataset: { action: 'export-data' }, onclick: () => exportData() }, t('people.download'));
  replace(view, h('div', { class: 'toolbar' }, download), h('p', { class: 'muted' }, t('sessions.intro')), box);

  /** Fetches the caller's data and saves it as a JSON file. */
  async function exportData() {
    const data = await app.act(() => app.api.get('/api/me/export'));
    if (!data) return;
    const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }));
    const link = h('a', { href: url, download: exportFileName(data), hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

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
