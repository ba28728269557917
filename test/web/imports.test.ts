import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const WEB_SRC = fileURLToPath(new URL('../../web/src/', import.meta.url));

/** Each module of web/src and the modules of web/src it imports (relative imports only; a .js specifier names a .ts or .tsx file). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of readdirSync(WEB_SRC, { recursive: true, encoding: 'utf8' }).filter((f) => /\.tsx?$/.test(f))) {
    const text = readFileSync(join(WEB_SRC, file), 'utf8');
    const targets: string[] = [];
    for (const [, spec] of text.matchAll(/(?:from|import)\s+'(\.{1,2}\/[^']+)'/g)) {
      const base = join(dirname(join(WEB_SRC, file)), spec!).replace(/\.js$/, '');
      const found = ['.ts', '.tsx'].map((ext) => base + ext).find((p) => existsSync(p));
      if (found && !relative(WEB_SRC, found).startsWith('..')) targets.push(relative(WEB_SRC, found));
    }
    graph.set(file, targets);
  }
  return graph;
}

test('the dashboard’s modules import one another without a cycle', () => {
  const graph = importGraph();
  assert.ok((graph.get('app.tsx') ?? []).includes('views/login.tsx'), 'the graph is read (app.tsx imports the sign-in page)');
  const cycles: string[] = [];
  const done = new Set<string>();
  const visit = (file: string, path: string[]) => {
    if (path.includes(file)) return void cycles.push([...path.slice(path.indexOf(file)), file].join(' -> '));
    if (done.has(file)) return;
    for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
    done.add(file);
  };
  for (const file of graph.keys()) visit(file, []);
  assert.deepEqual(cycles, []);
});
