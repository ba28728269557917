// GET /api/estimate/usdt-transfer: the energy a USDT transfer to an address
// needs, as the devnet simulates it over HTTP, priced as a quote would price
// it; one node request per receiver per block; a JSON 503 whenever the node
// cannot say.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startDevnet, type Devnet } from '../../src/devnet/index.js';
import { defaultGenesis, resolveGenesis } from '../../src/devnet/genesis.js';
import { freshAddress } from '../devnet/tronweb-client.js';
import { ADMIN_TOKEN, createTestApp, type TestApp } from '../support/app.js';
import { startStack, type Stack } from '../support/stack.js';

const customers = resolveGenesis(defaultGenesis()).accounts.filter((a) => a.role === 'customer');
/** The devnet's demo customers hold 1,000 USDT each: one simulates, another receives. */
const FROM = customers[0]!.address;
const HOLDER = customers[1]!.address;
const PATH = '/wallet/triggerconstantcontract';
const USDT_RATES = '2s:20,5s:21,10s:22,1h:19';

const estimate = (t: TestApp, query: string) => t.request({ method: 'GET', url: `/api/estimate/usdt-transfer?${query}` });

async function calls(devnet: Devnet): Promise<{ total: number; by_path: Record<string, number>; rate_limited: number }> {
  return (await fetch(`${devnet.url}/devnet/calls`)).json() as Promise<any>;
}

async function chainCallsMetric(t: TestApp): Promise<number> {
  const res = await t.request({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  const line = res.text.split('\n').find((l) => l.startsWith(`joule_chain_calls_total{endpoint="${PATH}"}`));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

describe('against the devnet, with the engine beside the API (role all)', () => {
  let s: Stack;
  before(async () => {
    // Blocks every second, and answers shared for as long (CONFIRM_POLL_MS).
    s = await startStack({ devnet: { blockIntervalMs: 1000 }, env: { USDT_ESTIMATE_FROM: FROM, CONFIRM_POLL_MS: '1000', PRICE_TABLE_USDT: USDT_RATES } });
  });
  after(() => s.close());

  test('to an address that holds USDT: 64,285 energy; to a fresh one: 130,285; each priced as the quote prices it', async () => {
    const holder = await estimate(s, `to=${HOLDER}`);
    assert.equal(holder.status, 200, JSON.stringify(holder.body));
    assert.equal(holder.body.to, HOLDER);
    assert.equal(holder.body.token, 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t');
    assert.equal(holder.body.energy_amount, 64_285);
    assert.equal(holder.body.holds_usdt, true);

    const fresh = freshAddress();
    const none = await estimate(s, `to=${fresh}`);
    assert.equal(none.status, 200, JSON.stringify(none.body));
    assert.deepEqual([none.body.energy_amount, none.body.holds_usdt], [130_285, false]);

    for (const answer of [holder.body, none.body]) {
      assert.deepEqual(answer.prices.map((p: any) => p.duration), ['2s', '5s', '10s', '1h'], 'every allowed duration');
      for (const p of answer.prices) {
        const trx = (await s.request({ method: 'GET', url: `/api/prices/quote?energy_amount=${answer.energy_amount}&duration=${p.duration}` })).body;
        const usdt = (await s.request({ method: 'GET', url: `/api/prices/quote?energy_amount=${answer.energy_amount}&duration=${p.duration}&pay_currency=USDT` })).body;
        assert.deepEqual(
          { price_sun: p.price_sun, price_trx: p.price_trx, billed_days: p.billed_days, price_micro_usdt: p.price_micro_usdt, price_usdt: p.price_usdt },
          { price_sun: trx.price_sun, price_trx: trx.price_trx, billed_days: trx.billed_days, price_micro_usdt: usdt.price, price_usdt: usdt.price_decimal },
          `${answer.to} for ${p.duration}`,
        );
      }
    }
    // 64,285 energy for 1h, billed a day at the default 65 sun: 4.178525 TRX.
    assert.equal(holder.body.prices.at(-1).price_sun, String(64_285 * 65));

    const one = await estimate(s, `to=${HOLDER}&duration=1h`);
    assert.deepEqual(one.body.prices.map((p: any) => p.duration), ['1h'], 'duration narrows the prices to one');
  });

  test('the same receiver asked twice in a block costs one node request, counted in the metrics; another receiver costs one more', async () => {
    const to = freshAddress();
    const before = await calls(s.devnet);
    const metricBefore = await chainCallsMetric(s);
    const [a, b] = await Promise.all([estimate(s, `to=${to}`), estimate(s, `to=${to}`)]);
    const c = await estimate(s, `to=${to}`);
    assert.deepEqual([a.status, b.status, c.status], [200, 200, 200]);
    assert.deepEqual([a.body, b.body], [c.body, c.body]);
    let after = await calls(s.devnet);
    assert.equal((after.by_path[PATH] ?? 0) - (before.by_path[PATH] ?? 0), 1, 'two at once and one after: one simulation');
    assert.equal((await chainCallsMetric(s)) - metricBefore, 1, 'joule_chain_calls_total counts it like every node request');

    await estimate(s, `to=${freshAddress()}`);
    after = await calls(s.devnet);
    assert.equal((after.by_path[PATH] ?? 0) - (before.by_path[PATH] ?? 0), 2);
  });

  test('a bad address or query is a 400 that asks the node nothing', async () => {
    const before = await calls(s.devnet);
    const bad = [
      ['to=TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6T', 'invalid_address'], // checksum
      ['to=41a614f803b6fd780986a42c78ec9c7f77e6ded13c', 'invalid_address'], // hex
      [`to=${'T'.repeat(65)}`, 'invalid_address'],
      ['to=', 'invalid_address'],
      ['', 'missing_field'],
      [`to=${HOLDER}&duration=2h`, 'unsupported_duration'],
      [`to=${HOLDER}&amount=5`, 'unknown_field'],
    ];
    for (const [query, code] of bad) {
      const res = await estimate(s, query!);
      assert.equal(res.status, 400, query);
      assert.equal(res.body.error.code, code, query);
      assert.equal(typeof res.body.error.message, 'string');
    }
    assert.equal((await calls(s.devnet)).by_path[PATH], before.by_path[PATH]);
  });

  test('when the node answers 5xx: 503 chain_unavailable in JSON, and nothing kept, so the next ask after it recovers answers', async () => {
    const to = freshAddress();
    await s.devnetAdmin('POST', '/faults/http-error', { status: 503, pathPrefix: PATH });
    try {
      const res = await estimate(s, `to=${to}`);
      assert.equal(res.status, 503);
      assert.match(String(res.headers['content-type']), /^application\/json/);
      assert.equal(res.body.error.code, 'chain_unavailable');
      assert.doesNotMatch(res.body.error.message, /127\.0\.0\.1|http:/, 'the node address is not shown');
    } finally {
      await s.devnetAdmin('POST', '/faults/clear');
    }
    const res = await estimate(s, `to=${to}`);
    assert.equal(res.status, 200);
    assert.equal(res.body.energy_amount, 130_285);
  });
});

describe('a role api process with TRON_FULL_HOST', () => {
  let devnet: Devnet;
  before(async () => {
    // Blocks only when mined: chain time stands still, so the rate limit below counts requests, not seconds.
    devnet = await startDevnet({ blockIntervalMs: 0, solidifyLag: 0, rateLimit: { perSecond: 3, suspendMs: 30_000 } });
  });
  after(() => devnet.close());

  const api = (env: Record<string, string> = {}) =>
    createTestApp({ env: { TRON_FULL_HOST: devnet.url, USDT_ESTIMATE_FROM: FROM, TRON_MAX_RPS: 'unlimited', CHAIN_TIMEOUT_MS: '1500', ...env } });

  test('simulating from an address without USDT is 503 estimate_failed, not a revert\'s energy; by default that is Tether\'s treasury, which holds none here', async () => {
    const t = await api({ USDT_ESTIMATE_FROM: '' });
    try {
      const res = await estimate(t, `to=${HOLDER}`);
      assert.equal(res.status, 503, JSON.stringify(res.body));
      assert.equal(res.body.error.code, 'estimate_failed');
      assert.match(res.body.error.message, /TKHuVq1oKVruCGLvqVexFs6dawKv6fQgFs/);
      assert.match(res.body.error.message, /REVERT opcode executed/);
      assert.match(res.body.error.message, /USDT_ESTIMATE_FROM/);
    } finally {
      await t.close();
      await fetch(`${devnet.url}/devnet/rate-limit`, { method: 'DELETE' });
    }
  });

  test('when the node refuses for its rate: 503 chain_unavailable with Retry-After, and while paused further asks never reach the node', async () => {
    const t = await api();
    try {
      await fetch(`${devnet.url}/devnet/rate-limit`, { method: 'DELETE' });
      const before = await calls(devnet);
      for (let i = 0; i < 3; i++) assert.equal((await estimate(t, `to=${freshAddress()}`)).status, 200);
      const refused = await estimate(t, `to=${freshAddress()}`);
      assert.equal(refused.status, 503, JSON.stringify(refused.body));
      assert.equal(refused.body.error.code, 'chain_unavailable');
      assert.equal(refused.headers['retry-after'], '30');
      assert.equal(refused.body.error.retry_after_seconds, 30);
      const mid = await calls(devnet);
      assert.equal(mid.rate_limited - before.rate_limited, 1);

      const paused = await estimate(t, `to=${freshAddress()}`);
      assert.equal(paused.status, 503);
      assert.equal(paused.body.error.code, 'chain_unavailable');
      assert.ok(Number(paused.headers['retry-after']) > 0);
      assert.deepEqual(await calls(devnet), mid, 'the paused ask sent nothing');
    } finally {
      await t.close();
      await fetch(`${devnet.url}/devnet/rate-limit`, { method: 'DELETE' });
    }
  });

  test('when the node is stopped: 503 chain_unavailable in JSON, never a 500', async () => {
    const own = await startDevnet({ blockIntervalMs: 0 });
    const t = await createTestApp({ env: { TRON_FULL_HOST: own.url, USDT_ESTIMATE_FROM: FROM, CHAIN_TIMEOUT_MS: '1500' } });
    try {
      assert.equal((await estimate(t, `to=${HOLDER}`)).status, 200);
      await own.close();
      const res = await estimate(t, `to=${freshAddress()}`);
      assert.equal(res.status, 503, JSON.stringify(res.body));
      assert.deepEqual(Object.keys(res.body.error), ['code', 'message']);
      assert.equal(res.body.error.code, 'chain_unavailable');
    } finally {
      await t.close();
    }
  });
});

test('role api without a node: 503 chain_not_configured; with API_KEYS, a key is needed first', async () => {
  const t = await createTestApp({ env: { API_KEYS: 'estimate-test-key-0123456789' } });
  try {
    const anonymous = await estimate(t, `to=${HOLDER}`);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.body.error.code, 'unauthorized');
    const res = await t.request({ method: 'GET', url: `/api/estimate/usdt-transfer?to=${HOLDER}`, headers: { 'x-api-key': 'estimate-test-key-0123456789' } });
    assert.equal(res.status, 503);
    assert.equal(res.body.error.code, 'chain_not_configured');
  } finally {
    await t.close();
  }
});

test('with the embedded devnet and no USDT_ESTIMATE_FROM, one of its demo customers is the sender', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'joule-estimate-'));
  const t = await createTestApp({ env: { JOULE_ROLE: 'all', DATA_DIR: dir } });
  try {
    const res = await estimate(t, `to=${HOLDER}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual([res.body.energy_amount, res.body.holds_usdt], [64_285, true]);
  } finally {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
