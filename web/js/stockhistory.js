// A product's stock history (GET /api/products/{id}/stock-movements, newest first, paged): the
// figures and words the product page shows, apart from the DOM so node's tests reach them.

/** "+10", "−2" (a true minus sign), "0"; `format` writes the number itself (app.number). */
export function signedQuantity(delta, format = String) {
  if (delta > 0) return `+${format(delta)}`;
  if (delta < 0) return `\u2212${format(-delta)}`;
  return format(0);
}

/** `older` after `newer` (both newest first), each movement once: `newer` wins for an id in both. */
export function mergeMovements(newer, older) {
  const seen = new Set(newer.map((movement) => movement.id));
  return [...newer, ...older.filter((movement) => !seen.has(movement.id))];
}

/**
 * The first page fetched again (after a movement happened) put in front of what the page holds:
 * `{movements, next}`. When the fresh page does not reach the movements already shown (more
 * moved meanwhile than a page holds), what was shown is dropped and paging starts again from
 * the fresh page, so the list never has a gap.
 */
export function refreshMovements(shown, shownNext, page) {
  if (!shown.length) return { movements: page.items, next: page.next };
  const known = new Set(shown.map((movement) => movement.id));
  const reaches = page.next === null || page.items.some((movement) => known.has(movement.id));
  if (!reaches) return { movements: page.items, next: page.next };
  return { movements: mergeMovements(page.items, shown), next: shownNext };
}

/** The chart's points, oldest first: each movement's time and the level it left. */
export function levelSeries(movements) {
  return [...movements].reverse().map((movement) => ({ at: movement.at, level: movement.levelAfter }));
}

/**
 * One table row per movement: when, what, the signed quantity, the level after, who, why.
 * `words` gives `t` (texts), `dateTime` and `number` (the app's formatters).
 */
export function movementRows(movements, { t, dateTime, number }) {
  return movements.map((movement) => [
    dateTime(movement.at),
    t(`movement.${movement.kind}`),
    signedQuantity(movement.delta, number),
    number(movement.levelAfter),
    movement.actorName ?? t('history.system'),
    [movement.note, movement.reference].filter(Boolean).join(' · '),
  ]);
}
