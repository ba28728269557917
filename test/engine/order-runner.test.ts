import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { inlineDispatch } from '../../src/dispatch/dispatch.js';
import { OrderRunner } from '../../src/engine/order-runner.js';
import { createLogger } from '../../src/observability/logger.js';
import { startStack, type Stack } from '../support/stack.js';

// The runners here run nothing (concurrency 0): what they hold is what was offered.
let s: Stack;
before(async () => {
  s = await startStack();
});
after(() => s.close());

test('a runner holds at most its limit of new orders; past it a new order is refused, and orders under way are still woken', async () => {
  const runner = new OrderRunner(s.engine.ctx, 0, 2);
  assert.equal(runner.offer('order-a'), true);
  assert.equal(runner.offer('order-b'), true);
  assert.equal(runner.offer('order-c'), false);
  // One it holds already is not refused, and is not held twice.
  assert.equal(runner.offer('order-a'), true);
  assert.equal(runner.busy, 2);
  // A wake-up of an order under way (its confirmation, a timer) is never refused.
  runner.wake('order-d', true);
  assert.equal(runner.busy, 3);
  await runner.close();
  assert.equal(runner.offer('order-e'), false);
});

test('when the runner is full, the in-process dispatch logs that the order waits for the sweep, and its status lists it so', async () => {
  const lines: any[] = [];
  const log = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line)) });
  const runner = new OrderRunner(s.engine.ctx, 0, 1);
  const dispatch = inlineDispatch(runner, log);
  dispatch.orderPlaced('order-1');
  dispatch.orderPlaced('order-2');
  assert.deepEqual(
    lines.map((l) => [l.orderId, l.path, l.reason]),
    [
      ['order-1', 'in-process', undefined],
      ['order-2', 'sweeper', 'runner full'],
    ],
  );
  assert.deepEqual(
    dispatch.status!().recent.map((d) => [d.orderId, d.path]),
    [
      ['order-2', 'sweeper'],
      ['order-1', 'in-process'],
    ],
  );
  await runner.close();
});
