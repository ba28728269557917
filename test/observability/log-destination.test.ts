import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger, logDestination } from '../../src/observability/logger.js';

function inTempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'joule-log-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const read = (path: string) => readFileSync(path, 'utf8');
const messages = (text: string) => text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l).msg as string);

async function untilWritten(path: string, lines: number): Promise<string> {
  const deadline = Date.now() + 5000;
  while (messages(read(path)).length < lines && Date.now() < deadline) await sleep(5);
  return read(path);
}

test('lines logged together are held, then written together, in order, and the next ones are held again', async (t) => {
  const path = join(inTempDir(t), 'out.log');
  const log = createLogger('info', logDestination(path));
  for (let i = 0; i < 300; i++) log.child({ reqId: `req-${i}` }).info({ orderId: i }, `line ${i}`);
  assert.equal(read(path), '', 'nothing is written while the lines are held');
  const first = await untilWritten(path, 300);
  assert.deepEqual(messages(first), Array.from({ length: 300 }, (_, i) => `line ${i}`));

  log.info('later');
  assert.equal(read(path), first, 'a line after the write is held again');
  assert.deepEqual(messages(await untilWritten(path, 301)).at(-1), 'later');
});

test('a warning is written at once, after the lines held before it; so is an error', (t) => {
  const path = join(inTempDir(t), 'out.log');
  const log = createLogger('info', logDestination(path));
  log.info('first');
  log.info('second');
  log.warn('a warning');
  assert.deepEqual(messages(read(path)), ['first', 'second', 'a warning']);
  log.error('an error');
  assert.deepEqual(messages(read(path)), ['first', 'second', 'a warning', 'an error']);
});

test('logger.flush writes what is held, then calls back', async (t) => {
  const path = join(inTempDir(t), 'out.log');
  const log = createLogger('info', logDestination(path));
  log.info('held');
  await new Promise<void>((resolve, reject) => log.flush((err) => (err ? reject(err) : resolve())));
  assert.deepEqual(messages(read(path)), ['held']);
});

test('more than the hold’s worth of text is written without waiting for the hold', (t) => {
  const path = join(inTempDir(t), 'out.log');
  const log = createLogger('info', logDestination(path));
  const long = 'x'.repeat(1000);
  for (let i = 0; i < 100; i++) log.info({ long }, `line ${i}`);
  const written = messages(read(path));
  assert.ok(written.length >= 60 && written.length < 100, `about 64 KiB written at once, the rest held (${written.length} of 100 lines)`);
  assert.deepEqual(written, Array.from({ length: written.length }, (_, i) => `line ${i}`));
});

test('lines still held are written when the process exits, whether it ends, exits or throws', (t) => {
  const dir = inTempDir(t);
  for (const [how, ending, status] of [
    ['ends', '', 0],
    ['exits', 'process.exit(3);', 3],
    ['throws', "throw new Error('boom');", 1],
  ] as const) {
    const path = join(dir, `${how}.log`);
    const script = `
      import { createLogger, logDestination } from './src/observability/logger.ts';
      const log = createLogger('info', logDestination(${JSON.stringify(path)}));
      log.info('held at the end');
      ${ending}`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(child.status, status, `${how}: ${child.stderr}`);
    assert.deepEqual(messages(read(path)), ['held at the end'], how);
  }
});

