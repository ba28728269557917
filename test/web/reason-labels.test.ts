import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FLASH_REFUND_REASONS } from '../../src/domain/flash-rent.js';
import { FAILURE_CODES, REFUSAL_PREFIXES, refusedWith, TRANSITION_REASONS, WAIT_REASONS } from '../../src/domain/order-reasons.js';
import { DICTIONARIES, reasonLabel, translator, type FlashRefundReason, type LabelKey } from '../../web/src/i18n.js';

const declared = { FAILURE_CODES, WAIT_REASONS, REFUSAL_PREFIXES, TRANSITION_REASONS, FLASH_REFUND_REASONS };

test('every reason the domain declares has an English and a Chinese label, the reasons a flash payment is refunded too', () => {
  for (const [list, codes] of Object.entries(declared)) {
    for (const code of codes) {
      for (const lang of ['en', 'zh'] as const) {
        const label = DICTIONARIES[lang][`reason.${code}` as LabelKey];
        assert.ok(label, `${list}: ${code} has no ${lang} label`);
        // A known reason never falls back to its raw code.
        assert.notEqual(reasonLabel(translator(lang), code), code, `${list}: ${code} in ${lang}`);
      }
    }
  }
});

test('a refused broadcast shows the translated refusal with the node’s code', () => {
  const en = translator('en');
  const zh = translator('zh');
  assert.equal(reasonLabel(en, refusedWith('delegation_refused', 'CONTRACT_VALIDATE_ERROR')), 'delegation refused by the node (CONTRACT_VALIDATE_ERROR)');
  assert.equal(reasonLabel(en, refusedWith('reclaim_refused', 'BANDWITH_ERROR')), 'reclaim refused by the node (BANDWITH_ERROR)');
  assert.equal(reasonLabel(zh, refusedWith('delegation_refused', 'CONTRACT_VALIDATE_ERROR')), '节点拒绝了代理交易（错误码 CONTRACT_VALIDATE_ERROR）');
  for (const prefix of REFUSAL_PREFIXES) {
    for (const lang of ['en', 'zh'] as const) {
      const label = reasonLabel(translator(lang), refusedWith(prefix, 'SIGERROR'));
      assert.ok(label.startsWith(reasonLabel(translator(lang), prefix)) && label.includes('SIGERROR'), `${prefix} in ${lang}: ${label}`);
    }
  }
  // The bare failure code reads as before, and a code nobody declared is shown as it is.
  assert.equal(reasonLabel(en, 'delegation_refused'), 'delegation refused by the node');
  assert.equal(reasonLabel(en, 'something_new'), 'something_new');
  assert.equal(reasonLabel(en, 'something_new:CODE'), 'something_new:CODE');
});

// The dashboard's own list of the reasons a flash payment is refunded names exactly the domain's (a type check).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameFlashReasons: Same<(typeof FLASH_REFUND_REASONS)[number], FlashRefundReason> = true;
void sameFlashReasons;
