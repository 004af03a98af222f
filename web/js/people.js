// People, without the DOM: the owner's create and edit form for a user (name, role, Telegram
// id), which customers may be erased, and the file name of a person's data download. The
// server decides (unique Telegram ids, the last owner); this only keeps the form from sending
// what it would refuse.

export const roles = ['user', 'admin', 'owner'];
/** Telegram's user ids are positive and below 2^52 (the server's bound). */
export const maxTelegramId = 4503599627370495;
export const maxNameLength = 200;

/** Whether `user` was erased: an erased person's Telegram id is negative. */
export function isErased(user) {
  return Number(user?.telegramId) < 0;
}

/** Whether the owner `me` may erase `user`: a customer who is not `me` and not erased yet. */
export function canErase(user, me) {
  return Boolean(user) && user.role === 'user' && user.id !== me?.id && !isErased(user);
}

/**
 * The form's fields checked and shaped: `{ value }` with a trimmed name, an integer Telegram id
 * and a role, or `{ error, field }` naming the first field that is wrong.
 */
export function readUserForm({ name = '', telegramId = '', role = 'user' } = {}) {
  const trimmed = String(name).trim();
  if (!trimmed) return { error: 'people.nameRequired', field: 'name' };
  if ([...trimmed].length > maxNameLength) return { error: 'people.nameTooLong', field: 'name' };
  const text = String(telegramId).trim();
  if (!/^[0-9]{1,16}$/.test(text)) return { error: 'people.badTelegramId', field: 'telegramId' };
  const id = Number(text);
  if (!Number.isSafeInteger(id) || id < 1 || id > maxTelegramId) return { error: 'people.badTelegramId', field: 'telegramId' };
  if (!roles.includes(role)) return { error: 'people.badRole', field: 'role' };
  return { value: { name: trimmed, telegramId: id, role } };
}

/** The body of POST /api/users for the form, or `{ error, field }`. */
export function newUserBody(form) {
  const read = readUserForm(form);
  return read.error ? read : { body: read.value };
}

/**
 * The body of PATCH /api/users/{id}: only what differs from `user`; `{ error, field }` when the
 * form is wrong, and `{ unchanged: true }` when nothing differs.
 */
export function userChanges(user, form) {
  const read = readUserForm(form);
  if (read.error) return read;
  const body = {};
  for (const key of ['name', 'telegramId', 'role']) if (read.value[key] !== user[key]) body[key] = read.value[key];
  return Object.keys(body).length ? { body } : { unchanged: true };
}

/** The file a person's data is saved as: "tenda-data-u7-2026-12-05.json". */
export function exportFileName(export_) {
  const day = String(export_?.exportedAt ?? '').slice(0, 10) || 'export';
  return `tenda-data-${export_?.user?.id ?? 'me'}-${day}.json`;
}
