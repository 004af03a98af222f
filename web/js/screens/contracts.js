// Contracts: the parties, each party's answer as a timeline, and confirm or decline for the
// party looking at it. The owner creates contracts. Changes arrive live (contract_update).

import { field, h, note, replace } from '../dom.js';
import { parseMoney } from '../format.js';
import { can } from './index.js';

export async function mount(view, app) {
  const t = app.t;
  const contracts = new Map((await app.api.all('/api/contracts')).map((contract) => [contract.id, contract]));
  const people = (list) => list.flatMap((contract) => [contract.createdBy, ...contract.parties.map((party) => party.userId)]);
  await app.users.load(people([...contracts.values()]));
  const list = h('div', { 'aria-live': 'polite' });
  replace(view, can(app.me, 'smartcontract') ? await newContractForm() : null, list);

  async function newContractForm() {
    const everyone = await app.users.all();
    const title = h('input', { required: true, maxlength: 120 });
    const terms = h('textarea', { required: true, maxlength: 2000 });
    const amount = h('input', { inputmode: 'decimal', placeholder: '0,00' });
    const parties = h('select', { multiple: true, required: true, size: 5 },
      everyone.sort((a, b) => a.name.localeCompare(b.name)).map((user) => h('option', { value: user.id }, user.name)));
    const form = h('form', {
      class: 'card',
      onsubmit: async (event) => {
        event.preventDefault();
        const chosen = [...parties.selectedOptions].map((option) => ({ userId: option.value }));
        const contract = await app.act(() => app.api.post('/api/contracts', {
          title: title.value.trim(), terms: terms.value.trim(), amount: parseMoney(amount.value || '0') ?? 0, parties: chosen,
        }));
        if (!contract) return;
        contracts.set(contract.id, contract);
        form.reset();
        render();
      },
    }, h('h2', {}, t('contracts.new')), field(t('contracts.title'), title), field(t('contracts.terms'), terms),
    h('div', { class: 'grid-2' }, field(t('debts.amount'), amount), field(t('contracts.parties'), parties, t('contracts.partiesHint'))),
    h('button', { class: 'primary', type: 'submit' }, t('contracts.create')));
    return form;
  }

  async function answer(contract, verb) {
    let body;
    if (verb === 'decline') {
      const reason = prompt(t('contracts.declineReason'));
      if (reason === null) return;
      body = { reason };
    }
    const updated = await app.act(() => app.api.post(`/api/contracts/${contract.id}/${verb}`, body));
    if (!updated) return;
    contracts.set(updated.id, updated);
    render();
  }

  function render() {
    const shown = [...contracts.values()].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
    if (!shown.length) return replace(list, h('section', {}, note(t('contracts.none'))));
    replace(list, shown.map((contract) => {
      const me = contract.parties.find((party) => party.userId === app.me.user?.id);
      const waiting = me && !me.confirmedAt && !me.declinedAt && contract.state === 'pending';
      return h('section', { dataset: { contractId: contract.id } },
        h('div', { class: 'row spread' }, h('strong', {}, contract.title), h('span', { class: 'pill' }, t(`contractState.${contract.state}`))),
        h('p', {}, contract.terms),
        contract.amount ? h('p', {}, app.money(contract.amount, contract.currency)) : null,
        h('p', { class: 'muted' }, t('contracts.confirmations', { n: contract.confirmations, of: contract.requiredConfirmations })),
        h('h2', {}, t('contracts.parties')),
        h('ol', { class: 'timeline' }, contract.parties.map((party) => h('li', {},
          h('strong', {}, app.users.name(party.userId)), party.part ? ` (${party.part})` : '', ' — ',
          party.confirmedAt ? `✅ ${t('contracts.confirmedAt', { when: app.dateTime(party.confirmedAt) })}`
            : party.declinedAt ? `❌ ${t('contracts.declinedAt', { when: app.dateTime(party.declinedAt) })}` : `⏳ ${t('contracts.waiting')}`))),
        h('h2', {}, t('contracts.history')),
        h('ol', { class: 'timeline' }, contract.history.map((step) => h('li', {},
          `${app.dateTime(step.at)} · ${t(`contractState.${step.to}`)}`, step.actorId ? ` · ${app.users.name(step.actorId)}` : '', step.note ? ` · ${step.note}` : ''))),
        waiting ? h('div', { class: 'row' },
          h('button', { class: 'primary', type: 'button', onclick: () => answer(contract, 'confirm') }, t('contracts.confirm')),
          h('button', { class: 'danger', type: 'button', onclick: () => answer(contract, 'decline') }, t('contracts.decline'))) : null,
        can(app.me, 'smartcontract') && contract.state === 'draft'
          ? h('button', { type: 'button', onclick: () => answer(contract, 'submit') }, t('contracts.submit')) : null,
        can(app.me, 'smartcontract') && contract.state === 'active'
          ? h('button', { type: 'button', onclick: () => answer(contract, 'complete') }, t('contracts.complete')) : null);
    }));
  }

  render();
  return {
    async update(state, frame) {
      if (frame.event !== 'contract_update') return;
      contracts.set(frame.data.contract.id, frame.data.contract);
      await app.users.load(people([frame.data.contract]));
      render();
    },
  };
}
