import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DICTIONARIES, translator } from '../../web/src/i18n.js';

test('every dashboard label has a Chinese translation, not a copy of the English', () => {
  const { en, zh } = DICTIONARIES;
  assert.deepEqual(Object.keys(zh).sort(), Object.keys(en).sort());
  // Names and notation that read the same in both languages.
  const same = new Set(['overview.redis', 'order.event']);
  const untranslated = Object.keys(en).filter((k) => !same.has(k) && zh[k as keyof typeof zh] === en[k as keyof typeof en]);
  assert.deepEqual(untranslated, []);
  const latinOnly = Object.entries(zh).filter(([k, v]) => !same.has(k) && !/[\u4e00-\u9fff]/.test(v));
  assert.deepEqual(latinOnly, [], 'every Chinese label has Chinese in it');
});

test('a label keeps its placeholders in both languages, and fills them', () => {
  const { en, zh } = DICTIONARIES;
  const names = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
  for (const key of Object.keys(en) as Array<keyof typeof en>) assert.deepEqual(names(zh[key]), names(en[key]), key);
  assert.equal(translator('zh')('pager.page', { n: 3 }), '第 3 页');
  assert.equal(translator('en')('pools.total', { trx: '1.5', energy: '14' }), 'Available now: 1.5 TRX ≈ 14 energy');
});
