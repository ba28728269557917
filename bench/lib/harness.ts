import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { BENCH_ADMIN_TOKEN } from './admin-token.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Server {
  url: string;
  /** The server's process id (for cpuMs). */
  pid: number;
  stop(): Promise<void>;
}

/**
 * Starts a server script (bench/servers/*.ts) in its own process, so the load
 * generator here and the server do not share an event loop. The script prints
 * {"port":N} as its first stdout line. `root` runs the script of another
 * checkout of Joule (an older commit, for a before/after in the same run).
 */
export async function startServer(script: string, env: Record<string, string> = {}, root = ROOT): Promise<Server> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: root,
    env: { ...process.env, ADMIN_TOKEN: BENCH_ADMIN_TOKEN, ...env },
    stdio: ['ignore', 'pipe', env.BENCH_SERVER_LOGS === 'inherit' ? 'inherit' : 'ignore'],
  });
  const lines = createInterface({ input: child.stdout! });
  const [first] = (await Promise.race([
    once(lines, 'line'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`${script} exited with ${code} before listening`);
    }),
  ])) as [string];
  const { port } = JSON.parse(first) as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid ?? -1,
    async stop() {
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}

/**
 * CPU time (user + system) a process has used so far, in ms, from
 * /proc/<pid>/stat (Linux; NaN elsewhere). On a shared machine the CPU a
 * server spends per request moves much less with other load than its
 * throughput does.
 */
export function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks (USER_HZ, 100 on Linux)
  } catch {
    return NaN;
  }
}

/**
 * A process's read and write system calls so far (every thread's), and the
 * bytes its writes handed the kernel: /proc/<pid>/io's syscr, syscw and wchar
 * (Linux; undefined elsewhere). A request's share of these is the same on a
 * fast machine and a slow one, which its CPU time is not: where a system
 * call costs more (a busier host, a slower disk), the server that makes
 * fewer of them an order pulls ahead.
 */
export interface IoCounts {
  reads: number;
  writes: number;
  bytesWritten: number;
}

export function ioCounts(pid: number): IoCounts | undefined {
  try {
    const fields = new Map(
      readFileSync(`/proc/${pid}/io`, 'utf8')
        .trim()
        .split('\n')
        .map((line) => line.split(': ') as [string, string]),
    );
    return { reads: Number(fields.get('syscr')), writes: Number(fields.get('syscw')), bytesWritten: Number(fields.get('wchar')) };
  } catch {
    return undefined;
  }
}

/** A side's read and write calls an order and its bytes written an order (Figures' io), as two table cells. */
export function ioColumns(io: IoCounts | undefined): string[] {
  return io === undefined ? ['-', '-'] : [`${io.reads.toFixed(2)}, ${io.writes.toFixed(2)}`, io.bytesWritten.toFixed(0)];
}

/**
 * This process's main thread, the one its event loop runs on: how long it
 * has run on a core so far, and how long it was runnable but waited for
 * one, in ms (/proc/self/task/<pid>/schedstat, Linux with schedstats; NaN
 * elsewhere). Everything an event loop serves queues behind it, so time it
 * waits while another process has its core is lost to all of them, though
 * it is not CPU time of its own.
 */
export function mainThreadMs(): { ran: number; waited: number } {
  try {
    const [ran, waited] = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').trim().split(' ').map(Number);
    return { ran: ran! / 1e6, waited: waited! / 1e6 };
  } catch {
    return { ran: NaN, waited: NaN };
  }
}

/**
 * CPU time (ms) of a server that forks a process per connection, such as
 * PostgreSQL: the parent's own, what its children that have exited used
 * (cutime, cstime: the parent has waited for them), and what its live children
 * have used. Read before and after a load, the difference holds every backend
 * that ran in between, whether or not it is still there.
 */
export function processTreeCpuMs(pid: number): number {
  const ticks = (fields: string[], ...at: number[]) => at.reduce((sum, i) => sum + Number(fields[i]), 0);
  const statOf = (p: number | string) => readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ');
  try {
    let total = ticks(statOf(pid), 11, 12, 13, 14);
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const fields = statOf(entry);
        if (Number(fields[1]) === pid) total += ticks(fields, 11, 12);
      } catch {
        // It exited while we looked: its time is in the parent's cutime now, or will be.
      }
    }
    return (total * 1000) / 100; // clock ticks (USER_HZ, 100 on Linux)
  } catch {
    return NaN;
  }
}

export interface LoadResult {
  rps: number;
  /** 2xx answers in the measured run (not the warm-up). */
  ok?: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

/** POSTs JSON bodies from `body(i)` with autocannon for `seconds`, after a short warm-up. */
export async function load(
  url: string,
  path: string,
  body: (i: number) => object,
  opts: {
    connections?: number;
    seconds?: number;
    warmupSeconds?: number;
    headers?: Record<string, string>;
    /** Called after the warm-up, right before the measured run. */
    onMeasureStart?: () => void;
  } = {},
): Promise<LoadResult> {
  let i = 0;
  const request = {
    method: 'POST' as const,
    path,
    headers: { 'content-type': 'application/json', ...opts.headers },
    setupRequest: (req: any) => ({ ...req, body: JSON.stringify(body(i++)) }),
  };
  const run = (duration: number) =>
    autocannon({ url, connections: opts.connections ?? 50, duration, requests: [request] });
  if ((opts.warmupSeconds ?? 1) > 0) await run(opts.warmupSeconds ?? 1);
  opts.onMeasureStart?.();
  const r = await run(opts.seconds ?? 5);
  return {
    rps: r.requests.average,
    ok: r['2xx'],
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
  };
}

/** GETs `path` with autocannon for `seconds`, after a short warm-up. */
export async function loadGet(
  url: string,
  path: string,
  headers: Record<string, string> = {},
  opts: {
    connections?: number;
    seconds?: number;
    warmupSeconds?: number;
    /** Called after the warm-up, right before the measured run. */
    onMeasureStart?: () => void;
  } = {},
): Promise<LoadResult> {
  const run = (duration: number) => autocannon({ url, connections: opts.connections ?? 10, duration, requests: [{ method: 'GET', path, headers }] });
  if ((opts.warmupSeconds ?? 1) > 0) await run(opts.warmupSeconds ?? 1);
  opts.onMeasureStart?.();
  const r = await run(opts.seconds ?? 5);
  return { rps: r.requests.average, ok: r['2xx'], p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors + r.timeouts };
}

export function printTable(title: string, header: string[], rows: Array<Array<string | number>>): void {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, c) => Math.max(...cells.map((r) => r[c]!.length)));
  console.log(`\n${title}`);
  for (const [n, r] of cells.entries()) {
    console.log(r.map((v, c) => (c === 0 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join('  '));
    if (n === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

export const isMain = (metaUrl: string) => process.argv[1] !== undefined && fileURLToPath(metaUrl) === process.argv[1];
