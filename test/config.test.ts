import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.js';

test('defaults are the embedded mode on 127.0.0.1:8002', () => {
  const c = loadConfig({});
  assert.equal(c.role, 'all');
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.port, 8002);
  assert.equal(c.databaseUrl, 'sqlite:./data/joule.db');
  assert.equal(c.minEnergy, 1000n);
  assert.equal(c.maxEnergy, 10_000_000n);
  assert.deepEqual(c.durations.map((d) => d.text), ['1h', '1d', '3d', '7d', '14d', '30d']);
  assert.equal(c.rates.get('1h'), 65n);
  assert.equal(c.adminToken, undefined);
  assert.deepEqual(c.apiKeys, []);
});

test('the role comes from the command line first, then JOULE_ROLE', () => {
  assert.equal(loadConfig({ JOULE_ROLE: 'api' }).role, 'api');
  assert.equal(loadConfig({ JOULE_ROLE: 'api' }, ['all']).role, 'all');
});

test('every bad value names its variable', () => {
  const cases: Array<[Record<string, string>, string]> = [
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ ADMIN_TOKEN: 'short' }, 'ADMIN_TOKEN'],
    [{ MIN_ENERGY: '-1' }, 'MIN_ENERGY'],
    [{ MIN_ENERGY: '5000', MAX_ENERGY: '4000' }, 'MAX_ENERGY'],
    [{ ALLOWED_DURATIONS: '1h,1week' }, 'ALLOWED_DURATIONS'],
    [{ ALLOWED_DURATIONS: '31d' }, 'ALLOWED_DURATIONS'],
    [{ PRICE_TABLE: '1h=65' }, 'PRICE_TABLE'],
    [{ PRICE_TABLE: '1h:0' }, 'PRICE_TABLE'],
    [{ PRICE_SUN_PER_ENERGY_DAY: '1.5' }, 'PRICE_SUN_PER_ENERGY_DAY'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ JOULE_ROLE: 'boss' }, 'JOULE_ROLE'],
  ];
  for (const [env, variable] of cases) {
    assert.throws(
      () => loadConfig(env),
      (err: unknown) => err instanceof ConfigError && err.variable === variable && err.message.startsWith(`${variable}: `),
      JSON.stringify(env),
    );
  }
});
