import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the old generation grow past what its last full collection
 * left alive before it collects again, in percent: 50 is 1.5 times.
 *
 * Left to itself V8 picks the factor from how fast it collects against how
 * fast the program allocates, up to 4 times on any machine whose heap limit
 * is 2 GB or more (Node's default from 8 GB of memory). Joule's processes hold
 * 40–60 MB of live objects under load, and every order they place is garbage
 * soon after: at 4 times, an `all` process placing 6,800 orders a second was
 * still rising at 230 MB of RSS after a minute and peaked at 264 MB before
 * its first full collection took it back to 185. At 1.5 times it collects
 * sooner and stays at 190–200 MB throughout, for the same orders a second
 * (docs/BENCHMARKS.md, "Memory under load").
 *
 * It is not a cap: when live objects need more room the heap still grows, up
 * to Node's own limit; only the garbage kept between collections is bounded.
 */
export const HEAP_GROWING_PERCENT = 50;

/**
 * The factor this process should set, or undefined when its operator chose
 * one on node's command line (`node --heap-growing-percent=N`, where 0 is
 * V8's own choice): theirs stands.
 */
export function heapGrowingPercent(execArgv: readonly string[]): number | undefined {
  const chosen = execArgv.some((arg) => /^--heap[-_]growing[-_]percent(=|$)/.test(arg));
  return chosen ? undefined : HEAP_GROWING_PERCENT;
}

/**
 * Sets the factor for the whole process, its worker threads included (V8's
 * flags are per process). V8 reads it each time it sets the next
 * collection's limit, so setting it after start-up takes effect from the
 * next collection on. Returns the factor set, or undefined if the
 * operator's stands.
 */
export function applyHeapGrowth(execArgv: readonly string[] = process.execArgv): number | undefined {
  const percent = heapGrowingPercent(execArgv);
  if (percent !== undefined) setFlagsFromString(`--heap-growing-percent=${percent}`);
  return percent;
}
