// Users (owner): everyone with their role, promote or demote, block or unblock; who is online.
// The owner may tick several people and block, unblock or give them a role at once
// (POST /api/users/bulk); each person's outcome is shown under the bar.

import { applyResults, bulkBody, remainingSelection, summarize, userActions } from '../bulk.js';
import { h, replace, table, toast } from '../dom.js';

const roles = ['user', 'admin', 'owner'];

export async function mount(view, app) {
  const t = app.t;
  const users = await app.api.all('/api/users');
  users.forEach((user) => app.users.remember(user));
  const box = h('section');
  let selected = new Set();
  const bar = h('div', { class: 'toolbar bulk-bar', hidden: true });
  const outcome = h('ul', { class: 'list bulk-outcome', 'aria-live': 'polite', hidden: true });
  const bulkRole = h('select', { 'aria-label': t('bulk.setRole') }, roles.map((role) => h('option', { value: role }, t(`role.${role}`))));
  replace(view, bar, outcome, box);

  /** Runs `action` over the ticked people, then shows each one's outcome. */
  async function bulk(action) {
    const request = bulkBody(action, [...selected], { role: bulkRole.value });
    if (request.error) return toast(t(request.error, { max: request.max }), 'error');
    const answer = await app.act(() => app.api.post('/api/users/bulk', request.body),
      (done) => t('bulk.done', { succeeded: done.succeeded, total: done.results.length }));
    if (!answer) return;
    const byId = new Map(users.map((user) => [user.id, user]));
    for (const id of applyResults(byId, answer)) {
      const user = users.find((known) => known.id === id);
      Object.assign(user, byId.get(id));
      app.users.remember(user);
    }
    selected = remainingSelection(selected, answer);
    const { succeeded, failures } = summarize(answer);
    outcome.hidden = false;
    replace(outcome,
      h('li', { class: 'muted' }, t('bulk.done', { succeeded, total: answer.results.length })),
      answer.results.map((result) => h('li', { dataset: { outcomeId: result.id, ok: String(result.ok) } },
        result.ok ? `✅ ${app.users.name(result.id)}` : `⚠️ ${app.users.name(result.id)}: ${failures.find((failure) => failure.id === result.id)?.message ?? ''}`)));
    render();
  }

  function renderBar() {
    bar.hidden = selected.size === 0;
    const labels = { block: t('users.block'), unblock: t('users.unblock'), role: t('bulk.setRole') };
    replace(bar,
      h('strong', {}, t('bulk.selected', { count: selected.size })),
      userActions.map((action) => [action === 'role' ? bulkRole : null,
        h('button', { type: 'button', class: action === 'block' ? 'danger' : '', dataset: { bulkAction: action }, onclick: () => bulk(action) }, labels[action])]),
      h('button', { type: 'button', onclick: () => { selected.clear(); render(); } }, t('bulk.clear')));
  }

  function selector(user) {
    if (user.id === app.me.user?.id) return '';
    return h('input', {
      type: 'checkbox', class: 'bulk-select', checked: selected.has(user.id), 'aria-label': t('bulk.select', { id: user.name }),
      onchange: (event) => { if (event.target.checked) selected.add(user.id); else selected.delete(user.id); renderBar(); },
    });
  }

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
    renderBar();
    replace(box, table(['', t('name'), t('users.role'), t('users.status'), ''], users.sort((a, b) => a.name.localeCompare(b.name)).map((user) => [
      selector(user),
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
