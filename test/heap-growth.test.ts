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

// A process of its own (node --expose-gc) applies the setting, then has V8
// collect in full and say which factor it set the next collection's limit
// with. V8 prints it with --trace-gc-verbose: "[HeapController] factor 1.5
// based on …" (Node 24), or at the end of "[HeapController] Limit: … (1.5)"
// (Node 20, whose V8 applies the flag after its "factor" line has named its
// own choice). Tracing starts after the setting, so start-up's own
// collections say nothing.
const COLLECT = `
import { setFlagsFromString } from 'node:v8';
import { applyHeapGrowth } from ${JSON.stringify(fileURLToPath(new URL('../src/heap-growth.ts', import.meta.url)))};
const set = applyHeapGrowth();
setFlagsFromString('--trace-gc-verbose');
globalThis.gc();
process.stderr.write('\\nset: ' + (set ?? 'none') + '\\n');
`;

async function factorAfterCollecting(nodeFlags: string[]): Promise<{ set: number | null; factors: number[] }> {
  const child = spawn(process.execPath, [...nodeFlags, '--expose-gc', '--import', 'tsx', '--input-type=module', '-e', COLLECT], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const [code] = await once(child, 'exit');
  assert.equal(code, 0, err);
  const said = (line: RegExp) => [...out.matchAll(line)].map((m) => Number(m[1]));
  // Node 20 names V8's own choice in its "factor" line and the one it used in its "Limit" line; Node 24 has no factor in the latter.
  const limits = said(/\[HeapController\] Limit: .*\(([\d.]+)\)/g);
  const set = /^set: (\d+|none)$/m.exec(err)?.[1];
  return { set: set === undefined || set === 'none' ? null : Number(set), factors: limits.length > 0 ? limits : said(/\[HeapController\] factor ([\d.]+) based/g) };
}

test('set at run time, the factor is the one V8 collects with on this node; an operator\'s own stands', async () => {
  const [ours, operators] = await Promise.all([factorAfterCollecting([]), factorAfterCollecting(['--heap-growing-percent=900'])]);
  assert.equal(ours.set, 50);
  assert.ok(ours.factors.length > 0, 'V8 said which factor it collected with');
  assert.deepEqual(new Set(ours.factors), new Set([1.5]));
  assert.equal(operators.set, null);
  assert.ok(operators.factors.length > 0);
  assert.deepEqual(new Set(operators.factors), new Set([10]));
});
