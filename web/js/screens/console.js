// Console: run any bot command through POST /api/commands/execute {"command","args"} and see
// the answer the bot would give ({"text","data"}). The menu lists the commands /api/auth/me allows.

import { field, h, replace } from '../dom.js';

/** The tags of Telegram's HTML parse mode; anything else is shown as its text. */
const telegramTags = new Set(['b', 'strong', 'i', 'em', 'u', 'ins', 's', 'strike', 'del', 'code', 'pre', 'a', 'blockquote', 'tg-spoiler']);

export async function mount(view, app) {
  const t = app.t;
  const commands = await app.api.get('/api/commands').then((list) => list.items).catch(() => app.me.commands.map((command) => ({ command, description: '' })));
  const command = h('input', { name: 'command', list: 'console-commands', required: true, autocomplete: 'off', placeholder: '/estoque', spellcheck: false });
  const args = h('input', { name: 'args', autocomplete: 'off', spellcheck: false });
  const output = h('pre', { class: 'console-output', 'aria-live': 'polite', tabindex: '0', 'aria-label': t('console.answer') });
  const run = h('button', { class: 'primary', type: 'submit' }, t('console.run'));
  replace(view,
    h('form', {
      class: 'card',
      onsubmit: async (event) => {
        event.preventDefault();
        const name = command.value.trim().replace(/^\//, '');
        run.disabled = true;
        output.dataset.state = 'running';
        output.textContent = '…';
        try {
          const answer = await app.api.post('/api/commands/execute', { command: name, args: args.value.trim() },
            { headers: { 'Accept-Language': app.locale } });
          replace(output, telegramHTML(answer?.text ?? ''));
          output.dataset.state = 'ok';
        } catch (error) {
          output.textContent = error.status === 404 && error.message === 'no such route'
            ? t('console.unavailable')
            : `${t('console.refused')}: ${app.errorText(error)}`;
          output.dataset.state = 'error';
        } finally {
          run.disabled = false;
        }
      },
    },
    h('datalist', { id: 'console-commands' }, commands.map((entry) => h('option', { value: `/${entry.command}` }, entry.description))),
    h('div', { class: 'grid-2' }, field(t('console.command'), command), field(t('console.args'), args, t('console.argsHint'))),
    run),
    h('section', {}, h('h2', {}, t('console.answer')), output),
    h('section', {}, h('h2', {}, t('console.available')),
      h('ul', { class: 'list' }, commands.map((entry) => h('li', {},
        h('button', { type: 'button', onclick: () => { command.value = `/${entry.command}`; args.focus(); } }, `/${entry.command}`), ' ',
        h('span', { class: 'muted' }, entry.description))))));
  command.focus();
  return {};
}

/**
 * The bot's answer (Telegram HTML) as nodes: parsed in an inert document, then rebuilt with
 * only Telegram's tags and `href`s that are http(s) or tg: links, so no markup from a
 * product name can do more than Telegram itself would show.
 */
export function telegramHTML(text) {
  const parsed = new DOMParser().parseFromString(`<body>${text}</body>`, 'text/html');
  const rebuild = (node) => {
    if (node.nodeType === Node.TEXT_NODE) return node.textContent;
    if (node.nodeType !== Node.ELEMENT_NODE) return null;
    const children = [...node.childNodes].map(rebuild);
    const tag = node.tagName.toLowerCase();
    if (!telegramTags.has(tag)) return children;
    const href = tag === 'a' && /^(https?:|tg:)/i.test(node.getAttribute('href') ?? '') ? node.getAttribute('href') : undefined;
    return h(tag === 'tg-spoiler' ? 'span' : tag, href ? { href, target: '_blank', rel: 'noopener' } : {}, children);
  };
  return [...parsed.body.childNodes].map(rebuild);
}
