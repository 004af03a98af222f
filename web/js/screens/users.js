// Users (owner): everyone with their role, promote or demote, block or unblock; who is online.

import { h, replace, table } from '../dom.js';

const roles = ['user', 'admin', 'owner'];

export async function mount(view, app) {
  const t = app.t;
  const users = await app.api.all('/api/users');
  users.forEach((user) => app.users.remember(user));
  const box = h('section');
  replace(view, box);

  async function change(user, body) {
    const updated = await app.act(() => app.api.patch(`/api/users/${user.id}`, body, { ifMatch: user.version }), t('saved'));
    if (updated) {
      Object.assign(user, updated);
      app.users.remember(updated);
    }
    render();
  }

  function render() {
    const online = new Set(app.state.online.map((entry) => entry.userId));
    replace(box, table([t('name'), t('users.role'), t('users.status'), ''], users.sort((a, b) => a.name.localeCompare(b.name)).map((user) => [
      h('span', {}, online.has(user.id) ? '🟢 ' : '', user.name, user.username ? h('small', { class: 'muted' }, ` @${user.username}`) : null),
      h('select', { 'aria-label': t('users.roleOf', { name: user.name }), disabled: user.id === app.me.user?.id, onchange: (event) => change(user, { role: event.target.value }) },
        roles.map((role) => h('option', { value: role, selected: role === user.role }, t(`role.${role}`)))),
      user.blocked ? h('span', { class: 'pill bad' }, t('users.blocked')) : h('span', { class: 'pill good' }, t('users.active')),
      user.id === app.me.user?.id ? '' : h('button', { type: 'button', class: user.blocked ? '' : 'danger', onclick: () => change(user, { blocked: !user.blocked }) },
        user.blocked ? t('users.unblock') : t('users.block')),
    ])));
  }

  render();
  return { update(state, frame) { if (frame.event === 'presence') render(); } };
}
