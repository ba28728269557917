#!/usr/bin/env node
// `npm start` runs this first: it builds the server (dist/) and the dashboard
// (dist/web) only when a source is newer than the last build, so a start
// after an unchanged checkout answers in a second instead of rebuilding for
// twenty. `npm install` builds once anyway (prepare).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const STAMP = join(root, 'dist', '.built-from');
const SOURCES = ['src', 'web', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];

/** Newest modification time under `path` (ms), skipping what a build writes. */
function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs;
  for (const name of readdirSync(path)) {
    if (name === 'node_modules' || name === 'dist') continue;
    latest = Math.max(latest, newest(join(path, name)));
  }
  return latest;
}

const sourcesAt = Math.max(...SOURCES.map((p) => newest(join(root, p))));
const built = existsSync(STAMP) && existsSync(join(root, 'dist', 'main.js')) && existsSync(join(root, 'dist', 'web', 'index.html'));
if (built && statSync(STAMP).mtimeMs >= sourcesAt) process.exit(0);

console.error(built ? 'sources changed since the last build: building' : 'no build yet: building');
const result = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
if (result.status !== 0) process.exit(result.status ?? 1);
// Written after the build, so its time is later than every source the build read.
writeFileSync(STAMP, `${new Date().toISOString()}\n`);
