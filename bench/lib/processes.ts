// Servers as users run them, for benchmarks that compare like with like:
// Joule as `node dist/main.js <role>` (the build `npm start` runs, default
// settings unless given), and plain-node scripts (the baselines). Each gets
// a free port and has its stdout and stderr sent to the same place, a file
// per server in the run's folder, so neither pays for logging the other
// does not. Ready when GET /health (Joule) or the port (a baseline) answers.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { BENCH_ADMIN_TOKEN } from './admin-token.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface BenchProcess {
  url: string;
  /** The folder holding its database and its log. */
  dir: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function whenAnswering(url: string, child: ChildProcess, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode} before answering`);
    try {
      await fetch(url, { signal: AbortSignal.timeout(1000) });
      return;
    } catch {
      await sleep(50);
    }
  }
  throw new Error(`${what} did not answer within 60 s`);
}

function startProcess(args: string[], env: Record<string, string>, what: string, cwd = ROOT): { child: ChildProcess; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'joule-bench-proc-'));
  const log = openSync(join(dir, 'out.log'), 'a');
  const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', log, log] });
  child.on('error', (err) => console.error(`${what}: ${err.message}`));
  return { child, dir };
}

function stopper(child: ChildProcess, dir: string): () => Promise<void> {
  return async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    rmSync(dir, { recursive: true, force: true });
  };
}

/** Checkouts whose build was found current in this run. */
const currentBuilds = new Set<string>();

/**
 * A benchmark of the real process measures `dist`: a build older than the
 * source would measure other code than the checkout's, with nothing to
 * show it. So it is refused, naming the first newer source file.
 */
function assertBuildCurrent(root: string): void {
  if (currentBuilds.has(root)) return;
  const built = join(root, 'dist', 'main.js');
  if (!existsSync(built)) throw new Error(`${built} is missing: run npm run build in ${root}`);
  const builtAt = statSync(built).mtimeMs;
  const src = join(root, 'src');
  const newer = readdirSync(src, { recursive: true })
    .map(String)
    .find((file) => statSync(join(src, file)).mtimeMs > builtAt);
  if (newer !== undefined) throw new Error(`${built} is older than src/${newer}: run npm run build in ${root}`);
  currentBuilds.add(root);
}

/**
 * `node dist/main.js <role>` on a fresh SQLite file (unless DATABASE_URL is
 * given), with the benchmarks' admin token; `nodeArgs` go to node itself
 * (--cpu-prof). `npm run build` must have run since the source last
 * changed (assertBuildCurrent). `root`: another checkout of Joule to run
 * instead (BENCH_BEFORE), built, with its node_modules.
 */
export async function startJouleProcess(
  role: string,
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
  root = ROOT,
): Promise<BenchProcess & { databaseUrl: string }> {
  assertBuildCurrent(root);
  const port = await freePort();
  const dirEnv = mkdtempSync(join(tmpdir(), 'joule-bench-db-'));
  const databaseUrl = env.DATABASE_URL ?? `sqlite:${join(dirEnv, 'joule.db')}`;
  const { child, dir } = startProcess(
    [...nodeArgs, 'dist/main.js', role],
    { ADMIN_TOKEN: BENCH_ADMIN_TOKEN, PORT: String(port), DATA_DIR: dirEnv, DATABASE_URL: databaseUrl, ...env },
    `joule ${role}`,
    root,
  );
  const url = `http://127.0.0.1:${port}`;
  await whenAnswering(`${url}/health`, child, `joule ${role}`);
  const stop = stopper(child, dir);
  return {
    url,
    dir,
    child,
    databaseUrl,
    async stop() {
      await stop();
      rmSync(dirEnv, { recursive: true, force: true });
    },
  };
}

/** A plain-JavaScript server script run by plain `node`, listening on PORT. */
export async function startNodeScript(script: string, env: Record<string, string> = {}): Promise<BenchProcess> {
  const port = await freePort();
  const { child, dir } = startProcess([script], { PORT: String(port), ...env }, script);
  const url = `http://127.0.0.1:${port}`;
  await whenAnswering(url, child, script);
  return { url, dir, child, stop: stopper(child, dir) };
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** One line saying how busy the machine was when the run began: shared machines are noisy. */
export function machineLine(): string {
  const [one, five] = loadavg();
  return `machine: ${cpus().length} cores, load average ${one!.toFixed(2)} (1 min) ${five!.toFixed(2)} (5 min), node ${process.version}`;
}

/** A process's resident memory, from /proc (Linux). */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

/** What a Joule process's GET /api/status says, as far as the benchmarks read it. */
export interface JouleStatus {
  orders: { by_status: Record<string, number> };
  process: { heap_used_bytes: number };
}

/** GET /api/status of a Joule process; undefined when the answer does not come within 2 s (the process is busy). */
export async function jouleStatus(url: string): Promise<JouleStatus | undefined> {
  try {
    const res = await fetch(`${url}/api/status`, { headers: { authorization: `Bearer ${BENCH_ADMIN_TOKEN}` }, signal: AbortSignal.timeout(2000) });
    return (await res.json()) as JouleStatus;
  } catch {
    return undefined;
  }
}

/** The JS heap in use, as the status reports it; NaN without one. */
export const heapMbOf = (status: JouleStatus | undefined): number => (status === undefined ? NaN : status.process.heap_used_bytes / 1024 / 1024);

/** The JS heap in use, as a Joule process reports it; NaN when the answer does not come. */
export async function heapMb(url: string): Promise<number> {
  return heapMbOf(await jouleStatus(url));
}

/** Users 1..count, each with 1,000,000 TRX, written straight into a running SQLite process's database. */
export function fundUsers(databaseUrl: string, count: number): void {
  const db = new Database(databaseUrl.slice('sqlite:'.length));
  try {
    db.pragma('busy_timeout = 10000');
    db.exec(`with recursive ids(id) as (select 1 union all select id + 1 from ids where id < ${count})
      insert into users (id, balance_sun, created_at, updated_at) select id, 1000000000000, 0, 0 from ids`);
  } finally {
    db.close();
  }
}
