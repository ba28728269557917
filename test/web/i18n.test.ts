import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
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

/** The dashboard's code: every .ts and .tsx file under web/src. */
function dashboardCode(): string {
  const dir = fileURLToPath(new URL('../../web/src/', import.meta.url));
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.tsx?$/.test(f))
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('\n');
}

/**
 * Keys the code builds instead of naming them: t(`status.${s}`) and the like,
 * and codeLabel(t, 'reason', code). Any key one segment under one of these
 * counts as used, since which values reach it is only known at run time.
 */
const BUILT_UNDER = ['nav.', 'status.', 'overview.mode.', 'overview.breaker.', 'overview.path.', 'tx.', 'tx.status.', 'ledger.', 'reason.', 'redisState.', 'flash.status.'];

test('every English label is used by the dashboard, by name or under a prefix the code builds keys from', () => {
  const code = dashboardCode();
  for (const prefix of BUILT_UNDER) {
    const stillBuilt = code.includes(`\`${prefix}\${`) || code.includes(`codeLabel(t, '${prefix.slice(0, -1)}'`);
    assert.ok(stillBuilt, `no code builds keys under ${prefix} any more: drop it from the list, and its unused keys from the dictionaries`);
  }
  // A dictionary entry is the key followed by a colon; a use is the key in quotes followed by anything else.
  const named = (key: string) => new RegExp(`'${key.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}'(?!:)`).test(code);
  const built = (key: string) => BUILT_UNDER.some((p) => key.startsWith(p) && !key.slice(p.length).includes('.'));
  const unused = Object.keys(DICTIONARIES.en).filter((key) => !named(key) && !built(key));
  assert.deepEqual(unused, [], 'labels no code shows: remove them from both languages');
});
