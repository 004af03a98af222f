// A notification's words in the reader's language. The server keeps what happened (a kind and
// its parameters, as they were then) and serves one catalogue of words for every kind
// (GET /api/notifications/wording, the same table the bot words its messages from), so the
// MiniApp says it in the app's language rather than the one the server chose.

/**
 * Fills a template's `{name}`s from `params`. An empty or missing value takes the space after
 * it along and the result is trimmed, the rule the server's NoticeCatalogue follows.
 */
export function fill(template, params) {
  return template.replace(/\{(\w+)\}( ?)/g, (_, name, space) => {
    const value = String(params[name] ?? '');
    return value === '' ? '' : value + space;
  }).trim();
}

/**
 * {title, body} of a notification in `language` ("pt" or "en"), worded from the catalogue; a
 * notification without parameters (from before they were kept) or of a kind the catalogue does
 * not have keeps the title and body the server sent.
 */
export function noticeWords(notice, wording, language) {
  const templates = notice.params ? wording?.kinds?.[notice.kind]?.[language] : null;
  if (!templates) return { title: notice.title, body: notice.body };
  return { title: fill(templates.title, notice.params), body: fill(templates.body, notice.params) };
}
