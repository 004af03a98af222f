import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeDebtor, describeReminders, reminderSettingsBody, sortDebtors } from '../js/reminders.js';
import { translator } from '../js/i18n.js';

const form = { enabled: true, overdueDays: '30', intervalDays: ' 7 ', maxReminders: '3', quietStart: '21:00', quietEnd: '09:00' };

test('the reminder form becomes the PUT /api/settings body', () => {
  assert.deepEqual(reminderSettingsBody(form), {
    body: { debtReminders: { enabled: true, overdueDays: 30, intervalDays: 7, maxReminders: 3, quietStart: '21:00', quietEnd: '09:00' } },
  });
  assert.deepEqual(reminderSettingsBody({ ...form, enabled: false, maxReminders: '0' }).body.debtReminders.maxReminders, 0);
});

test('numbers outside the server\'s bounds and bad times are caught before sending', () => {
  assert.deepEqual(reminderSettingsBody({ ...form, overdueDays: '0' }), { error: 'reminders.bad.overdueDays' });
  assert.deepEqual(reminderSettingsBody({ ...form, overdueDays: '366' }), { error: 'reminders.bad.overdueDays' });
  assert.deepEqual(reminderSettingsBody({ ...form, intervalDays: '91' }), { error: 'reminders.bad.intervalDays' });
  assert.deepEqual(reminderSettingsBody({ ...form, maxReminders: '21' }), { error: 'reminders.bad.maxReminders' });
  assert.deepEqual(reminderSettingsBody({ ...form, maxReminders: '2.5' }), { error: 'reminders.bad.maxReminders' });
  assert.deepEqual(reminderSettingsBody({ ...form, intervalDays: '' }), { error: 'reminders.bad.intervalDays' });
  assert.deepEqual(reminderSettingsBody({ ...form, quietEnd: '24:00' }), { error: 'summary.badTime' });
  assert.deepEqual(reminderSettingsBody(), { error: 'reminders.bad.overdueDays' });
});

test('the settings read as a sentence in both languages', () => {
  const settings = { debtReminders: { enabled: true, overdueDays: 30, intervalDays: 7, maxReminders: 3, quietStart: '21:00', quietEnd: '09:00' } };
  assert.equal(describeReminders(settings, translator('pt')), 'Ligados: atrasada após 30 dias, a cada 7 dias, no máximo 3, silêncio 21:00–09:00');
  assert.equal(describeReminders(settings, translator('en')), 'On: overdue after 30 days, every 7 days, at most 3, quiet 21:00–09:00');
  assert.equal(describeReminders({ debtReminders: { ...settings.debtReminders, enabled: false } }, translator('pt')), 'Desligados');
  assert.equal(describeReminders(undefined, translator('en')), 'Off');
});

test('a debtor shows its age, its last reminder and the pause button that fits', () => {
  const t = translator('en');
  const when = (at) => `at ${at}`;
  const fresh = describeDebtor({ ageDays: 40, overdue: true, lastReminderAt: null, reminders: 0, paused: false }, t, when);
  assert.deepEqual(fresh, { age: '40 days', overdue: true, last: '—', pauseBody: { paused: true }, pauseLabel: 'Pause', paused: false });
  const paused = describeDebtor({ ageDays: 3, overdue: false, lastReminderAt: '2026-12-01T12:00:00Z', reminders: 2, paused: true }, translator('pt'), when);
  assert.deepEqual(paused, { age: '3 dias', overdue: false, last: 'at 2026-12-01T12:00:00Z (2º)', pauseBody: { paused: false }, pauseLabel: 'Retomar', paused: true });
});

test('overdue debts come first, oldest first', () => {
  const list = [
    { userId: 'u1', overdue: false, ageDays: 5, amount: 9000 },
    { userId: 'u2', overdue: true, ageDays: 31, amount: 100 },
    { userId: 'u3', overdue: true, ageDays: 60, amount: 50 },
    { userId: 'u4', overdue: true, ageDays: 31, amount: 700 },
  ];
  assert.deepEqual(sortDebtors(list).map((d) => d.userId), ['u3', 'u4', 'u2', 'u1']);
  assert.equal(list[0].userId, 'u1', 'the list given is not reordered');
});
