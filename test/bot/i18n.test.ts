import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { languageOf, MESSAGES, t } from '../../src/bot/i18n.js';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
// Labels that are the same in both languages by nature: a placeholder only.
const SAME_BY_NATURE = new Set(['reason.other', 'orders.line', 'addresses.delete']);

test('every English line of the bot has a Chinese translation, not a copy, with the same placeholders', () => {
  const en = MESSAGES.en;
  const zh = MESSAGES.zh;
  assert.deepEqual(Object.keys(zh).sort(), Object.keys(en).sort());
  for (const key of Object.keys(en) as Array<keyof typeof en>) {
    assert.ok(zh[key].trim() !== '', `${key} is empty in Chinese`);
    if (!SAME_BY_NATURE.has(key)) assert.notEqual(zh[key], en[key], `${key} is not translated`);
    assert.deepEqual(placeholders(zh[key]), placeholders(en[key]), `${key} has other placeholders in Chinese`);
  }
});

test('every line is used by the bot, by name or under a prefix it builds keys from', () => {
  const dir = join(import.meta.dirname, '../../src/bot');
  const code = readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && f !== 'i18n.ts')
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('\n');
  const unused = Object.keys(MESSAGES.en).filter((key) => !code.includes(`'${key}'`) && !['status.', 'reason.', 'cancel.', 'command.'].some((p) => key.startsWith(p)));
  assert.deepEqual(unused, []);
});

test('a Telegram client in any Chinese is answered in Chinese, anything else in English; placeholders are filled', () => {
  assert.equal(languageOf('zh-hans'), 'zh');
  assert.equal(languageOf('zh-TW'), 'zh');
  assert.equal(languageOf('en'), 'en');
  assert.equal(languageOf('ru'), 'en');
  assert.equal(languageOf(undefined), 'en');
  assert.equal(t('en', 'rent.cost', { value: '4.225' }), 'Cost: 4.225 TRX');
  assert.equal(t('zh', 'rent.cost', { value: '4.225' }), '费用：4.225 TRX');
});
