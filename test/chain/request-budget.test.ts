import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RateLimitedError } from '../../src/chain/gateway.js';
import { pauseAsked, RequestBudget } from '../../src/chain/request-budget.js';
import { TronWebGateway } from '../../src/chain/tronweb-gateway.js';
import { startDevnet } from '../../src/devnet/index.js';

interface Calls {
  total: number;
  by_path: Record<string, number>;
  rate_limited: number;
}

const callsOf = async (url: string): Promise<Calls> => (await (await fetch(`${url}/devnet/calls`)).json()) as Calls;

test('when requests queue for the budget, then broadcasts and the follower (high) go before the rest, each in the order asked', async () => {
  const budget = new RequestBudget(50);
  const served: string[] = [];
  await budget.take('normal'); // the first goes at once; the others queue behind its slot
  const waits = [
    ...['n1', 'n2', 'n3'].map((id) => budget.take('normal').then(() => served.push(id))),
    ...['h1', 'h2'].map((id) => budget.take('high').then(() => served.push(id))),
  ];
  await Promise.all(waits);
  assert.deepEqual(served, ['h1', 'h2', 'n1', 'n2', 'n3']);
});

test('when the node asks for a pause, then no request goes until it is over, and then they all go', async () => {
  const budget = new RequestBudget(Infinity);
  budget.pause(300);
  assert.ok(budget.pausedForMs > 250);
  let went = 0;
  const all = Promise.all([1, 2, 3].map(() => budget.take().then(() => went++)));
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(went, 0, 'nobody went during the pause');
  await all;
  assert.equal(went, 3);
  assert.equal(budget.pausedForMs, 0);
});

test('a rate-limit answer asks for its Retry-After, else the suspension TronGrid writes, else 30 s', () => {
  assert.equal(pauseAsked('5', ''), 5000);
  assert.equal(pauseAsked(undefined, '{"Error":"The key exceeds the frequency limit(15), and the query server is suspended for 30s"}'), 30_000);
  assert.equal(pauseAsked(undefined, 'suspended for 2.5s'), 2500);
  assert.equal(pauseAsked(undefined, 'nothing said'), 30_000);
  assert.equal(pauseAsked('', 'nothing said'), 30_000);
});

test('when many callers share a budget below the provider limit, then the provider never refuses one (TronGrid profile)', async () => {
  // 15 per chain-second on a 30x clock: 450 a wall second. The budget allows 150 (room for a
  // devnet clock that lags on a busy machine, which slows its chain-seconds).
  const devnet = await startDevnet({ profile: 'trongrid', blockIntervalMs: 100 });
  try {
    const gateway = new TronWebGateway(devnet.url, { timeoutMs: 5000, apiKey: 'budget-test', budget: new RequestBudget(150) });
    const pool = devnet.accounts.pools[0]!.address;
    await Promise.all(Array.from({ length: 300 }, () => gateway.delegatableSun(pool)));
    const calls = await callsOf(devnet.url);
    assert.equal(calls.rate_limited, 0, 'no request refused');
    assert.equal(calls.by_path['/wallet/getcandelegatedmaxsize'], 300);
  } finally {
    await devnet.close();
  }
});

test('when the provider refuses for the rate, then the whole process pauses for the time the answer names, and the calls after it succeed', async () => {
  // A budget far above the limit (1,000 a wall second against 150); the devnet suspends the key
  // for 1 s of chain time and says so ("suspended for 1s"), which the budget waits in wall time.
  const devnet = await startDevnet({ profile: 'trongrid', blockIntervalMs: 100, rateLimit: { perSecond: 5, suspendMs: 1000 } });
  try {
    const pauses: number[] = [];
    const budget = new RequestBudget(1000);
    let probe: Promise<number> | undefined;
    const gateway = new TronWebGateway(devnet.url, {
      timeoutMs: 5000,
      apiKey: 'burst',
      budget,
      observer: {
        rateLimited: (_e, ms) => {
          pauses.push(ms);
          // A request made the moment the first refusal comes back: it must wait the pause out
          // rather than be sent into the suspension. (Its own answer may be another refusal on a
          // machine slow enough to lag the devnet's chain clock; the wait is what is measured.)
          if (probe === undefined) {
            const sent = performance.now();
            probe = gateway.delegatableSun(pool).then(
              () => performance.now() - sent,
              () => performance.now() - sent,
            );
          }
        },
      },
    });
    const pool = devnet.accounts.pools[0]!.address;
    const results = await Promise.allSettled(Array.from({ length: 40 }, () => gateway.delegatableSun(pool)));
    const refused = results.filter((r) => r.status === 'rejected');
    assert.ok(refused.length > 0, 'the burst went over the limit');
    for (const r of refused) assert.ok((r as PromiseRejectedResult).reason instanceof RateLimitedError, String((r as PromiseRejectedResult).reason));
    assert.ok(pauses.length > 0 && pauses.every((ms) => ms === 1000), `each refusal paused the budget for the 1 s it named: ${pauses.join()}`);
    assert.ok(probe !== undefined, 'a request was made during the pause');
    const probeWaitedMs = await probe;
    assert.ok(probeWaitedMs >= 900, `a request made during the pause waited it out (${Math.round(probeWaitedMs)} ms)`);
    // After the pause requests go again. (The devnet counts its suspension in chain time, which a
    // loaded machine can slow: a call may still meet it, and then the whole budget pauses again.)
    let again: bigint | undefined;
    for (let attempt = 0; attempt < 10 && again === undefined; attempt++) {
      again = await gateway.delegatableSun(pool).catch((err: unknown) => {
        assert.ok(err instanceof RateLimitedError, String(err));
        assert.ok(budget.pausedForMs > 0, 'a refusal pauses the budget');
        return undefined;
      });
    }
    assert.ok(again !== undefined && again > 0n, 'requests succeed again after the pause');
  } finally {
    await devnet.close();
  }
});
