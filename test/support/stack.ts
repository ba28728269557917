import assert from 'node:assert/strict';
import { afterEach } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { poolAccounts } from '../../src/chain/pools.js';
import { TronWebGateway } from '../../src/chain/tronweb-gateway.js';
import { findCursor } from '../../src/db/chain-cursor.js';
import { connect } from '../../src/db/connect.js';
import { startDevnet, type Devnet, type DevnetOptions } from '../../src/devnet/index.js';
import { loadConfig, type EngineConfig, type FlashRentConfig } from '../../src/config.js';
import { startEngine, type Engine } from '../../src/engine/engine.js';
import { createJoule, type Joule } from '../../src/joule.js';
import { createLogger } from '../../src/observability/logger.js';
import type { Order } from '../../src/db/orders.js';
import { DEFAULT_TENANT } from '../../src/domain/tenant.js';
import { placeOrder } from '../../src/use-cases/place-order.js';
import { ADMIN_TOKEN, createTestApp, freshSqlite, ledgerViolations, type TestApp } from './app.js';

/**
 * The whole of Joule against a real devnet over HTTP: the API with
 * in-process dispatch, the engine (runner + sweeper) and unmodified TronWeb.
 * Blocks every 100 ms with a 1-block solidity lag, so chain time runs ~30x
 * faster than the wall clock (each block is 3 s of chain time).
 */
export interface Stack extends TestApp {
  devnet: Devnet;
  engine: Engine;
  /** The devnet's admin API. */
  devnetAdmin(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<any>;
  /** POST /api/orders; asserts 201 and returns the order. */
  order(body: Record<string, unknown>): Promise<any>;
  /** Polls GET /api/orders/:id until `until` holds. */
  waitFor(orderId: string, until: (order: any) => boolean, timeoutMs?: number): Promise<any>;
  /** Every transaction the devnet accepted, optionally of one contract type. */
  chainTxs(contractType?: string): Promise<any[]>;
  customer(i?: number): string;
  /** Every log line of the API and the engine, parsed (with `queue`; otherwise its warnings and errors, unless TEST_LOG_LEVEL prints them). */
  logs: any[];
}

export const STACK_ENV = {
  ALLOWED_DURATIONS: '2s,5s,10s,1h',
  CONFIRM_POLL_MS: '100',
  // The default request budget (10 a second) scaled with the devnet's clock, as every time here is:
  // at 10 a second of wall time a test's rentals would queue for node calls 30 times longer than mainnet's.
  TRON_MAX_RPS: '300',
  SWEEP_INTERVAL_MS: '200',
  LEASE_MS: '5000',
  CHAIN_TIMEOUT_MS: '1500',
  MAX_ENERGY: '1000000000',
};

export async function startStack(
  opts: {
    databaseUrl?: string;
    env?: Record<string, string>;
    /** More settings that depend on the devnet's accounts (e.g. one of its pools' addresses). */
    envFor?: (devnet: Devnet) => Record<string, string>;
    devnet?: DevnetOptions;
    poolCount?: number;
    /** More pool keys after the devnet's own (e.g. of an account the chain does not know). */
    extraPoolKeys?: string[];
    /** Background tasks on this Redis: the API enqueues wake-ups, the engine consumes them (like `api` + `worker`). */
    queue?: { redisUrl: string };
  } = {},
): Promise<Stack> {
  const logs: any[] = [];
  const devnet = await startDevnet({ blockIntervalMs: 100, solidifyLag: 1, ...opts.devnet });
  const keys = [...devnet.accounts.pools.slice(0, opts.poolCount ?? devnet.accounts.pools.length).map((p) => p.privateKey), ...(opts.extraPoolKeys ?? [])];
  const env = {
    ...STACK_ENV,
    TRON_FULL_HOST: devnet.url,
    POOL_PRIVATE_KEYS: keys.join(','),
    ...(opts.queue ? { ENABLE_BACKGROUND_TASKS: 'true', REDIS_URL: opts.queue.redisUrl } : {}),
    ...opts.env,
    ...opts.envFor?.(devnet),
  };
  let t: TestApp;
  let engine: Engine;
  let worker: Joule | undefined;
  const sqlite = opts.databaseUrl === undefined ? freshSqlite() : undefined;
  const databaseUrl = opts.databaseUrl ?? sqlite!.url;
  try {
    if (opts.queue) {
      // As separate `worker` and `api` processes on one database: the worker's engine consumes the
      // API's wake-ups and schedules its own reclaim jobs; an order Redis cannot take waits for a sweep.
      const log = createLogger('debug', { write: (line: string) => void logs.push(JSON.parse(line)) });
      const workerConfig = loadConfig({ ADMIN_TOKEN, DATABASE_URL: databaseUrl, ...env, JOULE_ROLE: 'worker' });
      worker = await createJoule(workerConfig, { log, workerId: 'test-worker' });
      t = await createTestApp({ databaseUrl, env: { ...env, JOULE_ROLE: 'api' }, log: log.child({ role: 'api' }) });
      engine = worker.engine!;
    } else {
      // Role all: the API dispatches each new order to the engine in this process.
      const log =
        process.env.TEST_LOG_LEVEL === undefined
          ? createLogger('warn', { write: (line: string) => void logs.push(JSON.parse(line)) })
          : createLogger(process.env.TEST_LOG_LEVEL as 'info');
      t = await createTestApp({ databaseUrl, env: { ...env, JOULE_ROLE: 'all' }, log, workerId: 'test-worker' });
      engine = t.joule.engine!;
    }
  } catch (err) {
    await worker?.close();
    await devnet.close();
    sqlite?.remove();
    throw err;
  }
  const devnetAdmin: Stack['devnetAdmin'] = async (method, path, body) => {
    const res = await fetch(`${devnet.url}/devnet${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!res.ok) throw new Error(`devnet ${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  return {
    ...t,
    devnet,
    engine,
    devnetAdmin,
    async order(body) {
      const res = await t.request({ method: 'POST', url: '/api/orders', payload: body });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body;
    },
    async waitFor(orderId, until, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      let last: any;
      while (Date.now() < deadline) {
        last = (await t.request({ method: 'GET', url: `/api/orders/${orderId}` })).body;
        if (until(last)) return last;
        await sleep(50);
      }
      throw new Error(`order ${orderId} never reached the expected state; last seen: ${JSON.stringify(last)}`);
    },
    async chainTxs(contractType) {
      const all = (await devnetAdmin('GET', '/transactions')) as { transactions?: any[] } | any[];
      const list = Array.isArray(all) ? all : (all.transactions ?? []);
      return contractType === undefined ? list : list.filter((x: any) => x.contractType === contractType);
    },
    customer: (i = 0) => devnet.accounts.customers[i]!.address,
    logs,
    async close() {
      await t.close();
      await worker?.close();
      await devnet.close();
      sqlite?.remove();
    },
  };
}

/** The invariants every execution test ends with. */
/**
 * Places user 1's order of 32,000 energy to the first customer straight
 * through the use case: written, but woken by nobody (no dispatch), so the
 * test decides what moves it.
 */
export async function placeUndispatched(s: Stack, duration: string): Promise<Order> {
  const { order } = await placeOrder(s.db, { rates: s.config.rates }, {
    userId: 1n,
    tenantId: DEFAULT_TENANT,
    energyAmount: 32_000n,
    duration: s.config.durations.find((d) => d.text === duration)!,
    receiveAddress: s.customer(0),
    idempotencyKey: null,
  });
  return order;
}

export async function assertLedgerSound(s: Stack): Promise<void> {
  assert.deepEqual(await ledgerViolations(s.db), []);
  const refunds = await s.db.kysely.selectFrom('ledger_entries').select(['order_id']).where('kind', '=', 'refund').execute();
  // Flash-rent orders are refunded on chain, not to a balance (ledgerViolations checks those).
  // Failed and cancelled orders are refunded; an early cancel too, unless its refund came to nothing.
  const owed = await s.db.kysely
    .selectFrom('orders')
    .select(['id'])
    .where('payment_txid', 'is', null)
    .where((eb) => eb.or([eb('status', 'in', ['failed', 'cancelled']), eb.and([eb('cancelled_at', 'is not', null), eb('refunded_sun', '>', 0n)])]))
    .execute();
  assert.deepEqual(refunds.map((r) => r.order_id).sort(), owed.map((f) => f.id).sort(), 'every failed or cancelled order refunded exactly once, and only those');
}

/**
 * For suites that start a stack in each test: the returned starter's stack
 * is checked with assertLedgerSound and closed after the test, even when the
 * check fails.
 */
export function stackPerTest(): typeof startStack {
  let current: Stack | undefined;
  afterEach(async () => {
    const stack = current;
    current = undefined;
    if (!stack) return;
    try {
      await assertLedgerSound(stack);
    } finally {
      await stack.close();
    }
  });
  return async (opts) => (current = await startStack(opts));
}

/** Reads until `ok` holds, every 50 ms; fails with `what` and the last value read after `timeoutMs`. */
export async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T;
  do {
    last = await read();
    if (ok(last)) return last;
    await sleep(50);
  } while (Date.now() < deadline);
  throw new Error(`${what}; last seen: ${JSON.stringify(last, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`);
}

/**
 * Resolves once a worker follows the solidified chain. The first follower
 * starts at the solidified head it sees then: a transfer solidified before
 * is never read, so a test that pays Joule on chain waits for this first.
 */
export async function waitForFollower(s: Stack): Promise<void> {
  await until(() => findCursor(s.db), (c) => c !== undefined, 'no worker follows the chain');
}

/** A worker in the test's process beside the stack's own: its own database connection, engine and id. */
export interface StackWorker {
  id: string;
  engine: Engine;
  /** Its log lines (info and up), parsed. */
  logs: any[];
  /** Closes its engine (giving the follower's cursor back) and its connection. */
  close(): Promise<void>;
}

/**
 * Starts another worker on the stack's database and devnet with the stack's
 * settings (deposit addresses and flash rent included): a second `joule
 * worker`, or the stack's worker after a restart. `engine` overrides engine
 * settings, `chainTimeoutMs` the node timeout.
 */
export function startWorker(
  s: Stack,
  id: string,
  opts: {
    engine?: Partial<EngineConfig>;
    chainTimeoutMs?: number;
    /** Overrides the stack's FLASH_RENT_* (undefined: none). */
    flashRent?: FlashRentConfig | undefined;
    /** Overrides the stack's pool keys (another worker's settings). */
    poolKeys?: string[];
  } = {},
): StackWorker {
  const db = connect(s.config.databaseUrl);
  const logs: any[] = [];
  const engine = startEngine({
    db,
    chain: new TronWebGateway(s.devnet.url, { timeoutMs: opts.chainTimeoutMs ?? s.config.chain.timeoutMs }),
    pools: poolAccounts(opts.poolKeys === undefined ? s.config.chain.poolKeys : opts.poolKeys.map((privateKey) => ({ privateKey, permissionId: undefined, ownerAddress: undefined }))),
    config: { ...s.config.engine, ...opts.engine },
    log: createLogger('info', { write: (line: string) => void logs.push(JSON.parse(line)) }),
    workerId: id,
    // Watched by every worker, as in joule.ts.
    deposits: { minimums: s.config.deposits.minimums },
    flashRent: 'flashRent' in opts ? opts.flashRent : s.config.flashRent,
  });
  return {
    id,
    engine,
    logs,
    async close() {
      await engine.close();
      await db.close();
    },
  };
}

/** The follower's lease, at its shortest: a worker held up longer than this loses the cursor. */
const SHORT_LEASE_MS = 1000;
/** How long the node holds the first worker's read of blocks: well past its lease, well within its timeout. */
const HELD_READ_MS = 2500;

/**
 * Two workers read the same solidified blocks at once. The stack's own
 * worker is stopped; a first worker takes the follower's cursor with a short
 * lease, and the node holds its first read of blocks past that lease.
 * Meanwhile `pay` runs (its transfers land in the blocks that read will
 * answer with), and a second worker takes the cursor over and reads from the
 * same block on. Resolves once the first has had the blocks too and tried to
 * write what it found in them: its turn refused, the lease being gone. Both
 * workers keep running (the caller closes them).
 */
export async function readByTwoWorkersAtOnce(s: Stack, pay: () => Promise<void>): Promise<{ first: StackWorker; second: StackWorker }> {
  await s.engine.close();
  // Only a follower reads blocks, and none runs now: the first worker's first read is the one held.
  await s.devnetAdmin('POST', '/faults/hang', { pathPrefix: '/walletsolidity/getblockbylimitnext', ms: HELD_READ_MS, count: 1 });
  const first = startWorker(s, 'first-worker', { engine: { leaseMs: SHORT_LEASE_MS }, chainTimeoutMs: 3 * HELD_READ_MS });
  let second: StackWorker | undefined;
  try {
    await until(() => findCursor(s.db), (c) => c?.lease_owner === first.id, 'the first worker follows the chain');
    second = startWorker(s, 'second-worker');
    await until(() => s.devnetAdmin('GET', '/faults'), (f) => f.hang === undefined, 'the first worker reads blocks');
    await pay();
    const refused = await until(
      async () => first.logs.find((l) => l.msg === 'block follower could not read the chain; trying again next interval'),
      (l) => l !== undefined,
      'the first worker read the blocks, but its write of them was never refused although the second worker took the cursor over',
    );
    assert.match(refused.err, /lost its lease/);
    return { first, second };
  } catch (err) {
    await second?.close();
    await first.close();
    throw err;
  }
}

/** Leaves the pool no bandwidth and no TRX on the devnet: the node refuses whatever it signs (BANDWITH_ERROR). */
export async function drainPool(s: Stack, address: string): Promise<void> {
  await s.devnetAdmin('POST', '/accounts/set-balance', { address, balance_sun: '0' });
  await s.devnetAdmin('POST', '/consume-bandwidth', { address, net: 'all', free_net: 'all' });
}
