import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deviceLabel, formatDate, formatDateTime, formatMoney, formatRelative, minorDigits, parseMoney, shortDay, utcDay } from '../js/format.js';

// Intl separates the currency symbol with a no-break space; compare with plain spaces.
const plain = (text) => text.replace(/\s/g, ' ');

test('money is formatted from integer minor units with the currency', () => {
  assert.equal(plain(formatMoney(1250, 'BRL', 'pt-BR')), 'R$ 12,50');
  assert.equal(plain(formatMoney(1250, 'BRL', 'en-US')), 'R$12.50');
  assert.equal(plain(formatMoney(123456789, 'BRL', 'pt-BR')), 'R$ 1.234.567,89');
  assert.equal(plain(formatMoney(5, 'BRL', 'pt-BR')), 'R$ 0,05');
  assert.equal(plain(formatMoney(0, 'USD', 'en-US')), '$0.00');
  assert.equal(plain(formatMoney(-300, 'BRL', 'pt-BR')), '-R$ 3,00');
});

test('money keeps every digit of sums a float would round', () => {
  // 2^53 + 1 minor units cannot be a float; as a bigint or a digit string it keeps its last digit.
  assert.equal(plain(formatMoney(9007199254740993n, 'BRL', 'en-US')), 'R$90,071,992,547,409.93');
  assert.equal(plain(formatMoney('9007199254740993', 'BRL', 'en-US')), 'R$90,071,992,547,409.93');
  assert.equal(plain(formatMoney(900719925474099, 'BRL', 'pt-BR')), 'R$ 9.007.199.254.740,99');
});

test('currencies without cents and with three digits use their own minor units', () => {
  assert.equal(minorDigits('JPY'), 0);
  assert.equal(minorDigits('BHD'), 3);
  assert.equal(plain(formatMoney(1500, 'JPY', 'en-US')), '¥1,500');
  assert.equal(plain(formatMoney(1500, 'BHD', 'en-US')), 'BHD 1.500');
});

test('typed amounts become minor units whatever the separators', () => {
  assert.equal(parseMoney('12,50'), 1250);
  assert.equal(parseMoney('12.5'), 1250);
  assert.equal(parseMoney('R$ 1.234,56'), 123456);
  assert.equal(parseMoney('1,234.56'), 123456);
  assert.equal(parseMoney('7'), 700);
  assert.equal(parseMoney('1.000'), 100000);
  assert.equal(parseMoney('0,05'), 5);
  assert.equal(parseMoney('-3'), -300);
  assert.equal(parseMoney('150', 'JPY'), 150);
  assert.equal(parseMoney(''), null);
  assert.equal(parseMoney('abc'), null);
  assert.equal(parseMoney('1-2'), null);
});

test('dates are shown in the reader’s language and time zone', () => {
  assert.equal(formatDate('2026-11-21T10:00:00Z', 'pt-BR', 'UTC'), '21/11/2026');
  assert.equal(formatDate('2026-11-21T10:00:00Z', 'en-US', 'UTC'), '11/21/2026');
  assert.equal(formatDate('2026-11-21T01:00:00Z', 'pt-BR', 'America/Sao_Paulo'), '20/11/2026');
  assert.equal(plain(formatDateTime('2026-11-21T10:05:00Z', 'pt-BR', 'UTC')), '21/11/2026, 10:05');
  assert.equal(formatDate('not a date'), '');
});

test('relative times read naturally', () => {
  const now = Date.parse('2026-11-21T10:00:00Z');
  assert.equal(formatRelative('2026-11-21T09:55:00Z', 'pt-BR', now), 'há 5 minutos');
  assert.equal(formatRelative('2026-11-21T09:55:00Z', 'en', now), '5 minutes ago');
  assert.equal(formatRelative('2026-11-20T10:00:00Z', 'pt-BR', now), 'ontem');
});

test('the UTC day keys sales to report rows', () => {
  assert.equal(utcDay('2026-11-21T23:59:59Z'), '2026-11-21');
  assert.equal(utcDay('2026-11-21T22:00:00-03:00'), '2026-11-22');
});

test('report days become short axis labels in the reader’s order', () => {
  assert.equal(shortDay('2026-11-21', 'pt'), '21/11');
  assert.equal(shortDay('2026-11-21', 'en'), '11/21');
  assert.equal(shortDay('p3'), null);
  assert.equal(shortDay('2026-W47'), null);
});

test('a device is named by its browser and system, or by its own text', () => {
  assert.equal(deviceLabel('Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36'), 'Chrome · Android');
  assert.equal(deviceLabel('Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1'), 'Safari · iOS');
  assert.equal(deviceLabel('Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0'), 'Firefox · Windows');
  assert.equal(deviceLabel('curl/8.5.0'), 'curl/8.5.0');
  assert.equal(deviceLabel(''), '');
  assert.equal(deviceLabel(undefined), '');
});
