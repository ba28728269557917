import assert from 'node:assert/strict';
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { test } from 'node:test';
import { ConfigError, loadConfig, redactRedisUrl } from '../src/config.js';

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
  assert.equal(c.engine.poolRefreshMs, 10_000);
  assert.equal(loadConfig({ POOL_REFRESH_MS: '300' }).engine.poolRefreshMs, 300);
});

test('the chain settings follow the chain: a TRON_FULL_HOST gets a request budget of 10 a second, mainnet\'s 3 s polls and pools read every 5 minutes; the devnet none, its own block interval and every 10 s', () => {
  const host = { TRON_FULL_HOST: 'https://api.trongrid.io', POOL_PRIVATE_KEYS: 'aa'.repeat(32) };
  const mainnet = loadConfig(host);
  assert.deepEqual([mainnet.chain.maxRps, mainnet.engine.confirmPollMs, mainnet.engine.poolRefreshMs], [10, 3000, 300_000]);
  const devnet = loadConfig({});
  assert.deepEqual([devnet.chain.maxRps, devnet.engine.confirmPollMs, devnet.engine.poolRefreshMs], [Infinity, 1000, 10_000]);
  assert.equal(loadConfig({ DEVNET_PROFILE: 'mainnet' }).engine.confirmPollMs, 3000);
  assert.equal(loadConfig({ DEVNET_PROFILE: 'trongrid' }).chain.maxRps, 10, 'a devnet playing TronGrid gets the budget too');
  assert.equal(loadConfig({ DEVNET_BLOCK_INTERVAL_MS: '100' }).engine.confirmPollMs, 100);
  assert.equal(loadConfig({ ...host, TRON_MAX_RPS: '2.5' }).chain.maxRps, 2.5, 'a quota shared among processes');
  assert.equal(loadConfig({ ...host, TRON_MAX_RPS: 'unlimited' }).chain.maxRps, Infinity);
  assert.equal(loadConfig({ ...host, CONFIRM_POLL_MS: '6000' }).engine.confirmPollMs, 6000);
});

test('DEVNET_PROFILE picks the devnet timing; the interval and lag are the profile\'s unless set', () => {
  assert.equal(loadConfig({}).chain.devnet.profile, 'default');
  const mainnet = loadConfig({ DEVNET_PROFILE: 'mainnet' }).chain.devnet;
  assert.deepEqual([mainnet.profile, mainnet.blockIntervalMs, mainnet.solidifyLag], ['mainnet', undefined, undefined]);
  const set = loadConfig({ DEVNET_PROFILE: 'mainnet', DEVNET_BLOCK_INTERVAL_MS: '100', DEVNET_SOLIDIFY_LAG: '0' }).chain.devnet;
  assert.deepEqual([set.blockIntervalMs, set.solidifyLag], [100, 0]);
});

test('DEVNET_PROFILE=trongrid adds request limits; DEVNET_RATE_LIMIT_* set them, unset they are the profile\'s', () => {
  const trongrid = loadConfig({ DEVNET_PROFILE: 'trongrid' }).chain.devnet;
  assert.deepEqual(
    [trongrid.profile, trongrid.rateLimitPerSecond, trongrid.rateLimitPerDay, trongrid.rateLimitSuspendMs],
    ['trongrid', undefined, undefined, undefined],
  );
  const set = loadConfig({ DEVNET_PROFILE: 'trongrid', DEVNET_RATE_LIMIT_PER_SECOND: '30', DEVNET_RATE_LIMIT_PER_DAY: '500', DEVNET_RATE_LIMIT_SUSPEND_MS: '0' }).chain.devnet;
  assert.deepEqual([set.rateLimitPerSecond, set.rateLimitPerDay, set.rateLimitSuspendMs], [30, 500, 0]);
});

test('CANCEL_REFUND_POLICY: prorata unless set to none', () => {
  assert.equal(loadConfig({}).engine.cancelRefundPolicy, 'prorata');
  assert.equal(loadConfig({ CANCEL_REFUND_POLICY: 'none' }).engine.cancelRefundPolicy, 'none');
  assert.equal(loadConfig({ CANCEL_REFUND_POLICY: ' prorata ' }).engine.cancelRefundPolicy, 'prorata');
});

test('webhooks: private addresses refused, 10 s per request, retries from 10 s, 16 at once, unless set', () => {
  assert.deepEqual(loadConfig({}).webhooks, { allowPrivate: false, timeoutMs: 10_000, retryBaseMs: 10_000, concurrency: 16 });
  assert.equal(loadConfig({ WEBHOOK_ALLOW_PRIVATE: 'true' }).webhooks.allowPrivate, true);
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
    [{ POOL_REFRESH_MS: '10' }, 'POOL_REFRESH_MS'],
    [{ POOL_REFRESH_MS: 'often' }, 'POOL_REFRESH_MS'],
    [{ TRON_MAX_RPS: '0' }, 'TRON_MAX_RPS'],
    [{ TRON_MAX_RPS: 'fast' }, 'TRON_MAX_RPS'],
    [{ TRON_MAX_RPS: '-3' }, 'TRON_MAX_RPS'],
    // Said loosely, these used to pass for something else.
    [{ ENABLE_BACKGROUND_TASKS: 'yes' }, 'ENABLE_BACKGROUND_TASKS'],
    [{ DELEGATE_LOCK: '1' }, 'DELEGATE_LOCK'],
    [{ WEBHOOK_ALLOW_PRIVATE: 'yes' }, 'WEBHOOK_ALLOW_PRIVATE'],
    [{ WEBHOOK_TIMEOUT_MS: '0' }, 'WEBHOOK_TIMEOUT_MS'],
    [{ WEBHOOK_CONCURRENCY: 'many' }, 'WEBHOOK_CONCURRENCY'],
    [{ ALLOWED_DURATIONS: '1h,1h' }, 'ALLOWED_DURATIONS'],
    [{ ALLOWED_DURATIONS: '1h,60m' }, 'ALLOWED_DURATIONS'],
    [{ PRICE_TABLE: '2h:50' }, 'PRICE_TABLE'],
    [{ PRICE_TABLE: '1h:50,1h:60' }, 'PRICE_TABLE'],
    // The largest order would cost more than a balance can hold (10^12 energy x 10^6 sun x 30 days).
    [{ MAX_ENERGY: '1000000000000', PRICE_TABLE: '30d:1000000' }, 'PRICE_TABLE'],
    [{ MAX_ENERGY: '1000000000000', PRICE_SUN_PER_ENERGY_DAY: '1000000', ALLOWED_DURATIONS: '29d' }, 'PRICE_SUN_PER_ENERGY_DAY'],
    [{ MAX_ENERGY: '1000000000000', ALLOWED_DURATIONS: '1h', PRICE_TABLE: '1h:65', PRICE_TABLE_USDT: '1h:9999999' }, 'PRICE_TABLE_USDT'],
    [{ API_KEYS: ' , ' }, 'API_KEYS'],
    [{ API_KEYS: 'short-key' }, 'API_KEYS'],
    [{ HOST: '0.0.0.0' }, 'API_KEYS'],
    [{ HOST: '0.0.0.0', JOULE_ROLE: 'api' }, 'API_KEYS'],
    [{ CLIENT_AUTH: 'loopback', HOST: '10.1.2.3' }, 'CLIENT_AUTH'],
    [{ CLIENT_AUTH: 'open' }, 'CLIENT_AUTH'],
    [{ CLIENT_AUTH: 'none', API_KEYS: 'a-client-key-0000001' }, 'CLIENT_AUTH'],
    [{ DEVNET_PROFILE: 'fast' }, 'DEVNET_PROFILE'],
    [{ DEVNET_RATE_LIMIT_PER_SECOND: '0' }, 'DEVNET_RATE_LIMIT_PER_SECOND'],
    [{ DEVNET_RATE_LIMIT_PER_SECOND: 'fifteen' }, 'DEVNET_RATE_LIMIT_PER_SECOND'],
    [{ DEVNET_RATE_LIMIT_PER_DAY: '0' }, 'DEVNET_RATE_LIMIT_PER_DAY'],
    [{ DEVNET_RATE_LIMIT_PER_DAY: '1e5' }, 'DEVNET_RATE_LIMIT_PER_DAY'],
    [{ DEVNET_RATE_LIMIT_SUSPEND_MS: '-1' }, 'DEVNET_RATE_LIMIT_SUSPEND_MS'],
    [{ DEVNET_RATE_LIMIT_SUSPEND_MS: '30s' }, 'DEVNET_RATE_LIMIT_SUSPEND_MS'],
    [{ PRICE_TABLE_USDT: '1h:20' }, 'PRICE_TABLE_USDT'],
    [{ PRICE_TABLE_USDT: '1h=20,1d:24,3d:21,7d:18,14d:17,30d:15' }, 'PRICE_TABLE_USDT'],
    [{ PRICE_TABLE_USDT: '1h:0,1d:24,3d:21,7d:18,14d:17,30d:15' }, 'PRICE_TABLE_USDT'],
    [{ PRICE_TABLE_USDT: '2h:20', ALLOWED_DURATIONS: '1h' }, 'PRICE_TABLE_USDT'],
    [{ DEPOSIT_XPUB: 'xpub-not-a-key' }, 'DEPOSIT_XPUB'],
    [{ MIN_DEPOSIT_TRX_SUN: '0' }, 'MIN_DEPOSIT_TRX_SUN'],
    [{ MIN_DEPOSIT_USDT: '0.5' }, 'MIN_DEPOSIT_USDT'],
    [{ USDT_ESTIMATE_FROM: 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6T' }, 'USDT_ESTIMATE_FROM'],
    [{ RATE_LIMIT_PER_MIN: 'lots' }, 'RATE_LIMIT_PER_MIN'],
    [{ RATE_LIMIT_PER_MIN: '-5' }, 'RATE_LIMIT_PER_MIN'],
    [{ RATE_LIMIT_PER_MIN: '1e3' }, 'RATE_LIMIT_PER_MIN'],
    [{ RATE_LIMIT_PER_MIN: '2.5' }, 'RATE_LIMIT_PER_MIN'],
    [{ RATE_LIMIT_PER_MIN: '2000000000' }, 'RATE_LIMIT_PER_MIN'],
    [{ CANCEL_REFUND_POLICY: 'full' }, 'CANCEL_REFUND_POLICY'],
    [{ CANCEL_REFUND_POLICY: 'PRORATA' }, 'CANCEL_REFUND_POLICY'],
  ];
  for (const [env, variable] of cases) {
    assert.throws(
      () => loadConfig(env),
      (err: unknown) => err instanceof ConfigError && err.variable === variable && err.message.startsWith(`${variable}: `),
      JSON.stringify(env),
    );
  }
});

test('RATE_LIMIT_PER_MIN: 600 by default; a whole number; 0 or unlimited for none', () => {
  assert.equal(loadConfig({}).http.rateLimitPerMin, 600);
  assert.equal(loadConfig({ RATE_LIMIT_PER_MIN: '100' }).http.rateLimitPerMin, 100);
  assert.equal(loadConfig({ RATE_LIMIT_PER_MIN: '0' }).http.rateLimitPerMin, Infinity);
  assert.equal(loadConfig({ RATE_LIMIT_PER_MIN: 'Unlimited' }).http.rateLimitPerMin, Infinity);
});

test('pool keys: owner keys, delegate-only keys with their pool, a keys file; a bad key is named but never echoed', async () => {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const a = 'a'.repeat(64);
  const b = 'B'.repeat(64);
  const c = loadConfig({ POOL_PRIVATE_KEYS: `${a}, 0x${b}:2:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t` });
  assert.deepEqual(c.chain.poolKeys, [
    { privateKey: a, permissionId: undefined, ownerAddress: undefined },
    { privateKey: b.toLowerCase(), permissionId: 2, ownerAddress: 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t' },
  ]);
  const file = join(mkdtempSync(join(tmpdir(), 'joule-keys-')), 'keys');
  writeFileSync(file, `# pools\n${'c'.repeat(64)}\n\n`);
  assert.equal(loadConfig({ POOL_KEYS_FILE: file }).chain.poolKeys.length, 1);
  const secret = 'd'.repeat(63);
  assert.throws(
    () => loadConfig({ POOL_PRIVATE_KEYS: secret }),
    (err: unknown) => err instanceof ConfigError && err.variable === 'POOL_PRIVATE_KEYS' && !err.message.includes(secret),
  );
  assert.throws(() => loadConfig({ POOL_PRIVATE_KEYS: `${a}:1:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t` }), /permission id must be 2 or more/);
  assert.throws(() => loadConfig({ POOL_PRIVATE_KEYS: `${a},${a}` }), /listed twice/);
  assert.throws(() => loadConfig({ POOL_KEYS_FILE: '/nonexistent/keys' }), (err: unknown) => err instanceof ConfigError && err.variable === 'POOL_KEYS_FILE');
  assert.throws(() => loadConfig({ TRON_FULL_HOST: 'https://nile.trongrid.io' }), (err: unknown) => err instanceof ConfigError && err.variable === 'POOL_PRIVATE_KEYS');
  assert.equal(loadConfig({ TRON_FULL_HOST: 'https://nile.trongrid.io', JOULE_ROLE: 'api' }).chain.fullHost, 'https://nile.trongrid.io');
  assert.equal(loadConfig({}).chain.usdtEstimateFrom, undefined);
  assert.equal(loadConfig({ USDT_ESTIMATE_FROM: ' TKHuVq1oKVruCGLvqVexFs6dawKv6fQgFs ' }).chain.usdtEstimateFrom, 'TKHuVq1oKVruCGLvqVexFs6dawKv6fQgFs');
  assert.throws(() => loadConfig({ TRON_FULL_HOST: 'nile' }), (err: unknown) => err instanceof ConfigError && err.variable === 'TRON_FULL_HOST');
  assert.throws(() => loadConfig({ DELEGATE_LOCK: 'maybe' }), (err: unknown) => err instanceof ConfigError && err.variable === 'DELEGATE_LOCK');
  assert.throws(() => loadConfig({ JOULE_CRASH_POINT: 'whenever' }), (err: unknown) => err instanceof ConfigError && err.variable === 'JOULE_CRASH_POINT');
});

test('background tasks are off by default, and their settings are validated by name', () => {
  const c = loadConfig({});
  assert.equal(c.queue.enabled, false);
  assert.equal(c.queue.redisUrl, 'redis://localhost:6379');
  assert.equal(c.metricsPublic, false);
  assert.equal(loadConfig({ ENABLE_BACKGROUND_TASKS: 'true' }).queue.enabled, true);
  const cases: Array<[Record<string, string>, string]> = [
    [{ ENABLE_BACKGROUND_TASKS: 'maybe' }, 'ENABLE_BACKGROUND_TASKS'],
    [{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL'],
    [{ REDIS_COMMAND_TIMEOUT_MS: '0' }, 'REDIS_COMMAND_TIMEOUT_MS'],
    [{ REDIS_BREAKER_THRESHOLD: 'x' }, 'REDIS_BREAKER_THRESHOLD'],
    [{ REDIS_BREAKER_OPEN_MS: '1' }, 'REDIS_BREAKER_OPEN_MS'],
    [{ REDIS_ENQUEUE_GAP_MS: '1001' }, 'REDIS_ENQUEUE_GAP_MS'],
    [{ SWEEP_GRACE_MS: '-5' }, 'SWEEP_GRACE_MS'],
    [{ QUEUE_STUCK_AFTER_MS: '10' }, 'QUEUE_STUCK_AFTER_MS'],
    [{ METRICS_PUBLIC: 'perhaps' }, 'METRICS_PUBLIC'],
  ];
  for (const [env, variable] of cases) {
    assert.throws(() => loadConfig(env), (err: unknown) => err instanceof ConfigError && err.variable === variable, variable);
  }
});

test('a Redis password never reaches a log line', () => {
  assert.equal(redactRedisUrl('redis://:s3cret@db.example:6379/0'), 'redis://:[redacted]@db.example:6379/0');
  assert.equal(redactRedisUrl('rediss://joule:s3cret@db.example:6380'), 'rediss://joule:[redacted]@db.example:6380');
  assert.equal(redactRedisUrl('redis://localhost:6379'), 'redis://localhost:6379');
  // An @ in the password: the URL parsers, and so the client, take the credentials to the last @.
  assert.equal(redactRedisUrl('redis://:p@ss@db.example:6379'), 'redis://:[redacted]@db.example:6379');
  assert.equal(new URL('redis://:p@ss@db.example:6379').hostname, 'db.example');
  assert.equal(redactRedisUrl('redis://joule:a@b@c@db.example:6379/0'), 'redis://joule:[redacted]@db.example:6379/0');
});

test('client endpoints are never open to the network by accident: loopback without keys, keys on any other HOST, none only when said', () => {
  assert.equal(loadConfig({}).clientAuth, 'loopback');
  assert.equal(loadConfig({ HOST: 'localhost' }).clientAuth, 'loopback');
  assert.equal(loadConfig({ HOST: '::1' }).clientAuth, 'loopback');
  assert.equal(loadConfig({ HOST: '127.0.0.2' }).clientAuth, 'loopback');
  assert.equal(loadConfig({ HOST: '0.0.0.0', API_KEYS: 'a-client-key-0000001, another-key-00000002' }).clientAuth, 'keys');
  assert.deepEqual(loadConfig({ API_KEYS: 'a-client-key-0000001, another-key-00000002' }).apiKeys, ['a-client-key-0000001', 'another-key-00000002']);
  assert.equal(loadConfig({ HOST: '0.0.0.0', CLIENT_AUTH: 'none' }).clientAuth, 'none');
  // A worker serves no client endpoint: its HOST (for metrics) needs no client keys.
  assert.equal(loadConfig({ HOST: '0.0.0.0', JOULE_ROLE: 'worker' }).clientAuth, 'loopback');
  // A key is a secret: a message names the entry, never its text.
  assert.throws(() => loadConfig({ API_KEYS: 'fine-client-key-0001,tiny-secret' }), (err: unknown) => err instanceof ConfigError && /key 2 /.test(err.message) && !err.message.includes('tiny-secret'));
});

test('a price for a duration that is not offered is an error, unless it is the default table', () => {
  assert.deepEqual([...loadConfig({ ALLOWED_DURATIONS: '1h,30s' }).rates.entries()], [['1h', 65n], ['30s', 80n]]);
  assert.deepEqual([...loadConfig({ ALLOWED_DURATIONS: '2h', PRICE_TABLE: '2h:50' }).rates.entries()], [['2h', 50n]]);
});

test('PRICE_TABLE_USDT: micro-USDT per energy per day for every allowed duration; unset, no USDT prices', () => {
  assert.equal(loadConfig({}).ratesUsdt, undefined);
  const rates = loadConfig({ ALLOWED_DURATIONS: '1h,1d', PRICE_TABLE_USDT: '1h:20, 1d:24' }).ratesUsdt;
  assert.deepEqual([...rates!.entries()], [['1h', 20n], ['1d', 24n]]);
  assert.throws(() => loadConfig({ ALLOWED_DURATIONS: '1h,1d', PRICE_TABLE_USDT: '1h:20' }), /^ConfigError: PRICE_TABLE_USDT: has no rate for 1d/);
});

test('deposits: minimums default to 1 TRX and 1 USDT; DEPOSIT_XPUB must be the account xpub at m/44\'/195\'/0\', and a private key is never echoed', () => {
  const mnemonic = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
  const master = HDKey.fromMasterSeed(mnemonicToSeedSync(mnemonic));
  const account = master.derive("m/44'/195'/0'");
  const none = loadConfig({});
  assert.equal(none.deposits.xpub, undefined);
  assert.deepEqual(none.deposits.minimums, { TRX: 1_000_000n, USDT: 1_000_000n });
  const set = loadConfig({ DEPOSIT_XPUB: ` ${account.publicExtendedKey} `, MIN_DEPOSIT_TRX_SUN: '10', MIN_DEPOSIT_USDT: '20' });
  assert.equal(set.deposits.xpub, account.publicExtendedKey);
  assert.deepEqual(set.deposits.minimums, { TRX: 10n, USDT: 20n });
  const refused = (xpub: string, why: RegExp) =>
    assert.throws(
      () => loadConfig({ DEPOSIT_XPUB: xpub }),
      (err: unknown) => err instanceof ConfigError && err.variable === 'DEPOSIT_XPUB' && why.test(err.message) && !err.message.includes(xpub),
      xpub.slice(0, 12),
    );
  refused(account.privateExtendedKey, /private key/);
  refused(master.derive("m/44'/195'/0'/0").publicExtendedKey, /depth 4/);
  refused(master.derive("m/44'/195'").publicExtendedKey, /depth 2/);
  refused(master.derive("m/44'/195'/1'").publicExtendedKey, /index 1'/);
  // One character changed: the checksum fails.
  const xpub = account.publicExtendedKey;
  refused(`${xpub.slice(0, 40)}${xpub[40] === 'a' ? 'b' : 'a'}${xpub.slice(41)}`, /not a valid extended public key/);
});

test('flash rent: FLASH_RENT_TABLE is parsed into offers, smallest first; a bad table or address stops start-up naming the variable', () => {
  const address = 'TS8yE1SMGroe8V2ZWqm1atZqpKAeLui1EX';
  assert.equal(loadConfig({}).flashRent, undefined);
  const set = loadConfig({ FLASH_RENT_ADDRESS: ` ${address} `, FLASH_RENT_TABLE: '6:131000:1h, 2.5:40000:1d', FLASH_RENT_REFUND_FEE_SUN: '500000' });
  assert.equal(set.flashRent!.address, address);
  assert.equal(set.flashRent!.refundFeeSun, 500_000n);
  assert.deepEqual(
    set.flashRent!.offers.map((o) => [o.amountSun, o.energyAmount, o.duration.text]),
    [
      [2_500_000n, 40_000n, '1d'],
      [6_000_000n, 131_000n, '1h'],
    ],
  );
  assert.equal(loadConfig({ FLASH_RENT_ADDRESS: address, FLASH_RENT_TABLE: '3:65000:1h' }).flashRent!.refundFeeSun, 1_000_000n, 'a refund keeps 1 TRX by default');
  const cases: Array<[Record<string, string>, string, RegExp]> = [
    [{ FLASH_RENT_TABLE: '3:65000:1h' }, 'FLASH_RENT_TABLE', /FLASH_RENT_ADDRESS is not/],
    [{ FLASH_RENT_ADDRESS: address }, 'FLASH_RENT_TABLE', /required/],
    [{ FLASH_RENT_ADDRESS: 'TNotAnAddress', FLASH_RENT_TABLE: '3:65000:1h' }, 'FLASH_RENT_ADDRESS', /not a valid TRON address/],
    [{ FLASH_RENT_ADDRESS: address, FLASH_RENT_TABLE: '3:65000:1h,3.0:131000:1h' }, 'FLASH_RENT_TABLE', /listed twice/],
    [{ FLASH_RENT_ADDRESS: address, FLASH_RENT_TABLE: '0:65000:1h' }, 'FLASH_RENT_TABLE', /positive/],
    [{ FLASH_RENT_ADDRESS: address, FLASH_RENT_TABLE: '-3:65000:1h' }, 'FLASH_RENT_TABLE', /positive/],
    [{ FLASH_RENT_ADDRESS: address, FLASH_RENT_TABLE: '3:0:1h' }, 'FLASH_RENT_TABLE', /MIN_ENERGY/],
    [{ FLASH_RENT_ADDRESS: address, FLASH_RENT_TABLE: '3:65000:2h' }, 'FLASH_RENT_TABLE', /ALLOWED_DURATIONS/],
    [{ FLASH_RENT_ADDRESS: address, FLASH_RENT_TABLE: '3:65000' }, 'FLASH_RENT_TABLE', /<TRX>:<energy>:<duration>/],
    [{ FLASH_RENT_ADDRESS: address, FLASH_RENT_TABLE: ' , ' }, 'FLASH_RENT_TABLE', /required|no offer/],
    [{ FLASH_RENT_ADDRESS: address, FLASH_RENT_TABLE: '3:65000:1h', FLASH_RENT_REFUND_FEE_SUN: '-1' }, 'FLASH_RENT_REFUND_FEE_SUN', /./],
  ];
  for (const [env, variable, why] of cases) {
    assert.throws(
      () => loadConfig(env),
      (err: unknown) => err instanceof ConfigError && err.variable === variable && err.message.startsWith(`${variable}: `) && why.test(err.message),
      JSON.stringify(env),
    );
  }
});

test('CLIENT_AUTH=keys without API_KEYS: clients need keys made in the database, on any HOST', () => {
  const c = loadConfig({ CLIENT_AUTH: 'keys', HOST: '0.0.0.0' });
  assert.equal(c.clientAuth, 'keys');
  assert.deepEqual(c.apiKeys, []);
});

test('role bot needs its Telegram token and its Joule key, and refuses with one line naming the variable; secrets never appear in the message', () => {
  const token = '123456789:abcdefghijklmnopqrstuvwxyz';
  const key = 'jk_0123456789abcdef0123';
  const base = { JOULE_ROLE: 'bot', TELEGRAM_BOT_TOKEN: token, JOULE_API_KEY: key };
  const bot = loadConfig(base).bot!;
  assert.equal(bot.apiRoot, 'https://api.telegram.org');
  assert.equal(bot.jouleUrl, 'http://127.0.0.1:8002');
  assert.equal(bot.webhookUrl, undefined, 'long polling unless a webhook URL is set');
  assert.equal(loadConfig({}).bot, undefined, 'other roles read no bot settings');
  const refusals: Array<[Record<string, string>, string]> = [
    [{ JOULE_ROLE: 'bot', JOULE_API_KEY: key }, 'TELEGRAM_BOT_TOKEN'],
    [{ ...base, TELEGRAM_BOT_TOKEN: 'not a token' }, 'TELEGRAM_BOT_TOKEN'],
    [{ JOULE_ROLE: 'bot', TELEGRAM_BOT_TOKEN: token }, 'JOULE_API_KEY'],
    [{ ...base, JOULE_API_KEY: 'short' }, 'JOULE_API_KEY'],
    [{ ...base, TELEGRAM_ADMIN_IDS: '42' }, 'JOULE_ADMIN_TOKEN'],
    [{ ...base, TELEGRAM_ADMIN_IDS: '42,@ops' }, 'TELEGRAM_ADMIN_IDS'],
    [{ ...base, TELEGRAM_WEBHOOK_URL: 'http://bot.example.com/telegram' }, 'TELEGRAM_WEBHOOK_URL'],
    [{ ...base, TELEGRAM_WEBHOOK_SECRET: 'has spaces in it, not allowed' }, 'TELEGRAM_WEBHOOK_SECRET'],
    [{ ...base, JOULE_API_URL: 'localhost:8002' }, 'JOULE_API_URL'],
    [{ ...base, JOULE_WEBHOOK_SECRET: 'short' }, 'JOULE_WEBHOOK_SECRET'],
  ];
  for (const [env, variable] of refusals) {
    assert.throws(
      () => loadConfig(env),
      (err: unknown) => err instanceof ConfigError && err.variable === variable && !err.message.includes(key) && !err.message.slice(variable.length).includes(token),
      `${variable} in ${JSON.stringify(env)}`,
    );
  }
});
