// The layers of docs/ARCHITECTURE.md, checked against the imports: every
// arrow drawn there is true of the code, and nothing else crosses a wall.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';

const ROOT = resolve(import.meta.dirname, '..');
const SRC = join(ROOT, 'src');

/**
 * Which rooms of src/ each room may import. A room is a folder of src/, or a
 * top-level file named by its base name. Imports within a room are free.
 */
const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  domain: [],
  config: ['domain'],
  db: ['domain'],
  observability: ['domain', 'config', 'db'],
  'use-cases': ['domain', 'db'],
  chain: ['domain', 'config'],
  dispatch: ['domain', 'config', 'db', 'observability'],
  // The turns of a background job (turn-loop.ts): a timer and nothing of Joule.
  'turn-loop': [],
  engine: ['domain', 'config', 'db', 'use-cases', 'chain', 'dispatch', 'observability', 'turn-loop'],
  api: ['domain', 'config', 'db', 'use-cases', 'dispatch', 'observability'],
  // Outbox delivery: reads and settles events in the database, signs and POSTs them.
  webhooks: ['domain', 'config', 'db', 'observability', 'turn-loop'],
  'admin-token': ['config', 'observability'],
  // The Telegram bot is a client of Joule's HTTP API: it shares pure domain rules (addresses, signatures), never the database or the engine.
  bot: ['domain', 'config', 'observability'],
  // The node simulator is a world of its own: it knows nothing of Joule.
  devnet: [],
  // The composition root wires every room; main.ts only starts it (or the devnet).
  joule: ['domain', 'config', 'db', 'observability', 'use-cases', 'chain', 'dispatch', 'engine', 'api', 'admin-token', 'devnet', 'webhooks'],
  // V8's heap growing factor, set by main.ts for every role: nothing of Joule.
  'heap-growth': [],
  main: ['config', 'db', 'devnet', 'joule', 'bot', 'observability', 'heap-growth'],
};

/** Packages only one room may use: SQL stays in db/, Redis in dispatch/, TronWeb in chain/ (and the devnet's own). */
const PACKAGE_OWNERS: Readonly<Record<string, readonly string[]>> = {
  kysely: ['db'],
  pg: ['db'],
  'better-sqlite3': ['db'],
  bullmq: ['dispatch'],
  ioredis: ['dispatch'],
  tronweb: ['chain', 'devnet'],
  fastify: ['api', 'devnet', 'joule'],
  grammy: ['bot'],
  qrcode: ['bot'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

const roomOf = (file: string): string => {
  const [first, ...rest] = relative(SRC, file).split('/');
  return rest.length === 0 ? first!.replace(/\.ts$/, '') : first!;
};

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'";]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)|(?:^|\n)\s*import\s+'([^']+)'/g)) {
    specifiers.push(m[1] ?? m[2] ?? m[3]!);
  }
  return specifiers;
}

const files = sourceFiles(SRC);

test('every room of src/ imports only the rooms the architecture allows it', () => {
  const broken: string[] = [];
  for (const file of files) {
    const room = roomOf(file);
    const allowed = MAY_IMPORT[room];
    if (allowed === undefined) {
      broken.push(`${relative(ROOT, file)}: room "${room}" is not in the architecture's table`);
      continue;
    }
    for (const spec of importsOf(file)) {
      if (!spec.startsWith('.')) continue;
      const target = resolve(dirname(file), spec);
      if (!target.startsWith(SRC + '/')) {
        broken.push(`${relative(ROOT, file)} imports ${spec}, outside src/`);
        continue;
      }
      const to = roomOf(target.replace(/\.js$/, '.ts'));
      if (to !== room && !allowed.includes(to)) broken.push(`${relative(ROOT, file)} (${room}) imports ${spec} (${to})`);
    }
  }
  assert.deepEqual(broken, []);
});

test('SQL, Redis and TronWeb each stay in their own room', () => {
  const broken: string[] = [];
  for (const file of files) {
    const room = roomOf(file);
    for (const spec of importsOf(file)) {
      const owners = PACKAGE_OWNERS[spec];
      if (owners && !owners.includes(room)) broken.push(`${relative(ROOT, file)} (${room}) imports ${spec}`);
    }
  }
  assert.deepEqual(broken, []);
});

/** What a file loads when it is loaded: its static imports, not `import type` and not `import()`. */
function loadsAtOnce(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s+(?!type\s)[^'";]*?from\s+'([^']+)'|(?:^|\n)\s*import\s+'([^']+)'/g)].map((m) => m[1] ?? m[2]!);
}

test('starting Joule loads no Redis, PostgreSQL or Telegram client: each comes by import() when its setting asks for it', () => {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of loadsAtOnce(file)) {
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec).replace(/\.js$/, '.ts'));
      else packages.add(spec);
    }
  };
  visit(join(SRC, 'main.ts'));
  assert.ok(packages.has('better-sqlite3') && packages.has('tronweb'), 'the walk follows main.ts to the database and the chain');
  assert.deepEqual(['bullmq', 'ioredis', 'pg', 'grammy'].filter((p) => packages.has(p)), []);
});

test('only main.ts reads the process environment; everything else gets the validated configuration', () => {
  const readers = files.filter((f) => /process\.env\b/.test(readFileSync(f, 'utf8').replace(/\/\/.*|\/\*[\s\S]*?\*\//g, '')));
  assert.deepEqual(readers.map((f) => relative(ROOT, f)), ['src/main.ts']);
});

test('only the engine moves orders between states', () => {
  const movers = files.filter((f) => /\bmoveHeldOrder\(/.test(readFileSync(f, 'utf8')) && !f.endsWith('/db/order-writes.ts'));
  assert.deepEqual(movers.map((f) => relative(ROOT, f)), ['src/engine/transition.ts']);
});

test('the table above names every room, and a forbidden import would be caught', () => {
  const rooms = new Set(files.map(roomOf));
  assert.deepEqual([...rooms].filter((r) => MAY_IMPORT[r] === undefined), []);
  // The check reads real import lines: a made-up api -> engine import is found.
  const sample = "import { advanceOrder } from '../engine/advance-order.js';\nexport { x } from './y.js';\nconst m = await import('../chain/pools.js');";
  assert.deepEqual([...sample.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'";]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g)].map((m) => m[1] ?? m[2]), [
    '../engine/advance-order.js',
    './y.js',
    '../chain/pools.js',
  ]);
});
