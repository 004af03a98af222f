// Users (owner): everyone with their role, promote or demote, block or unblock; who is online.
// The owner adds a person before they first sign in and edits anyone's name, role and Telegram
// id (one form for both), and erases a customer's personal data (a second tap confirms).
// The owner may tick several people and block, unblock or give them a role at once
// (POST /api/users/bulk); each person's outcome is shown under the bar.

import { applyResults, bulkBody, remainingSelection, summarize, userActions } from '../bulk.js';
import { field, h, replace, table, toast } from '../dom.js';
import { canErase, isErased, newUserBody, userChanges } from '../people.js';

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
  const formBox = h('div', { class: 'people-form' });
  const addButton = h('button', { type: 'button', class: 'primary', dataset: { action: 'new-user' }, onclick: () => openForm(null) }, t('people.new'));
  let confirming = null;
  replace(view, h('div', { class: 'toolbar' }, addButton), formBox, bar, outcome, box);

  /** The create form (`user` null) or the edit form of `user`, in place of the toolbar's box. */
  function openForm(user) {
    const name = h('input', { name: 'name', value: user?.name ?? '', maxlength: 200, required: true });
    const telegramId = h('input', { name: 'telegramId', inputmode: 'numeric', value: user ? String(user.telegramId) : '', required: true });
    const role = h('select', { name: 'role', disabled: user?.id === app.me.user?.id },
      roles.map((r) => h('option', { value: r, selected: r === (user?.role ?? 'user') }, t(`role.${r}`))));
    const form = h('form', { class: 'card', dataset: { userForm: user ? user.id : 'new' }, onsubmit: (event) => { event.preventDefault(); save(); } },
      h('h3', {}, user ? t('people.editTitle', { name: user.name }) : t('people.newTitle')),
      field(t('name'), name), field(t('people.telegramId'), telegramId, t('people.telegramIdHint')), field(t('users.role'), role),
      h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, t('people.save')),
        h('button', { type: 'button', onclick: () => replace(formBox) }, t('people.cancel'))));
    replace(formBox, form);
    name.focus();

    async function save() {
      const values = { name: name.value, telegramId: telegramId.value, role: role.value };
      const request = user ? userChanges(user, values) : newUserBody(values);
      if (request.error) return toast(t(request.error), 'error');
      if (request.unchanged) return replace(formBox);
      const answer = user
        ? await app.act(() => app.api.patch(`/api/users/${user.id}`, request.body, { ifMatch: user.version }), t('saved'))
        : await app.act(() => app.api.post('/api/users', request.body), t('people.created'));
      if (!answer) return;
      if (user) Object.assign(user, answer);
      else users.push(answer);
      app.users.remember(answer);
      replace(formBox);
      render();
    }
  }

  async function erase(user) {
    if (confirming !== user.id) {
      confirming = user.id;
      return render();
    }
    confirming = null;
    const erased = await app.act(() => app.api.post(`/api/users/${user.id}/erase`, {}), t('people.erased'));
    if (erased) {
      Object.assign(user, erased);
      app.users.remember(erased);
    }
    render();
  }

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
      h('span', { class: 'row' },
        user.id === app.me.user?.id || isErased(user) ? '' : h('button', { type: 'button', class: user.blocked ? '' : 'danger', onclick: () => change(user, { blocked: !user.blocked }) },
          user.blocked ? t('users.unblock') : t('users.block')),
        isErased(user) ? h('span', { class: 'pill' }, t('people.erasedPill')) : h('button', { type: 'button', dataset: { editUser: user.id }, onclick: () => openForm(user) }, t('people.edit')),
        canErase(user, app.me.user) ? h('button', { type: 'button', class: 'danger', dataset: { eraseUser: user.id }, onclick: () => erase(user) },
          confirming === user.id ? t('people.eraseConfirm') : t('people.erase')) : null),
    ])));
  }

  render();
  return { update(state, frame) { if (frame.event === 'presence') render(); } };
}
