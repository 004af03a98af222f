// Bulk work, without the DOM: which of the selected orders (or users) an action applies to, the
// body of POST /api/orders/bulk or /api/users/bulk, and what the answer says about each item.
// The server decides each item on its own (one command per id); this keeps the bar from offering
// an action none of the selection can take, and shows every item's outcome.

/** The most ids one request takes (the server refuses more with 400). */
export const maxBulkItems = 100;

/** The state an order must be in for each order action. */
const orderActionStates = { verify: 'receipt_submitted', reject: 'receipt_submitted', fulfil: 'verified' };

/** The order actions, in the bar's order. */
export const orderActions = Object.keys(orderActionStates);

/** The user actions, in the bar's order. */
export const userActions = ['block', 'unblock', 'role'];

/** The selected orders `action` applies to (an order in another state would only be refused). */
export function ordersFor(action, orders) {
  const state = orderActionStates[action];
  return state ? orders.filter((order) => order?.state === state) : [];
}

/** The order actions that apply to at least one selected order. */
export function availableOrderActions(orders) {
  return orderActions.filter((action) => ordersFor(action, orders).length > 0);
}

/**
 * The request body for `action` over `ids` (in the order given, each once), or `{ error }` when
 * nothing is selected, too much is, or the action's field (`reason` to reject, `role` to change
 * roles) is missing.
 */
export function bulkBody(action, ids, { reason, role } = {}) {
  const unique = [...new Set((ids ?? []).filter((id) => typeof id === 'string' && id))];
  if (!unique.length) return { error: 'bulk.nothing' };
  if (unique.length > maxBulkItems) return { error: 'bulk.tooMany', max: maxBulkItems };
  const body = { action, ids: unique };
  if (action === 'reject') {
    if (!reason?.trim()) return { error: 'bulk.reasonNeeded' };
    body.reason = reason.trim();
  }
  if (action === 'role') {
    if (!['user', 'admin', 'owner'].includes(role)) return { error: 'bulk.roleNeeded' };
    body.role = role;
  }
  return { body };
}

/** The answer's outcomes: how many applied, and each refused item with its message. */
export function summarize(answer) {
  const results = answer?.results ?? [];
  const failures = results.filter((result) => !result.ok).map((result) => ({ id: result.id, code: result.error?.code, message: result.error?.message ?? '' }));
  return { succeeded: results.length - failures.length, failed: failures.length, failures };
}

/** Puts every changed record of the answer into `records` (a Map by id); returns the ids changed. */
export function applyResults(records, answer) {
  const changed = [];
  for (const result of answer?.results ?? []) {
    if (!result.ok || !result.record) continue;
    records.set(result.record.id, result.record);
    changed.push(result.record.id);
  }
  return changed;
}

/** The selection after an answer: the refused items stay selected (to retry or look at), the applied ones leave. */
export function remainingSelection(selection, answer) {
  const failed = new Set((answer?.results ?? []).filter((result) => !result.ok).map((result) => result.id));
  return new Set([...selection].filter((id) => failed.has(id)));
}
