import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { ADMIN_TOKEN } from '../support/app.js';
import { launchChromium, screenshot, signedInPage } from '../support/browser.js';
import { startRedis, type RedisServer } from '../../scripts/services/redis.js';
import { startStack, type Stack } from '../support/stack.js';
import { QUEUE_ENV } from '../dispatch/helpers.js';

/**
 * What the replaced system told operators to watch — Redis health and which
 * way orders went — on the dashboard, with background tasks on a real
 * redis-server that goes away and comes back.
 */
let redis: RedisServer;
let stack: Stack;
let browser: Browser;
let base: string;

before(async () => {
  redis = await startRedis();
  stack = await startStack({ queue: { redisUrl: redis.url }, env: QUEUE_ENV });
  base = await stack.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
  await stack.deposit(1, 1_000_000_000n);
});

after(async () => {
  await browser?.close();
  await stack?.close();
  await redis?.stop();
});

const order = () => stack.order({ user_id: 1, energy_amount: 32_000, duration: '1h', receive_address: stack.customer() });

/** The row of the overview's recent dispatches for this order, once it is there. */
async function recentPath(page: Page, orderId: string): Promise<string> {
  const row = page.locator('tr', { has: page.locator(`a[href="#/orders/${orderId}"]`) });
  await row.waitFor({ timeout: 10_000 });
  return row.innerText();
}

test('the overview follows Redis going down and coming back, and shows which path each order took', async () => {
  const page = await signedInPage(browser, base, ADMIN_TOKEN);
  await page.getByText('Redis queue (background tasks)').waitFor();
  await page.locator('[data-redis="up"]').waitFor({ timeout: 10_000 });
  await page.getByText(/waiting · .* running · .* delayed/).waitFor({ timeout: 10_000 });

  const queued = await order();
  assert.match(await recentPath(page, queued.id), /Redis queue/);

  await redis.kill();
  await page.locator('[data-redis="down"]').waitFor({ timeout: 10_000 });
  const swept = await order();
  assert.match(await recentPath(page, swept.id), /sweeper/);
  await stack.waitFor(swept.id, (o) => o.status === 'active');
  await screenshot(page, 'dashboard-redis-down');

  await redis.restart();
  await page.locator('[data-redis="up"]').waitFor({ timeout: 15_000 });
  // Once the breaker lets it through again, new orders are queued: no restart, no reload.
  let again: string | undefined;
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && again === undefined) {
    const next = await order();
    if (/Redis queue/.test(await recentPath(page, next.id))) again = next.id;
  }
  assert.ok(again, 'an order placed after Redis came back went through the queue');
  await page.locator('[data-breaker="closed"]').waitFor();
  await page.context().close();
});
