import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CrashPoint } from '../../src/config.js';
import { startDevnet, type Devnet } from '../../src/devnet/index.js';
import { createTestApp, ledgerViolations, type TestApp } from '../support/app.js';
import { describeEachDatabase } from '../support/dialects.js';
import { spawnWorker, type WorkerProcess, type WorkerSetup } from '../support/worker-process.js';
import { TronWeb } from 'tronweb';

/**
 * "Never delegates twice", with real processes: a `joule worker` child
 * SIGKILLs itself at a crash point (JOULE_CRASH_POINT), the journal it leaves
 * in the shared database (a SQLite file; for flash-rent refunds, PostgreSQL
 * too) is checked, then a clean worker takes the order over and finishes it.
 * The devnet (in this process, a block every 100 ms, produced by the test so
 * that it can stop chain time) is the judge of what landed.
 */

/** Rentals of 1 s: the tests watch whole lifecycles. */
const DURATIONS = '1s,3s,1h';
const DEPOSIT = 100_000_000n;
const ENERGY = 32_000n;

interface Scene {
  dir: string;
  devnet: Devnet;
  /** Block production: every 100 ms while running; chain time stands still while stopped. */
  miner: { start(): void; stop(): void };
  app: TestApp;
  setup: WorkerSetup;
  workers: WorkerProcess[];
}

/** Everything a test starts, closed when it ends (passed or not). On a fresh SQLite file unless given a database. */
async function setUp(t: TestContext, database?: string): Promise<Scene> {
  const dir = mkdtempSync(join(tmpdir(), 'joule-crash-'));
  const devnet = await startDevnet({ blockIntervalMs: 0, solidifyLag: 1 });
  let timer: NodeJS.Timeout | undefined;
  const miner = {
    start() {
      timer ??= setInterval(() => void devnet.mine(1).catch(() => {}), 100);
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
  };
  miner.start();
  const databaseUrl = database ?? `sqlite:${join(dir, 'joule.db')}`;
  const poolKeys = devnet.accounts.pools.map((p) => p.privateKey);
  let app: TestApp;
  try {
    // The API alone: its dispatch leaves orders pending for a worker's sweep.
    app = await createTestApp({
      databaseUrl,
      env: { TRON_FULL_HOST: devnet.url, POOL_PRIVATE_KEYS: poolKeys.join(','), ALLOWED_DURATIONS: DURATIONS },
    });
  } catch (err) {
    miner.stop();
    await devnet.close();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const scene: Scene = { dir, devnet, miner, app, setup: { databaseUrl, fullHost: devnet.url, poolKeys, dataDir: dir, durations: DURATIONS }, workers: [] };
  t.after(async () => {
    for (const w of scene.workers) await w.kill();
    await scene.app.close();
    miner.stop();
    await scene.devnet.close();
    rmSync(scene.dir, { recursive: true, force: true });
  });
  return scene;
}

function worker(s: Scene, crashPoint?: CrashPoint): WorkerProcess {
  const w = spawnWorker(s.setup, crashPoint);
  s.workers.push(w);
  return w;
}

async function placeOrder(s: Scene, userId: number, duration = '1s'): Promise<any> {
  await s.app.deposit(userId, DEPOSIT);
  const res = await s.app.request({
    method: 'POST',
    url: '/api/orders',
    payload: { user_id: userId, energy_amount: Number(ENERGY), duration, receive_address: s.devnet.accounts.customers[0]!.address },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  assert.equal(res.body.status, 'pending');
  return res.body;
}

const orderRow = (s: Scene, id: string) => s.app.db.kysely.selectFrom('orders').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const chainRows = (s: Scene, id: string, kind: 'delegate' | 'reclaim') =>
  s.app.db.kysely.selectFrom('chain_transactions').selectAll().where('order_id', '=', id).where('kind', '=', kind).orderBy('created_at').execute();

async function waitForStatus(s: Scene, id: string, status: string, timeoutMs = 20_000): Promise<Awaited<ReturnType<typeof orderRow>>> {
  const deadline = Date.now() + timeoutMs;
  let last = await orderRow(s, id);
  while (last.status !== status) {
    if (Date.now() > deadline) {
      throw new Error(`order ${id} never reached ${status}; last seen: ${JSON.stringify(last, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`);
    }
    await sleep(50);
    last = await orderRow(s, id);
  }
  return last;
}

async function chainTxs(s: Scene, contractType: string): Promise<any[]> {
  const res = await fetch(`${s.devnet.url}/devnet/transactions`);
  assert.ok(res.ok);
  const body = (await res.json()) as { transactions: any[] };
  return body.transactions.filter((t) => t.contractType === contractType);
}

/** Waits until the devnet's solidified head is later (chain time) than `expiration`. */
async function waitForSolidPast(s: Scene, expiration: bigint, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const block = (await (await fetch(`${s.devnet.url}/walletsolidity/getnowblock`)).json()) as any;
    if (BigInt(block.block_header.raw_data.timestamp) > expiration) return;
    if (Date.now() > deadline) throw new Error(`the solidified chain did not pass ${expiration} in ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** Waits until the devnet has accepted the transaction (in its pool or in a block). */
async function waitForChainTx(s: Scene, txid: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await chainTxs(s, 'DelegateResourceContract')).some((x) => x.txID === txid)) {
    if (Date.now() > deadline) throw new Error(`transaction ${txid} never reached the devnet`);
    await sleep(50);
  }
}

const included = (txs: any[]) => txs.filter((t) => t.status === 'included');

async function delegationsTo(s: Scene, address: string): Promise<any[]> {
  const res = await fetch(`${s.devnet.url}/devnet/delegations`);
  return ((await res.json()) as { delegations: any[] }).delegations.filter((d) => d.to === address);
}

async function events(s: Scene, id: string): Promise<string[]> {
  const rows = await s.app.db.kysely.selectFrom('order_events').selectAll().where('order_id', '=', id).orderBy('id').execute();
  return rows.map((e) => `${e.from_status}->${e.to_status}:${e.reason}`);
}

const FULL_LIFECYCLE = [
  'null->pending:created',
  'pending->delegating:pool_selected',
  'delegating->active:delegation_confirmed',
  'active->reclaiming:rental_expired',
  'reclaiming->completed:reclaim_confirmed',
];

/** What every test ends with: the books balance, one debit, no refund, nothing left delegated. */
async function assertBooks(s: Scene, userId: number, priceSun: bigint): Promise<void> {
  assert.deepEqual(await ledgerViolations(s.app.db), []);
  const user = await s.app.db.kysely.selectFrom('users').selectAll().where('id', '=', BigInt(userId)).executeTakeFirstOrThrow();
  assert.equal(user.balance_sun, DEPOSIT - priceSun);
  const refunds = await s.app.db.kysely.selectFrom('ledger_entries').select('id').where('kind', '=', 'refund').execute();
  assert.equal(refunds.length, 0);
  assert.deepEqual(await delegationsTo(s, s.devnet.accounts.customers[0]!.address), []);
}

/**
 * after-sign leaves a transaction nobody has seen. Both ways to resolve it
 * are forced here: with chain time stopped (no blocks) until the successor
 * has sent it, the journaled transaction can still land, so the successor
 * must re-broadcast the SAME signed transaction; with the successor started
 * only once the solidified chain is past its expiration, it must declare it
 * dead and sign a new one.
 */
const CASES = [
  { point: 'after-sign', successor: 're-broadcasts it' },
  { point: 'after-sign', successor: 'finds it expired and signs anew' },
  { point: 'after-broadcast', successor: 'finds it on chain' },
  { point: 'after-record', successor: 'finds it on chain' },
] as const;

// One at a time: side by side, the child processes starve each other on a small machine.
describe('crash recovery with real worker processes', () => {
  for (const { point, successor } of CASES) {
    it(`when the worker is killed ${point} of the delegation and its successor ${successor}, then the order delegates exactly once`, async (t) => {
      const s = await setUp(t);
      const placed = await placeOrder(s, 1);
      const expiresUnsent = successor === 'finds it expired and signs anew';
      const resend = successor === 're-broadcasts it';

      // 1. A worker that dies at the crash point.
      const first = worker(s, point);
      await first.crashed();
      if (resend) s.miner.stop();

      // 2. The journal it left behind.
      const order = await orderRow(s, placed.id);
      const [journaled, ...more] = await chainRows(s, placed.id, 'delegate');
      assert.equal(more.length, 0, 'one delegation journaled');
      assert.ok(journaled);
      assert.equal(order.status, 'delegating');
      assert.equal(order.delegate_txid, journaled.txid);
      assert.equal(order.delegate_tx_status, point === 'after-record' ? 'broadcast' : 'signed');
      assert.equal(order.reclaim_txid, null);
      if (point === 'after-record') {
        // The write that recorded the node's acceptance gave the order back, to wait for the chain.
        assert.ok(order.lease_owner === null && order.lease_until === null, 'the order was given back with the acceptance');
        assert.equal(order.wait_reason, 'awaiting_confirmation');
      } else {
        assert.ok(order.lease_owner !== null && order.lease_until !== null, 'the dead worker still holds the lease');
      }
      assert.ok(s.devnet.accounts.pools.some((p) => p.address === order.pool_address));
      assert.equal(journaled.status, point === 'after-record' ? 'broadcast' : 'signed');
      assert.equal(journaled.broadcasts, point === 'after-record' ? 1n : 0n);
      assert.equal(journaled.pool_address, order.pool_address);
      assert.equal(journaled.receiver, placed.receive_address);
      assert.equal(journaled.amount_sun, order.delegated_sun);
      assert.equal(journaled.result_code, null);
      assert.equal(journaled.block_number, null);
      assert.equal(journaled.confirmed_at, null);
      assert.match(journaled.signed_json, new RegExp(journaled.txid));
      const onChain = await chainTxs(s, 'DelegateResourceContract');
      if (point === 'after-sign') {
        assert.equal(onChain.length, 0, 'nothing broadcast');
      } else {
        assert.equal(onChain.length, 1, 'the one broadcast was accepted');
        assert.equal(onChain[0].txID, journaled.txid);
      }
      if (expiresUnsent) {
        // 25 blocks at once: 75 s of chain time, past its 60 s of validity.
        await s.devnet.mine(25);
        await waitForSolidPast(s, journaled.expiration, 1000);
      }

      // 3. A clean worker takes over once the dead one's lease has run out (after-record: once the follower wakes the order).
      const second = worker(s);
      if (resend) {
        // Not one block since the crash: it can still land. Time moves again once the successor has sent it.
        await waitForChainTx(s, journaled.txid);
        s.miner.start();
      }
      const active = await waitForStatus(s, placed.id, 'active');
      assert.equal(active.delegate_tx_status, 'confirmed');
      const completed = await waitForStatus(s, placed.id, 'completed');
      assert.equal(await second.stop(), 0, second.stderr());
      // How the successor resolved the journal entry, from its own (now complete) log.
      const resolved = second.logs.filter((l) => l.txid === journaled.txid).map((l) => l.msg);
      t.diagnostic(`successor on ${journaled.txid.slice(0, 12)}…: ${resolved.join('; ')}`);
      assert.ok(!resolved.includes('transaction signed and journaled'), 'the successor did not journal the same txid again');
      if (point === 'after-sign') {
        assert.ok(
          resolved.includes(expiresUnsent ? 'journaled transaction expired without landing' : 'in-doubt transaction re-broadcast'),
          JSON.stringify(resolved),
        );
      }

      // 4. Exactly one delegation and one undelegation landed.
      const delegations = await chainTxs(s, 'DelegateResourceContract');
      assert.equal(delegations.length, 1, JSON.stringify(delegations));
      assert.equal(included(delegations).length, 1, JSON.stringify(delegations));
      assert.equal(delegations[0].txID, completed.delegate_txid);
      const rows = await chainRows(s, placed.id, 'delegate');
      if (expiresUnsent) {
        // The dead one was never sent; the new one is a different transaction.
        assert.notEqual(completed.delegate_txid, journaled.txid);
        assert.deepEqual(
          rows.map((r) => [r.txid, r.status]).sort(),
          [
            [journaled.txid, 'expired'],
            [completed.delegate_txid, 'confirmed'],
          ].sort(),
        );
      } else {
        // The same signed transaction was settled, not a second one; the
        // journal counts every send, accepted or refused (a re-broadcast
        // answered DUP_TRANSACTION_ERROR while in the node's pool counts too).
        assert.equal(completed.delegate_txid, journaled.txid);
        const rebroadcasts = resolved.filter((m) => m === 'in-doubt transaction re-broadcast').length;
        const refusedSends = resolved.filter((m) => m === 'node refused the re-broadcast; waiting for its expiration').length;
        // after-sign: nobody has seen it, so it must be sent again. after-record: the journal
        // says it was accepted, so it is only waited for. after-broadcast: the journal says
        // nothing was sent; the successor sends it again unless its follower saw it in a
        // solidified block first (a race between two timers of the new process). Either way
        // the node answers for the same transaction, and one delegation lands (below).
        if (point === 'after-sign') assert.ok(rebroadcasts > 0, JSON.stringify(resolved));
        if (point === 'after-record') assert.equal(rebroadcasts, 0, JSON.stringify(resolved));
        assert.deepEqual(
          rows.map((r) => [r.txid, r.status, r.broadcasts]),
          [[journaled.txid, 'confirmed', journaled.broadcasts + BigInt(rebroadcasts + refusedSends)]],
        );
      }
      const undelegations = await chainTxs(s, 'UnDelegateResourceContract');
      assert.equal(undelegations.length, 1, JSON.stringify(undelegations));
      assert.equal(included(undelegations).length, 1, JSON.stringify(undelegations));
      assert.equal(undelegations[0].txID, completed.reclaim_txid);
      assert.equal(completed.reclaim_tx_status, 'confirmed');
      assert.deepEqual(await events(s, placed.id), FULL_LIFECYCLE);
      await assertBooks(s, 1, BigInt(placed.price_sun));
    });
  }

  it('when the worker is killed after broadcasting the reclaim, then a new worker settles it and the energy is undelegated exactly once', async (t) => {
    const s = await setUp(t);
    // 3 s: long enough for the first worker to be stopped before the rental expires.
    const placed = await placeOrder(s, 2, '3s');

    // A clean worker delegates; it is stopped before the rental expires.
    const first = worker(s);
    const active = await waitForStatus(s, placed.id, 'active');
    assert.equal(await first.stop(), 0, first.stderr());
    assert.equal((await orderRow(s, placed.id)).status, 'active', 'the first worker was stopped before it started the reclaim');
    assert.deepEqual(await chainRows(s, placed.id, 'reclaim'), []);

    // The next one reaches the reclaim and dies right after its broadcast.
    const crashing = worker(s, 'after-broadcast');
    await crashing.crashed();
    const order = await orderRow(s, placed.id);
    const [journaled, ...more] = await chainRows(s, placed.id, 'reclaim');
    assert.equal(more.length, 0, 'one undelegation journaled');
    assert.ok(journaled);
    assert.equal(order.status, 'reclaiming');
    assert.equal(order.delegate_txid, active.delegate_txid);
    assert.equal(order.delegate_tx_status, 'confirmed');
    assert.equal(order.reclaim_txid, journaled.txid);
    assert.equal(order.reclaim_tx_status, 'signed');
    assert.equal(order.completed_at, null);
    assert.equal(journaled.status, 'signed');
    assert.equal(journaled.broadcasts, 0n);
    assert.equal(journaled.pool_address, active.pool_address);
    assert.equal(journaled.amount_sun, active.delegated_sun);
    const accepted = await chainTxs(s, 'UnDelegateResourceContract');
    assert.equal(accepted.length, 1);
    assert.equal(accepted[0].txID, journaled.txid);

    const last = worker(s);
    const completed = await waitForStatus(s, placed.id, 'completed');
    assert.equal(await last.stop(), 0, last.stderr());

    const undelegations = await chainTxs(s, 'UnDelegateResourceContract');
    assert.equal(undelegations.length, 1, JSON.stringify(undelegations));
    assert.equal(included(undelegations).length, 1);
    assert.equal(completed.reclaim_txid, journaled.txid);
    assert.equal(completed.reclaim_tx_status, 'confirmed');
    assert.equal(included(await chainTxs(s, 'DelegateResourceContract')).length, 1);
    assert.deepEqual(await events(s, placed.id), FULL_LIFECYCLE);
    await assertBooks(s, 2, BigInt(placed.price_sun));
  });
});

// One at a time too, on each database: the refund's journal and its lease are written by the child processes.
describeEachDatabase('crash recovery of a flash-rent refund with real worker processes', (freshDatabase) => {
  for (const expiresUnsent of [false, true]) {
    it(`when the worker is killed between journaling a flash-rent refund and broadcasting it, and its successor ${expiresUnsent ? 'finds it expired and signs anew' : 're-broadcasts it'}, then the payer is refunded exactly once`, async (t) => {
      const s = await setUp(t, await freshDatabase());
      const flash = s.devnet.accounts.pools[0]!.address;
      const payer = s.devnet.accounts.customers[1]!;
      s.setup = { ...s.setup, env: { FLASH_RENT_ADDRESS: flash, FLASH_RENT_TABLE: '3:65000:1h', FLASH_RENT_REFUND_FEE_SUN: '100000' } };
      const first = worker(s, 'after-sign');
      // The follower begins at the solidified head of its first start: pay once it follows.
      const following = Date.now() + 20_000;
      while (!first.logs.some((l) => l.msg === 'following the solidified chain')) {
        assert.ok(Date.now() < following, `the worker never followed the chain: ${first.stderr()}`);
        await sleep(50);
      }
      // 4 TRX is not in the table: the payment is owed back.
      const tronWeb = new TronWeb({ fullHost: s.devnet.url, privateKey: payer.privateKey });
      const signedPayment = await tronWeb.trx.sign(await tronWeb.transactionBuilder.sendTrx(flash, 4_000_000, payer.address));
      assert.equal((await tronWeb.trx.sendRawTransaction(signedPayment)).result, true);
      await first.crashed();
      if (!expiresUnsent) s.miner.stop();
      const journal = () => s.app.db.kysely.selectFrom('chain_transactions').selectAll().where('payment_txid', '=', signedPayment.txID).orderBy('created_at').execute();
      const [journaled, ...more] = await journal();
      assert.equal(more.length, 0, 'one refund journaled');
      assert.ok(journaled);
      assert.equal(journaled.kind, 'refund');
      assert.equal(journaled.status, 'signed');
      assert.equal(journaled.broadcasts, 0n);
      assert.equal(journaled.receiver, payer.address);
      assert.equal(journaled.amount_sun, 3_900_000n);
      const refunds = async () => (await chainTxs(s, 'TransferContract')).filter((x) => x.owner === flash && x.receiver === payer.address);
      assert.deepEqual(await refunds(), [], 'nothing broadcast');
      if (expiresUnsent) {
        await s.devnet.mine(25);
        await waitForSolidPast(s, journaled.expiration, 1000);
      }

      const second = worker(s);
      if (!expiresUnsent) {
        // Not one block since the crash: it can still land, so the same transaction must be sent.
        const deadline = Date.now() + 20_000;
        while (!(await refunds()).some((x) => x.txID === journaled.txid)) {
          assert.ok(Date.now() < deadline, 'the successor never re-broadcast the journaled refund');
          await sleep(50);
        }
        s.miner.start();
      }
      const payment = async () => s.app.db.kysely.selectFrom('flash_payments').selectAll().where('txid', '=', signedPayment.txID).executeTakeFirstOrThrow();
      const deadline = Date.now() + 20_000;
      while ((await payment()).refund_status !== 'refunded') {
        assert.ok(Date.now() < deadline, `never refunded: ${JSON.stringify(await payment(), (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`);
        await sleep(50);
      }
      // Blocks go on: nothing else may be sent.
      await sleep(1000);
      assert.equal(await second.stop(), 0, second.stderr());
      const landed = included(await refunds());
      assert.equal(landed.length, 1, JSON.stringify(await refunds()));
      assert.equal(BigInt(landed[0].amount), 3_900_000n);
      assert.equal((await payment()).refund_txid, landed[0].txID);
      const rows = await journal();
      if (expiresUnsent) {
        assert.notEqual(landed[0].txID, journaled.txid);
        assert.deepEqual(rows.map((r) => r.status).sort(), ['confirmed', 'expired']);
      } else {
        assert.equal(landed[0].txID, journaled.txid);
        assert.deepEqual(rows.map((r) => r.status), ['confirmed']);
      }
      assert.deepEqual(await ledgerViolations(s.app.db), []);
    });
  }
});
