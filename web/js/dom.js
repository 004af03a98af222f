// A few DOM helpers so screens read as the markup they build. Text always goes in as text
// nodes (never innerHTML), so names and notes from the server cannot inject markup.

/** `h('button', {class: 'primary', onclick}, 'Salvar')`: an element with attributes, listeners and children. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (name === 'class') element.className = value;
    else if (name === 'dataset') Object.assign(element.dataset, value);
    else if (name in element && typeof value !== 'string') element[name] = value;
    else element.setAttribute(name, value === true ? '' : value);
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's children. */
export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

/** A labelled form field: the label names the control for screen readers and clicks. */
export function field(label, control, hint) {
  const id = control.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  control.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hint ? h('small', { class: 'hint' }, hint) : null);
}

/** A short message at the bottom of the screen; errors stay until read (role=alert). */
export function toast(message, kind = 'info') {
  const area = document.getElementById('toasts');
  if (!area) return;
  const note = h('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, message);
  area.append(note);
  // Three at most: a burst of refusals should not cover the screen.
  while (area.children.length > 3) area.firstElementChild.remove();
  setTimeout(() => note.remove(), kind === 'error' ? 7000 : 3500);
}

/** An empty-state or loading line. */
export function note(text) {
  return h('p', { class: 'muted note' }, text);
}

/** A table from column headings and rows of cells (each a node or text). */
export function table(headings, rows, { rowAttributes = () => ({}), stacked = false } = {}) {
  // A stacked table becomes one card per row on a phone (styles.css), each cell under its heading.
  const cell = (value, j) => h('td', stacked && headings[j] ? { 'data-label': headings[j] } : {}, value);
  return h('div', { class: 'table-wrap' }, h('table', stacked ? { class: 'stacked' } : {},
    h('thead', {}, h('tr', {}, headings.map((heading) => h('th', { scope: 'col' }, heading)))),
    h('tbody', {}, rows.map((row, i) => h('tr', rowAttributes(i), row.map(cell))))));
}

/** A labelled figure card for the dashboard ("Vendas hoje: 12"). */
export function stat(label, value, attributes = {}) {
  return h('div', { class: 'stat', ...attributes }, h('span', { class: 'stat-label' }, label), h('strong', { class: 'stat-value' }, value));
}
