// Refunds, without the DOM: what of a sale is left to refund, and the body of
// POST /api/sales/{id}/refund for the units an admin chose. The server decides (never more
// than was sold); this only keeps the form from asking for what it would refuse.

/** Each line of `sale` with its sold, refunded and left units. */
export function refundableLines(sale) {
  return (sale?.lines ?? []).map((line, index) => {
    const refunded = sale.refundedQuantities?.[index] ?? 0;
    return { index, productId: line.productId, unitPrice: line.unitPrice, sold: line.quantity, refunded, left: Math.max(0, line.quantity - refunded) };
  });
}

/** Whether any unit of `sale` is left to refund. */
export function canRefund(sale) {
  return refundableLines(sale).some((line) => line.left > 0);
}

/** Whether every unit of `sale` was refunded. */
export function fullyRefunded(sale) {
  return (sale?.lines?.length ?? 0) > 0 && !canRefund(sale);
}

/** The value, in minor units, of the units chosen (`chosen[i]` for line i). */
export function refundAmount(sale, chosen) {
  return refundableLines(sale).reduce((sum, line) => sum + line.unitPrice * (Number(chosen[line.index]) || 0), 0);
}

/**
 * The request body for the units chosen, or `{ error, index }` when a count is not a whole
 * number from 0 to what is left of its line, or when nothing is chosen. Choosing every unit
 * left sends no `items` (the server refunds the rest); `restock` and `note` go as given.
 */
export function refundBody(sale, chosen, { restock = true, note = '' } = {}) {
  const lines = refundableLines(sale);
  const items = [];
  let everything = true;
  for (const line of lines) {
    const raw = chosen[line.index];
    const quantity = raw === '' || raw === undefined || raw === null ? 0 : Number(raw);
    if (!Number.isInteger(quantity) || quantity < 0 || quantity > line.left) return { error: 'sales.refundBadQuantity', index: line.index, left: line.left };
    if (quantity !== line.left) everything = false;
    if (quantity > 0) items.push({ productId: line.productId, quantity });
  }
  if (!items.length) return { error: 'sales.refundNothing' };
  const body = { restock: Boolean(restock) };
  if (!everything) body.items = items;
  if (note.trim()) body.note = note.trim();
  return { body };
}

/** `sales` with `sale` in place of the record of the same id (a refund changes a sale in place). */
export function replaceSale(sales, sale) {
  return sales.map((known) => (known.id === sale.id ? sale : known));
}
