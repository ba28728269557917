import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { TurnLoop } from '../src/turn-loop.js';

// Intervals of a minute: any turn seen within a test came from a wake or a turn's own asking.
const MINUTE = 60_000;

async function until(what: string, ok: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(5);
  }
}

test('a wake during a turn runs one more turn right after it, never two at once', async () => {
  let turns = 0;
  let at = 0;
  let most = 0;
  let release!: () => void;
  const loop = new TurnLoop(
    async () => {
      turns++;
      most = Math.max(most, ++at);
      if (turns === 1) await new Promise<void>((r) => (release = r));
      at--;
      return undefined;
    },
    MINUTE,
    () => {},
  );
  loop.start();
  await until('the first turn runs', () => turns === 1);
  loop.wake();
  loop.wake();
  release();
  await until('the turn the wakes asked for runs', () => turns === 2);
  await sleep(50);
  assert.equal(turns, 2, 'two wakes during one turn ask for one more, not two');
  assert.equal(most, 1);
  await loop.close();
});

test('a turn that asks for 0 runs again at once; one that throws is reported and the loop still answers a wake', async () => {
  const seen: string[] = [];
  let turns = 0;
  const loop = new TurnLoop(
    async () => {
      turns++;
      if (turns === 1) return 0;
      if (turns === 2) throw new Error('node unavailable');
      return undefined;
    },
    MINUTE,
    (message) => seen.push(message),
  );
  loop.start();
  await until('the turn asked for comes', () => turns === 2);
  await until('the failure is reported', () => seen.length === 1);
  assert.deepEqual(seen, ['node unavailable']);
  loop.wake();
  await until('a woken turn runs after the failure', () => turns === 3);
  await loop.close();
});

test('close waits for the turn under way, and no turn starts after it, woken or not', async () => {
  let turns = 0;
  let finished = false;
  const loop = new TurnLoop(
    async () => {
      turns++;
      await sleep(30);
      finished = true;
      return 0;
    },
    MINUTE,
    () => {},
  );
  loop.start();
  await until('the turn runs', () => turns === 1);
  await loop.close();
  assert.equal(finished, true);
  loop.wake();
  await sleep(50);
  assert.equal(turns, 1, 'not even the turn the last one asked for');
  assert.equal(loop.closed, true);
});
