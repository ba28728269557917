import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { HEAP_GROWING_PERCENT, heapGrowingPercent } from '../src/heap-growth.js';

test('the heap grows by HEAP_GROWING_PERCENT unless node was given its own --heap-growing-percent', () => {
  assert.equal(HEAP_GROWING_PERCENT, 50);
  assert.equal(heapGrowingPercent([]), 50);
  assert.equal(heapGrowingPercent(['--enable-source-maps', '--max-old-space-size=192', '--import', 'tsx']), 50);
  for (const own of [['--heap-growing-percent=0'], ['--heap_growing_percent=300'], ['--heap-growing-percent', '20']]) {
    assert.equal(heapGrowingPercent(own), undefined, own.join(' '));
  }
  // Only the flag itself: a longer name that begins the same is not it.
  assert.equal(heapGrowingPercent(['--heap-growing-percentage=10']), 50);
});

// A program whose objects each outlive a few young-generation collections (so
// they reach the old generation) and then die, like a placed order's: a fixed
// live set of about 20 MB and 1.2 GB of garbage. It counts V8's full
// collections after applyHeapGrowth has run, in a process of its own.
const CHURN = `
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { applyHeapGrowth } from ${JSON.stringify(fileURLToPath(new URL('../src/heap-growth.ts', import.meta.url)))};
const set = applyHeapGrowth();
let full = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if (e.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) full++;
}).observe({ entryTypes: ['gc'] });
const ring = new Array(20_000);
let i = 0;
for (let round = 0; round < 300; round++) {
  for (let k = 0; k < 4_000; k++) { const a = new Array(128); a.fill(i); ring[i] = a; i = (i + 1) % ring.length; }
  // The observer is told between turns.
  if (round % 10 === 0) await new Promise((r) => setImmediate(r));
}
await new Promise((r) => setImmediate(r));
console.log(JSON.stringify({ set: set ?? null, full }));
`;

async function churn(nodeFlags: string[]): Promise<{ set: number | null; full: number }> {
  const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', '--input-type=module', '-e', CHURN], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const [code] = await once(child, 'exit');
  assert.equal(code, 0);
  return JSON.parse(out);
}

test('set at run time, the factor takes effect on this node: several times the full collections of an operator\'s 4x, which it leaves alone', async (t) => {
  const [ours, operators] = await Promise.all([churn([]), churn(['--heap-growing-percent=300'])]);
  t.diagnostic(`full collections at 1.5x: ${ours.full}; at 4x: ${operators.full}`);
  assert.equal(ours.set, 50);
  assert.equal(operators.set, null);
  // At 1.5x the old generation is collected each time it holds half the live set again as garbage; at 4x, three
  // times the live set: about three times as many collections for the same garbage.
  assert.ok(ours.full >= 1.5 * operators.full, `full collections at 1.5x: ${ours.full}; at 4x: ${operators.full}`);
});
