// Chain budget: how many requests Joule sends to the node per rental and per
// idle day, on the devnet playing TronGrid (DEVNET_PROFILE=trongrid: 3 s
// blocks, solidified 19 behind, 15 requests per chain-second and 100,000 per
// chain-day per key, 403 past them), with 2 pools. The goal (issue "Chain
// efficiency"): idle requests per day + 10,000 x requests per rental
// (delegate + reclaim) <= 100,000, and no rate-limit answer at the
// configured TRON_MAX_RPS.
//
// Time runs 30x (a block every 100 ms of wall time): every setting of Joule
// that is a time is divided by 30 too (CONFIRM_POLL_MS, POOL_REFRESH_MS,
// TRON_MAX_RPS multiplied), and the devnet's limits are in chain time, so one
// wall second here is 30 s of mainnet. Rentals are placed at 10,000 a day of
// chain time (one every 8.64 s, 288 ms of wall time) and last --duration of
// wall time.
//
// Baseline ("before"): the code of the commit before the block follower
// (BASELINE_COMMIT), checked out beside this one with git and run the same
// way in the same run, against its own fresh devnet with the same settings.
// Its settings are scaled alike (CONFIRM_POLL_MS bottoms out at 50 ms, 1.5 s
// of chain time: fewer polls than its real default of 1 s, in its favour).
//
// Each side runs in its own process (bench/servers/rental-load.ts): start,
// read the pools, then an idle window (--idle-s wall seconds) whose requests
// give the idle rate per chain-day, then the rentals; requests per rental are
// what the load window cost above the idle rate, by endpoint. The block
// follower's reads are counted apart, as a cost per day: one per poll while
// any transaction is in flight, which at 10,000 rentals a day is always.
//
//   npm run bench -- chain-budget [--n 200] [--idle-s 20] [--duration 5s]
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDevnet, type Devnet } from '../src/devnet/index.js';
import { isMain, printTable } from './lib/harness.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The last commit that confirmed each transaction by polling it. */
export const BASELINE_COMMIT = '9ba04be';
/** Blocks every 100 ms: chain time runs 30x the wall clock. */
const SPEED = 30;
const BLOCK_WALL_MS = 3000 / SPEED;
const CHAIN_DAY_S = 86_400;
const RENTALS_PER_DAY = 10_000;
const QUOTA = 100_000;
const FOLLOWER_PATH = '/walletsolidity/getblockbylimitnext';

interface Calls {
  total: number;
  by_path: Record<string, number>;
  rate_limited?: number;
}

export interface SideResult {
  name: string;
  /** Requests per chain-day with nothing to do, but for the block follower's. */
  idlePerDay: number;
  /** The follower's block reads per chain-day while transactions are in flight (one per poll): a cost of time, not of rentals. */
  followerBusyPerDay: number;
  perRental: number;
  byEndpoint: Record<string, number>;
  rateLimited: number;
  completed: number;
  failed: number;
  /** idle per day + 10,000 x per rental. */
  dayAt10k: number;
}

async function calls(devnet: Devnet): Promise<Calls> {
  const res = await fetch(`${devnet.url}/devnet/calls`);
  return (await res.json()) as Calls;
}

function minus(a: Calls, b: Calls): Calls {
  const by_path: Record<string, number> = {};
  for (const [path, n] of Object.entries(a.by_path)) by_path[path] = n - (b.by_path[path] ?? 0);
  return { total: a.total - b.total, by_path, rate_limited: (a.rate_limited ?? 0) - (b.rate_limited ?? 0) };
}

/** A checkout of BASELINE_COMMIT beside this one (node_modules shared), or undefined when git cannot make one. */
function baselineTree(): { dir: string; remove(): void } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'joule-baseline-'));
  try {
    execFileSync('git', ['-C', ROOT, 'worktree', 'add', '--detach', dir, BASELINE_COMMIT], { stdio: 'ignore' });
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return {
    dir,
    remove() {
      execFileSync('git', ['-C', ROOT, 'worktree', 'remove', '--force', dir], { stdio: 'ignore' });
      if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function runSide(name: string, root: string, env: Record<string, string>, o: { n: number; idleS: number; duration: string }): Promise<SideResult> {
  const devnet = await startDevnet({ profile: 'trongrid', blockIntervalMs: BLOCK_WALL_MS });
  const apiKey = `bench-${name}`;
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(ROOT, 'bench/servers/rental-load.ts'),
      '--root',
      root,
      '--n',
      String(o.n),
      '--pace-ms',
      String(Math.round((CHAIN_DAY_S * 1000) / RENTALS_PER_DAY / SPEED)),
      '--customers',
      devnet.accounts.customers.map((c) => c.address).join(','),
      '--env',
      JSON.stringify({
        TRON_FULL_HOST: devnet.url,
        TRON_API_KEY: apiKey,
        POOL_PRIVATE_KEYS: devnet.accounts.pools.map((p) => p.privateKey).join(','),
        ALLOWED_DURATIONS: `${o.duration},1h`,
        BENCH_DURATION: o.duration,
        MAX_ENERGY: '1000000000',
        ...env,
      }),
    ],
    { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const expect = async <T>(key: string): Promise<T> => {
    for (;;) {
      const { value, done } = await lines.next();
      if (done) throw new Error(`${name}: the load process ended before "${key}"`);
      try {
        const parsed = JSON.parse(value as string) as Record<string, unknown>;
        if (key in parsed) return parsed[key] as T;
      } catch {
        // a log line
      }
    }
  };
  try {
    await expect('ready');
    const idleStart = await calls(devnet);
    await sleep(o.idleS * 1000);
    const idle = minus(await calls(devnet), idleStart);
    const idleChainS = (o.idleS * 1000 * SPEED) / 1000;

    const loadStart = await calls(devnet);
    const started = performance.now();
    child.stdin!.write('load\n');
    const done = await expect<{ completed: number; failed: number; wallMs: number }>('done');
    const load = minus(await calls(devnet), loadStart);
    const loadChainS = ((performance.now() - started) * SPEED) / 1000;
    child.stdin!.write('stop\n');

    // The follower reads blocks once a poll while anything is in flight, whatever the number of
    // rentals: at 10,000 a day something always is, so its busy rate is a cost per day.
    const followerReads = load.by_path[FOLLOWER_PATH] ?? 0;
    const followerBusyPerDay = (followerReads / loadChainS) * CHAIN_DAY_S;
    const idleOther = idle.total - (idle.by_path[FOLLOWER_PATH] ?? 0);
    // What the window cost above the idle rate, per rental, by endpoint (the follower apart).
    const idleShare = (path: string) => ((idle.by_path[path] ?? 0) / idleChainS) * loadChainS;
    const byEndpoint: Record<string, number> = {};
    for (const [path, count] of Object.entries(load.by_path)) {
      if (path === FOLLOWER_PATH) continue;
      const per = (count - idleShare(path)) / o.n;
      if (Math.abs(per) >= 0.005) byEndpoint[path] = per;
    }
    const perRental = Math.max(0, (load.total - followerReads - (idleOther / idleChainS) * loadChainS) / o.n);
    const idlePerDay = (idleOther / idleChainS) * CHAIN_DAY_S;
    return {
      name,
      idlePerDay,
      followerBusyPerDay,
      perRental,
      byEndpoint,
      rateLimited: (idle.rate_limited ?? 0) + (load.rate_limited ?? 0),
      completed: done.completed,
      failed: done.failed,
      dayAt10k: idlePerDay + followerBusyPerDay + RENTALS_PER_DAY * perRental,
    };
  } finally {
    child.stdin!.end();
    if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
    await devnet.close();
  }
}

/** Settings that are times, at 30x; the request budget likewise. */
const SCALED_NOW = {
  CONFIRM_POLL_MS: String(BLOCK_WALL_MS),
  POOL_REFRESH_MS: String(300_000 / SPEED),
  TRON_MAX_RPS: String(10 * SPEED),
  SWEEP_INTERVAL_MS: '200',
  LEASE_MS: '5000',
};
const SCALED_BEFORE = {
  CONFIRM_POLL_MS: '50',
  POOL_REFRESH_MS: String(Math.round(10_000 / SPEED)),
  SWEEP_INTERVAL_MS: '200',
  LEASE_MS: '5000',
};

export async function run(argv: string[] = []): Promise<SideResult[]> {
  const { values } = parseArgs({
    args: argv,
    options: { n: { type: 'string', default: '200' }, 'idle-s': { type: 'string', default: '20' }, duration: { type: 'string', default: '5s' } },
    allowPositionals: true,
  });
  const o = { n: Number(values.n), idleS: Number(values['idle-s']), duration: values.duration! };
  console.log(`chain-budget: ${o.n} rentals at ${RENTALS_PER_DAY}/day of chain time, 2 pools, devnet profile trongrid at ${SPEED}x; load average at start ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const results: SideResult[] = [];
  const tree = baselineTree();
  try {
    if (tree) results.push(await runSide('before', tree.dir, SCALED_BEFORE, o));
    else console.log(`(no baseline: git could not check out ${BASELINE_COMMIT} beside this tree)`);
  } finally {
    tree?.remove();
  }
  results.push(await runSide('after', ROOT, SCALED_NOW, o));

  const endpoints = [...new Set(results.flatMap((r) => Object.keys(r.byEndpoint)))].sort();
  printTable(
    'Node requests per rental (delegate + reclaim), by endpoint (the block follower\'s reads are a cost per day, below)',
    ['endpoint', ...results.map((r) => r.name)],
    endpoints.map((e) => [e, ...results.map((r) => (r.byEndpoint[e] ?? 0).toFixed(2))]),
  );
  printTable(
    `Budget at ${RENTALS_PER_DAY} rentals a day (goal: <= ${QUOTA})`,
    ['', ...results.map((r) => r.name)],
    [
      ['requests per rental', ...results.map((r) => r.perRental.toFixed(2))],
      ['idle requests per day (pool reads, idle following)', ...results.map((r) => Math.round(r.idlePerDay))],
      ['block follower per day while busy', ...results.map((r) => Math.round(r.followerBusyPerDay))],
      [`per day + ${RENTALS_PER_DAY} x per rental`, ...results.map((r) => Math.round(r.dayAt10k))],
      ['rentals per 100,000 requests a day', ...results.map((r) => Math.max(0, Math.floor((QUOTA - r.idlePerDay - r.followerBusyPerDay) / Math.max(r.perRental, 1e-9))))],
      ['rate-limit answers', ...results.map((r) => r.rateLimited)],
      ['completed / failed', ...results.map((r) => `${r.completed} / ${r.failed}`)],
    ],
  );
  const before = results.find((r) => r.name === 'before');
  const after = results.find((r) => r.name === 'after')!;
  if (before) console.log(`requests per rental after / before: ${(after.perRental / before.perRental).toFixed(3)}`);
  return results;
}

if (isMain(import.meta.url)) await run(process.argv.slice(2));
