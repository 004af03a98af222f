// Audit (owner): who ran which command, when, from where and with what outcome; new entries
// arrive live (user_action), and the page reloads its first page to show them with details.

import { h, note, replace, table } from '../dom.js';

export async function mount(view, app) {
  const t = app.t;
  let entries = [];
  let next = null;
  const box = h('section', { 'aria-live': 'polite' });
  const more = h('button', { type: 'button', hidden: true, onclick: () => load(true) }, t('more'));
  replace(view, box, more);

  async function load(append) {
    const page = await app.api.get(`/api/audit?limit=50${append && next ? `&cursor=${encodeURIComponent(next)}` : ''}`);
    entries = append ? [...entries, ...page.items] : page.items;
    next = page.next;
    more.hidden = !next;
    await app.users.load(entries.map((entry) => entry.actorId));
    render();
  }

  function render() {
    if (!entries.length) return replace(box, note(t('audit.none')));
    replace(box, table([t('when'), t('audit.actor'), t('audit.command'), t('audit.outcome'), t('audit.channel')], entries.map((entry) => [
      app.dateTime(entry.at),
      entry.actorId ? app.users.name(entry.actorId) : t('audit.system'),
      h('span', {}, h('code', {}, entry.command), entry.summary ? h('small', { class: 'muted' }, ` ${entry.summary}`) : null),
      h('span', { class: `pill ${entry.outcome === 'ok' ? 'good' : 'bad'}` }, entry.outcome),
      entry.channel,
    ])));
  }

  await load(false);
  return {
    update(state, frame) {
      if (frame.event !== 'user_action') return;
      clearTimeout(this.reload);
      this.reload = setTimeout(() => load(false), 800);
    },
    unmount() { clearTimeout(this.reload); },
  };
}
