// Deposits: how many transfers to users' deposit addresses Joule's block
// watcher credits per second, once they are solidified, against the raw parts
// of the same work done without Joule's logic, in the same run.
//
// Joule: role `all` in this process, built by createJoule (SQLite, the block
// follower with the deposit watch, CONFIRM_POLL_MS 100, logs silent), against
// a devnet that makes blocks only on request (solidity lag 1). U users
// (N / 10, at most 1,000) get their deposit address through the API
// (GET /api/users/:id/deposit-address); then C concurrent loops build (TronWeb),
// sign and broadcast N transfers from the devnet's 3 demo customers (topped up
// to 1,000,000 TRX each) to those addresses, round robin: TRX of 1 TRX + i sun,
// and every 1 / --usdt-share a direct USDT transfer(to, 1 USDT + i) instead
// (distinct amounts: no two transactions share a txid). Nothing is mined
// while they are broadcast, so the follower has nothing to read yet; then one
// block takes them all (the devnet packs every pending transaction into the
// next block; mainnet's hold a few hundred, but crediting costs per transfer,
// not per block) and one more block solidifies it. The clock starts when that
// last block is made and stops when chain_deposits holds N rows credited = 1.
// The devnet's request counts give the follower's block reads and the
// receipt lookups (one per USDT transfer) made meanwhile. That time is split
// at the follower's first block read after the last block (seen by polling the
// devnet's counters every 10 ms): before it, the follower was waiting for its
// next poll (with no transaction of ours in flight it reads the chain only every
// 20 polls: 2 s here, a minute on mainnet); after it, the read, the receipts
// and the crediting transaction. Joule's request budget is its own default
// (TRON_MAX_RPS 10 whenever TRON_FULL_HOST is set, which throttles the receipt
// lookups) unless --max-rps is given (e.g. unlimited).
//
// Baseline, the raw parts of the same work without Joule's logic: the same
// blocks read with the gateway's solidBlocks (100 a request, as the follower
// reads them), the same receipts read one after another with the gateway's
// transferEvents (as the watch reads them), and N inserts of (txid, event
// index, address, currency, amount) into one table with a unique key on
// (txid, event index), in one SQLite transaction with better-sqlite3 and
// Joule's pragmas (WAL, synchronous NORMAL). No owner lookup, no balance, no
// ledger entry. Ratios: Joule's deposits per second, from the last block and
// from the follower's read, divided by the baseline's.
//
//   npm run bench -- deposits
//   node --import tsx bench/deposits.bench.ts [--n 10000] [--usdt-share 0.1] [--concurrency 16]
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { TronWeb } from 'tronweb';
import { BLOCKS_PER_REQUEST, type ChainBlock } from '../src/chain/gateway.js';
import { TronWebGateway } from '../src/chain/tronweb-gateway.js';
import { findCursor } from '../src/db/chain-cursor.js';
import { startDevnet, type Devnet } from '../src/devnet/index.js';
import { USDT_CONTRACT } from '../src/domain/usdt.js';
import { createLogger } from '../src/observability/logger.js';
import { TEST_XPUB } from '../test/support/deposit-keys.js';
import { benchJoule } from './lib/bench-joule.js';
import { isMain, printTable } from './lib/harness.js';

const FOLLOWER_PATH = '/walletsolidity/getblockbylimitnext';
const RECEIPT_PATHS = ['/walletsolidity/gettransactioninfobyid', '/wallet/gettransactioninfobyid'];
const TOP_UP_SUN = 1_000_000_000_000n;
const TRANSFERS_PER_USER = 10;
const MAX_USERS = 1000;

interface Calls {
  total: number;
  by_path: Record<string, number>;
}

export interface DepositsResult {
  config: { n: number; users: number; usdt: number; concurrency: number; maxRps: string; node: string };
  broadcast: { ms: number; perSecond: number; refused: number };
  joule: {
    /** Last block made -> every transfer credited. */
    totalMs: number;
    perSecond: number;
    /** Last block made -> the follower's first block read after it. */
    waitMs: number;
    /** That read -> every transfer credited. */
    workMs: number;
    workPerSecond: number;
    blockReads: number;
    receiptReads: number;
  };
  baseline: { readMs: number; receiptsMs: number; insertMs: number; totalMs: number; perSecond: number };
  ratio: { total: number; work: number };
}

async function calls(devnet: Devnet): Promise<Calls> {
  return (await (await fetch(`${devnet.url}/devnet/calls`)).json()) as Calls;
}

const receiptCount = (c: Calls) => RECEIPT_PATHS.reduce((sum, p) => sum + (c.by_path[p] ?? 0), 0);

async function devnetPost(devnet: Devnet, path: string, body: object): Promise<unknown> {
  const res = await fetch(`${devnet.url}/devnet${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Runs `count` jobs with `concurrency` loops. */
async function pool(count: number, concurrency: number, job: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await job(next++);
    }),
  );
}

const perSecond = (n: number, ms: number) => Math.round((n / ms) * 10_000) / 10;

export async function run(argv: string[] = []): Promise<DepositsResult> {
  const { values } = parseArgs({
    args: argv,
    options: {
      n: { type: 'string', default: '10000' },
      'usdt-share': { type: 'string', default: '0.1' },
      concurrency: { type: 'string', default: '16' },
      'max-rps': { type: 'string' },
    },
    allowPositionals: true,
  });
  const n = Number(values.n);
  const usdtShare = Number(values['usdt-share']);
  const concurrency = Number(values.concurrency);
  const maxRps = values['max-rps'];
  const users = Math.max(1, Math.min(MAX_USERS, Math.ceil(n / TRANSFERS_PER_USER)));
  const usdtEvery = usdtShare > 0 ? Math.max(1, Math.round(1 / usdtShare)) : 0;
  const isUsdt = (i: number) => usdtEvery > 0 && i % usdtEvery === usdtEvery - 1;
  const usdt = Array.from({ length: n }, (_, i) => i).filter(isUsdt).length;
  console.log(
    `deposits: ${n} transfers (${usdt} USDT) to ${users} users' deposit addresses, ${concurrency} broadcast loops; Joule's TRON_MAX_RPS ${maxRps ?? 'default (10 for a TRON_FULL_HOST)'}; devnet blocks on request, solidity lag 1; node ${process.version}; load average at start ${loadavg().map((l) => l.toFixed(2)).join(' ')}`,
  );

  const devnet = await startDevnet({ blockIntervalMs: 0, solidifyLag: 1 });
  const dir = mkdtempSync(join(tmpdir(), 'joule-bench-deposits-'));
  const s = await benchJoule(
    {
      JOULE_ROLE: 'all',
      TRON_FULL_HOST: devnet.url,
      POOL_PRIVATE_KEYS: devnet.accounts.pools.map((p) => p.privateKey).join(','),
      DEPOSIT_XPUB: TEST_XPUB,
      CONFIRM_POLL_MS: '100',
      ...(maxRps === undefined ? {} : { TRON_MAX_RPS: maxRps }),
    },
    { log: createLogger('silent') },
  );
  try {
    const customers = devnet.accounts.customers;
    for (const c of customers) await devnetPost(devnet, '/accounts/set-balance', { address: c.address, balance_sun: TOP_UP_SUN.toString() });

    const addresses: string[] = [];
    for (let u = 1; u <= users; u++) {
      const res = await s.inject({ method: 'GET', url: `/api/users/${u}/deposit-address` });
      if (res.statusCode !== 200) throw new Error(`deposit address of user ${u}: ${res.statusCode} ${res.body}`);
      addresses.push(res.json<{ address: string }>().address);
    }
    // The follower must have placed its cursor before any of our blocks exists.
    for (let waited = 0; (await findCursor(s.db)) === undefined; waited += 20) {
      if (waited > 10_000) throw new Error('the block follower placed no cursor in 10 s');
      await sleep(20);
    }
    const cursorBlock = (await findCursor(s.db))!.block_number;

    // Broadcast every transfer; nothing is mined meanwhile.
    const wallets = customers.map((c) => new TronWeb({ fullHost: devnet.url, privateKey: c.privateKey }));
    let refused = 0;
    const broadcastStart = performance.now();
    await pool(n, concurrency, async (i) => {
      const c = i % customers.length;
      const tw = wallets[c]!;
      const from = customers[c]!.address;
      const to = addresses[i % users]!;
      const amount = 1_000_000 + i;
      const tx = isUsdt(i)
        ? (
            await tw.transactionBuilder.triggerSmartContract(
              USDT_CONTRACT,
              'transfer(address,uint256)',
              { feeLimit: 100_000_000 },
              [
                { type: 'address', value: to },
                { type: 'uint256', value: amount },
              ],
              from,
            )
          ).transaction
        : await tw.transactionBuilder.sendTrx(to, amount, from);
      const signed = await tw.trx.sign(tx);
      const r = (await tw.trx.sendRawTransaction(signed)) as { result?: boolean };
      if (r.result !== true) refused++;
    });
    const broadcastMs = performance.now() - broadcastStart;
    if (refused > 0) throw new Error(`${refused} of ${n} transfers refused by the devnet`);

    // One block takes them all, one more solidifies it.
    const before = await calls(devnet);
    const firstBlock = BigInt(devnet.headNumber() + 1);
    await devnet.mine(1);
    const status = (await (await fetch(`${devnet.url}/devnet/status`)).json()) as { pending: number };
    if (status.pending !== 0) throw new Error(`${status.pending} transfers still pending after a block`);
    await devnet.mine(1);
    const lastMined = performance.now();
    const lastBlock = BigInt(devnet.headNumber() - 1); // the last solidified block

    let readAt: number | undefined;
    const readsBefore = before.by_path[FOLLOWER_PATH] ?? 0;
    let creditedAt: number | undefined;
    const deadline = Date.now() + 300_000;
    while (creditedAt === undefined) {
      if (readAt === undefined && ((await calls(devnet)).by_path[FOLLOWER_PATH] ?? 0) > readsBefore) readAt = performance.now();
      const row = await s.db.kysely
        .selectFrom('chain_deposits')
        .select((eb) => eb.fn.countAll<bigint>().as('n'))
        .where('credited', '=', 1n)
        .executeTakeFirstOrThrow();
      if (Number(row.n) >= n) creditedAt = performance.now();
      else if (Date.now() > deadline) throw new Error(`only ${row.n} of ${n} deposits credited after 300 s`);
      else await sleep(10);
    }
    const after = await calls(devnet);
    readAt ??= creditedAt;
    const blockReads = (after.by_path[FOLLOWER_PATH] ?? 0) - readsBefore;
    const receiptReads = receiptCount(after) - receiptCount(before);

    // What was credited is what was sent.
    const rows = await s.db.kysely.selectFrom('chain_deposits').select(['currency', 'amount', 'credited']).execute();
    if (rows.length !== n) throw new Error(`${rows.length} chain_deposits rows for ${n} transfers`);

    // Baseline: the same blocks, the same receipts, the same number of inserts.
    const gateway = new TronWebGateway(devnet.url, { timeoutMs: 60_000 });
    const baseStart = performance.now();
    const blocks: ChainBlock[] = [];
    for (let from = cursorBlock + 1n; from <= lastBlock; ) {
      const got = await gateway.solidBlocks(from, BLOCKS_PER_REQUEST);
      if (got.length === 0) break;
      blocks.push(...got);
      from = got.at(-1)!.number + 1n;
    }
    const readDone = performance.now();
    const transfers = blocks.flatMap((b) => b.transactions).filter((t) => t.result === 'SUCCESS' && t.payment !== undefined);
    if (transfers.length < n || blocks.at(-1)?.number !== lastBlock || blocks[0]!.number > firstBlock) {
      throw new Error(`baseline read ${transfers.length} transfers in blocks up to ${blocks.at(-1)?.number} (want ${n}, up to ${lastBlock})`);
    }
    const found: Array<{ txid: string; index: number; to: string; currency: string; amount: bigint }> = [];
    for (const t of transfers) {
      const p = t.payment!;
      if (p.kind === 'TRX') found.push({ txid: t.txid, index: 0, to: p.to, currency: 'TRX', amount: p.amount });
      else for (const e of await gateway.transferEvents(t.txid)) found.push({ txid: t.txid, index: e.index, to: e.to, currency: 'USDT', amount: e.amount });
    }
    const receiptsDone = performance.now();
    const raw = new Database(join(dir, 'baseline.db'));
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = NORMAL');
    raw.exec(
      'CREATE TABLE deposits (id INTEGER PRIMARY KEY, txid TEXT NOT NULL, event_index INTEGER NOT NULL, address TEXT NOT NULL, currency TEXT NOT NULL, amount INTEGER NOT NULL, UNIQUE (txid, event_index))',
    );
    raw.defaultSafeIntegers(true);
    const insert = raw.prepare('INSERT INTO deposits (txid, event_index, address, currency, amount) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING');
    raw.transaction(() => {
      for (const f of found) insert.run(f.txid, f.index, f.to, f.currency, f.amount);
    })();
    const baseEnd = performance.now();
    raw.close();
    if (found.length !== n) throw new Error(`baseline found ${found.length} deposits for ${n} transfers`);

    const totalMs = creditedAt - lastMined;
    const workMs = creditedAt - readAt;
    const baseTotal = baseEnd - baseStart;
    const result: DepositsResult = {
      config: { n, users, usdt, concurrency, maxRps: maxRps ?? 'default (10)', node: process.version },
      broadcast: { ms: Math.round(broadcastMs), perSecond: perSecond(n, broadcastMs), refused },
      joule: {
        totalMs: Math.round(totalMs),
        perSecond: perSecond(n, totalMs),
        waitMs: Math.round(readAt - lastMined),
        workMs: Math.round(workMs),
        workPerSecond: perSecond(n, workMs),
        blockReads,
        receiptReads,
      },
      baseline: {
        readMs: Math.round(readDone - baseStart),
        receiptsMs: Math.round(receiptsDone - readDone),
        insertMs: Math.round(baseEnd - receiptsDone),
        totalMs: Math.round(baseTotal),
        perSecond: perSecond(n, baseTotal),
      },
      ratio: { total: 0, work: 0 },
    };
    result.ratio = {
      total: Math.round((result.joule.perSecond / result.baseline.perSecond) * 100) / 100,
      work: Math.round((result.joule.workPerSecond / result.baseline.perSecond) * 100) / 100,
    };
    const j = result.joule;
    const b = result.baseline;
    printTable(
      `Deposits: ${n} transfers (${usdt} USDT) to ${users} addresses, in one block, solidified by the next`,
      ['run', 'what', 'ms', 'deposits/s', 'block reads', 'receipt reads'],
      [
        ['setup', `broadcast (${concurrency} loops, not mined)`, result.broadcast.ms, result.broadcast.perSecond, '', ''],
        ['joule', 'last block -> follower reads it (poll wait)', j.waitMs, '', '', ''],
        ['joule', 'follower reads -> all credited', j.workMs, j.workPerSecond, '', ''],
        ['joule', 'last block -> all credited', j.totalMs, j.perSecond, j.blockReads, j.receiptReads],
        ['baseline', 'read the blocks (solidBlocks)', b.readMs, '', Math.ceil(blocks.length / BLOCKS_PER_REQUEST), ''],
        ['baseline', 'USDT receipts, one after another', b.receiptsMs, '', '', usdt],
        ['baseline', `${n} inserts, one SQLite transaction`, b.insertMs, '', '', ''],
        ['baseline', 'total', b.totalMs, b.perSecond, '', ''],
      ],
    );
    console.log(`ratio Joule / baseline deposits/s: from the last block ${result.ratio.total}; from the follower's read ${result.ratio.work}`);
    return result;
  } finally {
    await s.close();
    await devnet.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) await run(process.argv.slice(2));
