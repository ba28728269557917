// Two servers measured side by side, in alternating slices. Measured one
// after the other, seconds or minutes apart, a ratio of two servers' CPU per
// request moved by ±20–30 % from run to run on this shared machine, with the
// neighbours' load. Both up at once, each loaded in turn for a slice (which
// goes first alternating from pair to pair), the drift falls on both alike,
// and each pair gives a ratio of its own.
import { load, type IoCounts, type LoadResult } from './harness.js';
import { median } from './processes.js';

/**
 * A load's figures, with the CPU its server spent per answered request (µs)
 * and, where the side tells them, its system calls and bytes written per
 * answered request.
 */
export type Figures = LoadResult & { cpuUs: number; io?: IoCounts };

export interface PairedSide {
  /** CPU time (ms) the side's server processes have used so far. */
  cpuMs(): number;
  /** The side's server's read and write system calls so far (ioCounts), if it can tell. */
  io?(): IoCounts | undefined;
}

/**
 * Loads `a` and `b` in turn, `pairs` times, `seconds` in all on each, after a
 * warm-up of a second on each (uncounted). Each side's figures over its
 * slices (requests a second over the time the slices took; p50 and p99:
 * the slices' medians), and each pair's ratios, b ÷ a: of CPU per request,
 * and of requests a second.
 */
export async function paired<S extends PairedSide>(
  a: S,
  b: S,
  pairs: number,
  seconds: number,
  run: (side: S, seconds: number) => Promise<LoadResult>,
): Promise<{ a: Figures; b: Figures; ratios: number[]; rpsRatios: number[] }> {
  for (const side of [a, b]) await run(side, 1);
  await settle();
  const slices = new Map<S, Array<Figures & { ms: number }>>([
    [a, []],
    [b, []],
  ]);
  for (let p = 0; p < pairs; p++) {
    for (const side of p % 2 === 0 ? [a, b] : [b, a]) {
      const cpuFrom = side.cpuMs();
      const ioFrom = side.io?.();
      const started = performance.now();
      const load = await run(side, seconds / pairs);
      // A load runs on to its next whole-second sample: requests a second are over the time it took.
      const ms = performance.now() - started;
      // What a server finishes after its load stops (the last batch's commit, a queued flush) is its slice's.
      await settle();
      const answered = Math.max(1, load.ok ?? 0);
      const ioTo = side.io?.();
      const io =
        ioFrom === undefined || ioTo === undefined
          ? undefined
          : { reads: (ioTo.reads - ioFrom.reads) / answered, writes: (ioTo.writes - ioFrom.writes) / answered, bytesWritten: (ioTo.bytesWritten - ioFrom.bytesWritten) / answered };
      slices.get(side)!.push({ ...load, ms, cpuUs: ((side.cpuMs() - cpuFrom) * 1000) / answered, ...(io === undefined ? {} : { io }) });
    }
  }
  const ratios = slices.get(b)!.map((f, i) => f.cpuUs / slices.get(a)![i]!.cpuUs);
  const rate = (f: Figures & { ms: number }) => (f.ok ?? 0) / f.ms;
  const rpsRatios = slices.get(b)!.map((f, i) => rate(f) / rate(slices.get(a)![i]!));
  const over = (side: S): Figures => {
    const all = slices.get(side)!;
    const sum = (f: (x: Figures & { ms: number }) => number) => all.reduce((total, x) => total + f(x), 0);
    const ok = sum((f) => f.ok ?? 0);
    // Per request over all the slices: each slice's weighted by the requests it answered.
    const perRequest = (f: (x: IoCounts) => number) => sum((x) => (x.io === undefined ? NaN : f(x.io) * (x.ok ?? 0))) / Math.max(1, ok);
    const io = all.every((x) => x.io !== undefined) ? { reads: perRequest((x) => x.reads), writes: perRequest((x) => x.writes), bytesWritten: perRequest((x) => x.bytesWritten) } : undefined;
    return {
      rps: ok / (sum((f) => f.ms) / 1000),
      ok,
      p50: median(all.map((f) => f.p50)),
      p99: median(all.map((f) => f.p99)),
      non2xx: sum((f) => f.non2xx),
      errors: sum((f) => f.errors),
      cpuUs: sum((f) => f.cpuUs * (f.ok ?? 0)) / Math.max(1, ok),
      ...(io === undefined ? {} : { io }),
    };
  };
  return { a: over(a), b: over(b), ratios, rpsRatios };
}

/**
 * A side that posts a new body on every request, numbered on across its
 * slices (a load's own count starts again at each slice), so that every
 * order of a side goes to a different user.
 */
export function postingSide<T extends object>(url: string, path: string, body: (n: number) => T, cpuMs: () => number, io?: () => IoCounts | undefined) {
  let next = 0;
  return { url, path, body: () => body(next++), cpuMs, ...(io === undefined ? {} : { io }) };
}

/** Loads a posting side for a slice, after no warm-up of its own (paired warms up both). */
export function postSlice(side: ReturnType<typeof postingSide>, seconds: number): Promise<LoadResult> {
  return load(side.url, side.path, side.body, { seconds, warmupSeconds: 0 });
}

/** A pause after a slice, for the server to finish what its load left (a quarter of a second). */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 250));
}
