// Money, numbers and dates for people: money arrives as integer minor units with an ISO 4217
// currency (1250 BRL is R$ 12,50) and is never held as a float; times arrive as RFC 3339 UTC.

/** The number of minor-unit digits of a currency (BRL 2, JPY 0, BHD 3), as Intl knows it. */
export function minorDigits(currency) {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits;
  } catch {
    return 2;
  }
}

/** `1250, "BRL", "pt-BR"` → "R$ 12,50". Integer arithmetic splits units and cents, so large sums stay exact. */
export function formatMoney(minor, currency = 'BRL', locale = 'pt-BR') {
  // A bigint or a digit string stays exact; a number is already an integer below 2^53.
  const amount = typeof minor === 'bigint' ? minor : BigInt(/^-?\d+$/.test(String(minor)) ? String(minor) : Math.trunc(Number(minor) || 0));
  const digits = minorDigits(currency);
  const scale = 10n ** BigInt(digits);
  const negative = amount < 0n;
  const absolute = negative ? -amount : amount;
  const units = absolute / scale;
  const cents = absolute % scale;
  const formatter = new Intl.NumberFormat(locale, { style: 'currency', currency, minimumFractionDigits: digits, maximumFractionDigits: digits });
  // Format a stand-in with the right sign and fraction width, then put the exact digits in.
  const parts = formatter.formatToParts(negative ? -1.5 : 1.5);
  const grouped = new Intl.NumberFormat(locale, { useGrouping: true, maximumFractionDigits: 0 }).format(units);
  return parts.map((part) => {
    if (part.type === 'integer') return grouped;
    if (part.type === 'fraction') return cents.toString().padStart(digits, '0');
    return part.value;
  }).join('');
}

/**
 * What a person typed as an amount ("12,50", "12.5", "R$ 1.234,56", "1,234.56") in minor units,
 * or null when it is not an amount. The last "," or "." followed by at most the currency's
 * minor digits is the decimal mark; other marks are thousands separators.
 */
export function parseMoney(text, currency = 'BRL') {
  const digits = minorDigits(currency);
  const cleaned = String(text ?? '').replace(/[^\d,.-]/g, '');
  if (!/\d/.test(cleaned) || /-/.test(cleaned.slice(1))) return null;
  const negative = cleaned.startsWith('-');
  const body = cleaned.replace(/^-/, '');
  const mark = Math.max(body.lastIndexOf(','), body.lastIndexOf('.'));
  let whole = body;
  let fraction = '';
  if (mark >= 0 && body.length - mark - 1 <= digits && body.length - mark - 1 > 0) {
    whole = body.slice(0, mark);
    fraction = body.slice(mark + 1);
  } else if (mark === body.length - 1) {
    whole = body.slice(0, mark);
  }
  whole = whole.replace(/[,.]/g, '');
  if (!/^\d*$/.test(whole) || !/^\d*$/.test(fraction)) return null;
  const minor = Number(whole || '0') * 10 ** digits + Number(fraction.padEnd(digits, '0') || '0');
  if (!Number.isSafeInteger(minor)) return null;
  return negative ? -minor : minor;
}

/** A plain integer with the locale's grouping ("1.234"). */
export function formatNumber(value, locale = 'pt-BR') {
  return new Intl.NumberFormat(locale).format(value);
}

/** "22/11/2026" (pt-BR) or "11/22/2026" (en) for an RFC 3339 time, in the viewer's time zone. */
export function formatDate(iso, locale = 'pt-BR', timeZone) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return new Intl.DateTimeFormat(locale, { day: '2-digit', month: '2-digit', year: 'numeric', timeZone }).format(date);
}

/** Date and time to the minute ("22/11/2026, 10:05"). */
export function formatDateTime(iso, locale = 'pt-BR', timeZone) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return new Intl.DateTimeFormat(locale, {
    day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone,
  }).format(date);
}

/** How long ago, in words ("há 5 minutos", "5 minutes ago"); `now` is injectable for tests. */
export function formatRelative(iso, locale = 'pt-BR', now = Date.now()) {
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  if (Number.isNaN(seconds)) return '';
  const steps = [['year', 31536000], ['month', 2592000], ['day', 86400], ['hour', 3600], ['minute', 60], ['second', 1]];
  const format = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  for (const [unit, size] of steps) {
    if (Math.abs(seconds) >= size || unit === 'second') return format.format(Math.trunc(seconds / size), unit);
  }
  return '';
}

/** The UTC day of a time as "YYYY-MM-DD" (the server's report rows are keyed by UTC day). */
export function utcDay(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : date.toISOString().slice(0, 10);
}

/** A report's day key ("2026-11-21") as a short axis label: "21/11" (pt) or "11/21" (en); null for other keys. */
export function shortDay(key, language = 'pt') {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(key ?? '');
  if (!match) return null;
  return language === 'en' ? `${match[2]}/${match[3]}` : `${match[3]}/${match[2]}`;
}

const browsers = [['Telegram', /Telegram/i], ['Edge', /Edg\//], ['Opera', /OPR\//], ['Firefox', /Firefox\//], ['Chrome', /Chrom(e|ium)\//], ['Safari', /Safari\//]];
const systems = [['Android', /Android/], ['iOS', /iPhone|iPad|iPod/], ['Windows', /Windows/], ['macOS', /Macintosh|Mac OS X/], ['Linux', /Linux/]];

/** A short name for a device from its User-Agent ("Chrome · Android"); the text itself when nothing in it is known. */
export function deviceLabel(userAgent) {
  const text = String(userAgent ?? '').trim();
  const browser = browsers.find(([, pattern]) => pattern.test(text))?.[0];
  const system = systems.find(([, pattern]) => pattern.test(text))?.[0];
  return browser || system ? [browser, system].filter(Boolean).join(' · ') : text;
}
