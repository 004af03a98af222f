import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeSummary, summaryBody, validTime } from '../js/summary.js';
import { translator } from '../js/i18n.js';

test('a time is HH:MM from 00:00 to 23:59', () => {
  for (const ok of ['00:00', '09:05', '21:00', '23:59']) assert.equal(validTime(ok), true, ok);
  for (const bad of ['24:00', '9:00', '21:60', '21h00', '', '21:00:00', null, 2100]) assert.equal(validTime(bad), false, String(bad));
});

test('the form becomes the PUT /api/settings body', () => {
  assert.deepEqual(summaryBody({ enabled: true, time: ' 21:30 ', timeZone: 'America/Sao_Paulo' }),
    { body: { dailySummary: { enabled: true, time: '21:30' }, timeZone: 'America/Sao_Paulo' } });
  assert.deepEqual(summaryBody({ enabled: false, time: '08:00', timeZone: '  ' }), { body: { dailySummary: { enabled: false, time: '08:00' } } });
  assert.deepEqual(summaryBody({ enabled: true, time: '25:00' }), { error: 'summary.badTime' });
  assert.deepEqual(summaryBody(), { error: 'summary.badTime' });
});

test('the settings read as a sentence in both languages', () => {
  const pt = translator('pt');
  const en = translator('en');
  const on = { timeZone: 'America/Sao_Paulo', dailySummary: { enabled: true, time: '21:00' } };
  assert.equal(describeSummary(on, pt), 'Ligado às 21:00 (America/Sao_Paulo)');
  assert.equal(describeSummary(on, en), 'On at 21:00 (America/Sao_Paulo)');
  assert.equal(describeSummary({ ...on, dailySummary: { enabled: false, time: '21:00' } }, pt), 'Desligado');
  assert.equal(describeSummary(undefined, en), 'Off');
});
