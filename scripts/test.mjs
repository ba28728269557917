#!/usr/bin/env node
// Runs the whole suite with node's built-in test runner.
// First it makes sure the real services the tests start are installed
// (PostgreSQL, redis-server, Chromium from Debian packages), so `npm test`
// works on a fresh Debian machine, and builds the dashboard the browser tests
// load. Tests start and stop their own instances.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { provision } from './provision.mjs';

provision();

// The dashboard's tests load the page Joule serves from dist/web: build it from the sources under test.
const built = spawnSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--config', 'web/vite.config.ts'], {
  cwd: new URL('..', import.meta.url).pathname,
  stdio: 'inherit',
});
if (built.status !== 0) {
  console.error('building the dashboard failed');
  process.exit(1);
}

const root = new URL('..', import.meta.url).pathname;
const filter = process.argv.slice(2);

function findTests(dir) {
  const found = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...findTests(path));
    else if (name.endsWith('.test.ts')) found.push(relative(root, path));
  }
  return found;
}

let files = findTests(join(root, 'test')).sort();
if (filter.length > 0) files = files.filter((f) => filter.some((part) => f.includes(part)));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}

console.log(`# node ${process.version} (${process.execPath}), ${files.length} test file(s)`);
// A test file whose process never exits (a timer or socket left running) would
// hang the run, and CI with it: give up after this long, and say why.
const LIMIT_MS = Number(process.env.TEST_RUN_LIMIT_MS ?? 30 * 60_000);
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', ...files],
  { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' }, timeout: LIMIT_MS, killSignal: 'SIGKILL' },
);
if (result.error?.code === 'ETIMEDOUT') {
  console.error(`the test run took over ${LIMIT_MS / 60_000} min: a test file did not finish or its process did not exit (something left running)`);
  process.exit(1);
}
process.exit(result.status ?? 1);
