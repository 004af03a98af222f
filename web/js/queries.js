// Live queries on the client (README, "Live queries"): what one watch holds, folded from the
// server's `query_snapshot` and `query_diff` frames, and the result in the query's order.
// Pure functions over plain objects, so `node --test` checks them without a browser.

/** A record's key in a result: its id, or for a debt the user it belongs to. */
export function recordKey(record) {
  return record.id ?? record.userId;
}

/** An empty result: nothing held yet, no position. */
export function emptyResult() {
  return { records: new Map(), seq: null, epoch: null };
}

/**
 * The result after `frame` (a `query_snapshot` replaces it, a `query_diff` changes it); the
 * result unchanged for any other frame. Never mutates `result`.
 */
export function foldQuery(result, frame) {
  if (frame.type === 'query_snapshot') {
    const records = new Map();
    for (const record of frame.records ?? []) records.set(recordKey(record), record);
    return { records, seq: frame.seq ?? null, epoch: frame.epoch ?? result.epoch };
  }
  if (frame.type === 'query_diff') {
    const records = new Map(result.records);
    for (const id of frame.leave ?? []) records.delete(id);
    for (const record of [...(frame.enter ?? []), ...(frame.update ?? [])]) records.set(recordKey(record), record);
    return { records, seq: frame.seq ?? result.seq, epoch: result.epoch };
  }
  return result;
}

/** The number in an id ("p12" → 12), which orders ties as the server does. */
function idNumber(record) {
  const match = /\d+$/.exec(recordKey(record) ?? '');
  return match ? Number(match[0]) : 0;
}

/** The records of `result` in `query`'s order: its `order` field (text, numbers, booleans; absent first), then id. */
export function ordered(result, query) {
  const field = query.order?.field && query.order.field !== 'id' ? query.order.field : null;
  const descending = query.order?.direction === 'desc';
  const rank = (value) => (value === undefined || value === null ? 0 : typeof value === 'boolean' ? 1 : typeof value === 'number' ? 2 : 3);
  const compare = (a, b) => {
    if (field) {
      const x = a[field];
      const y = b[field];
      if (rank(x) !== rank(y)) return descending ? rank(y) - rank(x) : rank(x) - rank(y);
      if (x !== y && x !== undefined && x !== null) {
        // Text compares by code unit, as the server's Swift strings do for the ASCII the shop's
        // fields mostly hold; numbers and booleans by value.
        const less = x < y;
        return descending ? (less ? 1 : -1) : (less ? -1 : 1);
      }
    }
    return descending ? idNumber(b) - idNumber(a) : idNumber(a) - idNumber(b);
  };
  return [...result.records.values()].sort(compare);
}

/**
 * The `watch` message for query `query` under id `id`, resuming from `result` when it holds a
 * position: `since`, `epoch` and `have` (ids and versions), so the server sends only what changed.
 */
export function watchMessage(id, query, result) {
  const message = { type: 'watch', id, ...query };
  if (result?.seq !== null && result?.seq !== undefined) {
    message.since = result.seq;
    if (result.epoch) message.epoch = result.epoch;
    message.have = Object.fromEntries([...result.records.values()].map((record) => [recordKey(record), record.version ?? 0]));
  }
  return message;
}

/** Midnight UTC of `now`, as RFC 3339: "today" as the shop's reports count it. */
export function startOfDayUTC(now = new Date()) {
  const day = new Date(now);
  day.setUTCHours(0, 0, 0, 0);
  return day.toISOString().replace(/\.\d+Z$/, 'Z');
}
