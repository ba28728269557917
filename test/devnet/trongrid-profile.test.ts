// The `trongrid` profile: mainnet timing behind TronGrid's free-plan request
// limits. What a TronWeb client with an API key sees: every call answers up
// to 15 a chain-second, the 16th is 403 with TronGrid's body and the key is
// suspended for 30 s of chain time; 100,000 a chain day, then 403 until the
// day turns. Each key (or keyless address) on its own; /devnet never limited.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TronWeb } from 'tronweb';
import { startDevnet, type Devnet } from '../../src/devnet/index.js';
import { admin, broadcast, client } from './tronweb-client.js';

const SUSPENDED_15 = { Error: 'The key exceeds the frequency limit(15), and the query server is suspended for 30s' };

/** What the client got instead of an answer: TronWeb throws on a non-2xx status, with the status and body in `response`. */
async function refusal(call: Promise<unknown>): Promise<{ status: number; body: unknown }> {
  try {
    await call;
  } catch (err) {
    const response = (err as { response?: { status: number; data: unknown } }).response;
    if (response !== undefined) return { status: response.status, body: response.data };
    throw err;
  }
  assert.fail('the call answered');
}

/** One request as a client without a key would make it. */
async function keyless(devnet: Devnet): Promise<number> {
  return (await fetch(`${devnet.url}/wallet/getnowblock`)).status;
}

async function answers(tw: TronWeb, times: number): Promise<void> {
  for (let i = 0; i < times; i++) assert.ok((await tw.trx.getCurrentBlock()).blockID, `call ${i + 1} answered`);
}

test('with blocks on request chain time stands still: 15 calls answer, the 16th is 403 with TronGrid\'s body, the key stays suspended for 30 s of chain time and nothing it sends reaches the node', async () => {
  const devnet = await startDevnet({ profile: 'trongrid', blockIntervalMs: 0 });
  try {
    const pool = devnet.accounts.pools[0]!;
    const tw = client(devnet, pool.privateKey, 'key-a');
    // Built and signed while the key may still call (building asks for the head block).
    const transfer = await tw.trx.sign(await tw.transactionBuilder.sendTrx(devnet.accounts.customers[0]!.address, 1_000_000, pool.address));
    await answers(tw, 14);
    assert.deepEqual(await refusal(tw.trx.getCurrentBlock()), { status: 403, body: SUSPENDED_15 });

    // Suspended: every call gets the same answer, a broadcast included, and none of them lands or counts.
    assert.deepEqual(await refusal(tw.trx.sendRawTransaction(transfer)), { status: 403, body: SUSPENDED_15 });
    assert.deepEqual(await refusal(tw.trx.getAccount(pool.address)), { status: 403, body: SUSPENDED_15 });
    assert.deepEqual((await admin(devnet, 'GET', '/transactions')).transactions, []);
    assert.deepEqual(await admin(devnet, 'GET', '/calls'), {
      total: 15,
      by_path: { '/wallet/getblock': 1, '/wallet/getnowblock': 14 },
      rate_limited: 3,
    });

    await devnet.mine(9); // 27 s of chain time
    assert.equal((await refusal(tw.trx.getCurrentBlock())).status, 403);
    await devnet.mine(1); // 30 s
    const out = await broadcast(tw, transfer);
    assert.equal(out.result, true, out.message);
    assert.equal((await admin(devnet, 'GET', '/calls')).rate_limited, 4);
  } finally {
    await devnet.close();
  }
});

test('keys are limited each on its own, and a client without a key by its address', async () => {
  const devnet = await startDevnet({ profile: 'trongrid', blockIntervalMs: 0 });
  try {
    const key = devnet.accounts.pools[0]!.privateKey;
    const a = client(devnet, key, 'key-a');
    const b = client(devnet, key, 'key-b');
    await answers(a, 15);
    assert.equal((await refusal(a.trx.getCurrentBlock())).status, 403);
    await answers(b, 15);
    assert.equal((await refusal(b.trx.getCurrentBlock())).status, 403);
    const statuses = [];
    for (let i = 0; i < 16; i++) statuses.push(await keyless(devnet));
    assert.deepEqual(statuses, [...Array(15).fill(200), 403]);
    const state = await admin(devnet, 'GET', '/rate-limit');
    assert.deepEqual(
      state.clients.map((c: { client: string; usedToday: number; suspendedUntil: number | null }) => [c.client, c.usedToday, c.suspendedUntil !== null]),
      [
        ['key:key-a', 15, true],
        ['key:key-b', 15, true],
        ['ip:127.0.0.1', 15, true],
      ],
    );
  } finally {
    await devnet.close();
  }
});

test('past the daily quota every call is 403 until the chain day turns, whatever the rate; other keys keep theirs', async () => {
  const devnet = await startDevnet({ profile: 'trongrid', blockIntervalMs: 0, rateLimit: { perSecond: 100, perDay: 20 } });
  try {
    const key = devnet.accounts.pools[0]!.privateKey;
    const tw = client(devnet, key, 'key-a');
    await answers(tw, 20);
    const spent = { status: 403, body: { Error: 'The key exceeds the daily request limit(20), and the query server is suspended until the next day' } };
    assert.deepEqual(await refusal(tw.trx.getCurrentBlock()), spent);
    await devnet.mine(20); // a minute later: a rate suspension would be over, the quota is not
    assert.deepEqual(await refusal(tw.trx.getCurrentBlock()), spent);
    await answers(client(devnet, key, 'key-b'), 5);

    const { chainTime, dayEndsAt } = await admin(devnet, 'GET', '/rate-limit');
    const toMidnight = Math.ceil((dayEndsAt - chainTime) / 3000);
    if (toMidnight > 1) {
      await devnet.mine(toMidnight - 1);
      assert.deepEqual(await refusal(tw.trx.getCurrentBlock()), spent, 'the last block of the day');
    }
    await devnet.mine(1);
    await answers(tw, 20);
    assert.equal((await refusal(tw.trx.getCurrentBlock())).status, 403);
  } finally {
    await devnet.close();
  }
});

test('on a 30x clock (100 ms blocks) the limits scale with chain time: 25 calls a wall second spread out all answer, and a suspension lasts about one wall second', async () => {
  const devnet = await startDevnet({ profile: 'trongrid', blockIntervalMs: 100 });
  try {
    const tw = client(devnet, devnet.accounts.pools[0]!.privateKey, 'key-a');
    // 40 ms apart is 1.2 s of chain time apart: 25 a wall second, never two in a chain-second.
    for (let i = 0; i < 25; i++) {
      assert.ok((await tw.trx.getCurrentBlock()).blockID, `spread call ${i + 1}`);
      await sleep(40);
    }
    assert.equal((await admin(devnet, 'GET', '/calls')).rate_limited, 0);

    // 50 at once are over 15 in a chain-second (33 ms of wall time) unless the machine is very slow: try a few bursts.
    let suspendedAt: number | undefined;
    for (let burst = 0; suspendedAt === undefined && burst < 20; burst++) {
      // The suspension starts after this, so waiting from here bounds it from above.
      const startedAt = Date.now();
      const outcomes = await Promise.allSettled(Array.from({ length: 50 }, () => tw.trx.getCurrentBlock()));
      const refused = outcomes.find((o) => o.status === 'rejected');
      if (refused !== undefined) {
        suspendedAt = startedAt;
        assert.deepEqual(await refusal(Promise.reject(refused.reason)), { status: 403, body: SUSPENDED_15 });
      }
    }
    assert.ok(suspendedAt !== undefined, 'a burst of 50 was limited');
    let answeredAt: number | undefined;
    while (answeredAt === undefined && Date.now() - suspendedAt < 10_000) {
      try {
        await tw.trx.getCurrentBlock();
        answeredAt = Date.now();
      } catch (err) {
        assert.deepEqual(await refusal(Promise.reject(err)), { status: 403, body: SUSPENDED_15 });
        await sleep(10);
      }
    }
    assert.ok(answeredAt !== undefined, 'the key answers again');
    const waited = answeredAt - suspendedAt;
    // 30 s of chain time is 1,000 ms of wall time at 30x; chain time never runs faster than that, only slower when a block is late.
    assert.ok(waited >= 990 && waited < 5000, `suspended for ${waited} ms of wall time`);
  } finally {
    await devnet.close();
  }
});

test('the /devnet admin API is never limited, with or without a key, and the call counts reset apart from the quotas', async () => {
  const devnet = await startDevnet({ profile: 'trongrid', blockIntervalMs: 0 });
  try {
    const tw = client(devnet, devnet.accounts.pools[0]!.privateKey, 'key-a');
    await answers(tw, 15);
    assert.equal((await refusal(tw.trx.getCurrentBlock())).status, 403);
    for (let i = 0; i < 16; i++) await keyless(devnet);
    for (let i = 0; i < 40; i++) {
      const res = await fetch(`${devnet.url}/devnet/status`, { headers: { 'TRON-PRO-API-KEY': 'key-a' } });
      assert.equal(res.status, 200);
    }
    const status = await admin(devnet, 'GET', '/status');
    assert.deepEqual([status.profile, status.blockIntervalMs, status.solidifyLag], ['trongrid', 0, 19]);
    assert.deepEqual(status.rateLimit, { perSecond: 15, perDay: 100_000, suspendMs: 30_000 });

    // Counting starts again, the suspension stays.
    assert.deepEqual(await admin(devnet, 'DELETE', '/calls'), { total: 0, by_path: {}, rate_limited: 0 });
    assert.equal((await refusal(tw.trx.getCurrentBlock())).status, 403);
    assert.deepEqual(await admin(devnet, 'GET', '/calls'), { total: 0, by_path: {}, rate_limited: 1 });
    // Quotas and suspensions are forgotten on their own route.
    const cleared = await admin(devnet, 'DELETE', '/rate-limit');
    assert.deepEqual([cleared.enabled, cleared.clients], [true, []]);
    await answers(tw, 1);
    assert.equal(await keyless(devnet), 200);
  } finally {
    await devnet.close();
  }
});

test('the default and mainnet profiles are not limited at all', async () => {
  for (const profile of ['default', 'mainnet'] as const) {
    const devnet = await startDevnet({ profile, blockIntervalMs: 0 });
    try {
      const tw = client(devnet, devnet.accounts.pools[0]!.privateKey, 'key-a');
      const outcomes = await Promise.allSettled(Array.from({ length: 100 }, () => tw.trx.getCurrentBlock()));
      assert.deepEqual(outcomes.filter((o) => o.status === 'rejected'), [], profile);
      for (let i = 0; i < 50; i++) assert.equal(await keyless(devnet), 200);
      assert.deepEqual(await admin(devnet, 'GET', '/calls'), { total: 150, by_path: { '/wallet/getnowblock': 150 }, rate_limited: 0 });
      assert.deepEqual(await admin(devnet, 'GET', '/rate-limit'), { enabled: false });
      assert.equal((await admin(devnet, 'GET', '/status')).rateLimit, null);
      assert.equal(devnet.rateLimit, undefined);
    } finally {
      await devnet.close();
    }
  }
});

test('limits given with another profile apply to it; a limit that is not a positive whole number is refused', async () => {
  const devnet = await startDevnet({ profile: 'default', blockIntervalMs: 0, rateLimit: { perSecond: 2, suspendMs: 0 } });
  try {
    assert.deepEqual(devnet.rateLimit, { perSecond: 2, perDay: 100_000, suspendMs: 0 });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push(await keyless(devnet));
    assert.deepEqual(statuses, [200, 200, 403, 403]);
    const body = await (await fetch(`${devnet.url}/wallet/getnowblock`)).json();
    assert.deepEqual(body, { Error: 'The key exceeds the frequency limit(2), and the query server is suspended for 0s' });
    await devnet.mine(1); // no suspension: the next chain-second answers
    assert.equal(await keyless(devnet), 200);
  } finally {
    await devnet.close();
  }
  await assert.rejects(startDevnet({ profile: 'trongrid', rateLimit: { perSecond: 0 } }), /rateLimit.perSecond must be a positive integer/);
  await assert.rejects(startDevnet({ profile: 'trongrid', rateLimit: { perDay: 1.5 } }), /rateLimit.perDay must be a positive integer/);
  await assert.rejects(startDevnet({ profile: 'trongrid', rateLimit: { suspendMs: -1 } }), /rateLimit.suspendMs must be a non-negative integer/);
});
