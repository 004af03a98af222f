// Debt reminders without the DOM: the owner's settings form (PUT /api/settings, checked the
// way the server checks it so the form does not send what would be refused) and how the
// admins' debts screen describes each debtor of GET /api/debts/reminders.

import { validTime } from './summary.js';

/** The bounds the server holds the settings to (README, "Debt reminders"). */
export const reminderBounds = {
  overdueDays: [1, 365],
  intervalDays: [1, 90],
  maxReminders: [0, 20],
};

/**
 * The request body for the form's values, or `{ error }` (an i18n key) when a number is out of
 * its bounds or a quiet-hours time is not "HH:MM".
 */
export function reminderSettingsBody({ enabled, overdueDays, intervalDays, maxReminders, quietStart, quietEnd } = {}) {
  const numbers = { overdueDays, intervalDays, maxReminders };
  const debtReminders = { enabled: Boolean(enabled) };
  for (const [name, value] of Object.entries(numbers)) {
    const text = String(value ?? '').trim();
    const n = Number(text);
    const [low, high] = reminderBounds[name];
    if (!/^\d+$/.test(text) || n < low || n > high) return { error: `reminders.bad.${name}` };
    debtReminders[name] = n;
  }
  for (const [name, value] of Object.entries({ quietStart, quietEnd })) {
    const time = String(value ?? '').trim();
    if (!validTime(time)) return { error: 'summary.badTime' };
    debtReminders[name] = time;
  }
  return { body: { debtReminders } };
}

/** One line for the owner: "Ligados: atrasada após 30 dias, …" or "Desligados". */
export function describeReminders(settings, t) {
  const r = settings?.debtReminders;
  if (!r?.enabled) return t('reminders.off');
  return t('reminders.on', { overdue: r.overdueDays, interval: r.intervalDays, max: r.maxReminders, from: r.quietStart, to: r.quietEnd });
}

/**
 * How the debts screen shows a debtor: the age ("12 dias", flagged when overdue), the last
 * reminder with the count ("—" before any), the pause button's action and label.
 */
export function describeDebtor(debtor, t, dateTime) {
  return {
    age: t('reminders.age', { days: debtor.ageDays }),
    overdue: Boolean(debtor.overdue),
    last: debtor.lastReminderAt ? t('reminders.last', { when: dateTime(debtor.lastReminderAt), count: debtor.reminders }) : '—',
    pauseBody: { paused: !debtor.paused },
    pauseLabel: debtor.paused ? t('reminders.resume') : t('reminders.pause'),
    paused: Boolean(debtor.paused),
  };
}

/** Overdue first, then the oldest debt first, then the largest. */
export function sortDebtors(debtors) {
  return [...debtors].sort((a, b) => Number(b.overdue) - Number(a.overdue) || b.ageDays - a.ageDays || b.amount - a.amount);
}
