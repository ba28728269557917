import assert from 'node:assert/strict';
import { test } from 'node:test';
import { iso } from '../../src/api/views.js';

test('iso writes every moment as its own ISO 8601 text, however moments repeat and alternate', () => {
  const moments = [1_796_410_682_594n, 1_796_410_682_594n, 0n, 1_796_410_682_595n, 1_796_410_682_594n, 253_402_300_799_999n, 0n];
  for (const ms of moments) assert.equal(iso(ms), new Date(Number(ms)).toISOString(), `moment ${ms}`);
});
