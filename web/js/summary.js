// The daily summary's settings, without the DOM: the body of PUT /api/settings from the
// owner's form (on/off and a time "HH:MM" in the shop's time zone), checked the way the
// server checks it so the form does not send what would be refused.

const timePattern = /^([01][0-9]|2[0-3]):[0-5][0-9]$/;

/** Whether `time` is "HH:MM", 00:00 to 23:59. */
export function validTime(time) {
  return typeof time === 'string' && timePattern.test(time);
}

/**
 * The request body for the form's values, or `{ error }` (an i18n key) when the time is not
 * "HH:MM". A time zone is sent only when given (trimmed); the server checks it is an IANA name.
 */
export function summaryBody({ enabled, time, timeZone } = {}) {
  const t = String(time ?? '').trim();
  if (!validTime(t)) return { error: 'summary.badTime' };
  const body = { dailySummary: { enabled: Boolean(enabled), time: t } };
  const zone = String(timeZone ?? '').trim();
  if (zone) body.timeZone = zone;
  return { body };
}

/** One line for the owner: "Ligado às 21:00 (America/Sao_Paulo)" or "Desligado". */
export function describeSummary(settings, t) {
  const summary = settings?.dailySummary;
  if (!summary?.enabled) return t('summary.off');
  return t('summary.on', { time: summary.time, zone: settings.timeZone });
}
