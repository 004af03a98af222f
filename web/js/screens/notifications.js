// Notifications: the caller's own, newest first, worded in the app's language; mark one or
// all read (the bell's count follows).

import { h, note, replace, toast } from '../dom.js';
import { noticeWords } from '../notices.js';

export async function mount(view, app) {
  const t = app.t;
  // Without the catalogue the server's own words (in the user's stored language) still show.
  const [list, wording] = await Promise.all([app.api.get('/api/notifications?limit=100'), app.noticeWording().catch(() => null)]);
  app.state = { ...app.state, notifications: { items: list.items, unread: list.unread } };
  const box = h('section', { 'aria-live': 'polite' });
  replace(view, h('div', { class: 'row' }, h('button', { type: 'button', onclick: readAll }, t('notifications.readAll'))), box);

  async function read(notice) {
    try {
      await app.api.post(`/api/notifications/${notice.id}/read`);
      setRead((item) => item.id === notice.id, Math.max(0, app.state.notifications.unread - (notice.read ? 0 : 1)));
    } catch (error) {
      toast(app.errorText(error), 'error');
    }
  }

  async function readAll() {
    try {
      await app.api.post('/api/notifications/read-all');
      setRead(() => true, 0);
    } catch (error) {
      toast(app.errorText(error), 'error');
    }
  }

  function setRead(which, unread) {
    const items = app.state.notifications.items.map((item) => (which(item) ? { ...item, read: true } : item));
    app.state = { ...app.state, notifications: { items, unread } };
    app.showUnread(app.state.notifications.unread);
    render();
  }

  function render() {
    const items = app.state.notifications.items;
    if (!items.length) return replace(box, note(t('notifications.none')));
    replace(box, h('ul', { class: 'list' }, items.map((item) => {
      const words = noticeWords(item, wording, app.lang);
      return h('li', { dataset: { notificationId: item.id } },
        h('div', { class: 'row spread' }, h(item.read ? 'span' : 'strong', {}, words.title), h('small', { class: 'muted' }, app.ago(item.createdAt))),
        words.body ? h('p', {}, words.body) : null,
        item.read ? null : h('button', { type: 'button', onclick: () => read(item) }, t('notifications.markRead')));
    })));
  }

  render();
  return { update(state, frame) { if (frame.event === 'notification') render(); } };
}
