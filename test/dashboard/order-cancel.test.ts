import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { ADMIN_TOKEN, ledgerViolations } from '../support/app.js';
import { launchChromium, screenshot, signedInPage } from '../support/browser.js';
import { startStack, type Stack } from '../support/stack.js';

/** The operator cancels an order from its page, in a real browser, against the whole of Joule on a devnet. */
let stack: Stack;
let browser: Browser;
let base: string;

before(async () => {
  stack = await startStack();
  base = await stack.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await stack?.close();
});

test('an operator cancels a pending order from its page after confirming, and it shows cancelled with its refund', async () => {
  await stack.deposit(9, 10_000_000_000n);
  // More energy than any devnet pool has: the order stays pending, waiting for capacity.
  const placed = await stack.order({ user_id: 9, energy_amount: 60_000_000, duration: '1h', receive_address: stack.customer() });
  await stack.waitFor(placed.id, (o) => o.wait_reason === 'waiting_for_pool_capacity');

  const page = await signedInPage(browser, base, ADMIN_TOKEN);
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await page.evaluate((id) => (location.hash = `#/orders/${id}`), placed.id);
  const button = page.locator('button[data-action="cancel-order"]');
  await button.waitFor();

  // Declining the confirmation changes nothing.
  page.once('dialog', (d) => void d.dismiss());
  await button.click();
  await page.waitForTimeout(300);
  assert.equal((await stack.request({ method: 'GET', url: `/api/orders/${placed.id}` })).body.status, 'pending');

  // Accepting it cancels; a worker holding the order for its next look at the pools is told to wait a moment.
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.accept();
  });
  for (let i = 0; i < 5; i++) {
    await button.click();
    const cancelled = await page
      .locator('h1 [data-status="cancelled"]')
      .waitFor({ timeout: 3000 })
      .then(() => true, () => false);
    if (cancelled) break;
  }
  await page.locator('h1 [data-status="cancelled"]').waitFor();
  assert.match(dialogs[0]!, /Cancel order .* price refunded/);
  assert.equal(await button.count(), 0, 'nothing left to cancel');
  const facts = await page.locator('.facts').innerText();
  const order = (await stack.request({ method: 'GET', url: `/api/orders/${placed.id}` })).body;
  assert.equal(order.status, 'cancelled');
  assert.match(facts, /Cancelled at/);
  assert.equal(order.refunded_sun, '3900000000');
  assert.match(facts, /Refunded\s+3,900\b/);
  await page.locator('.timeline li[data-to="cancelled"]').waitFor();
  assert.match(await page.locator('.timeline').innerText(), /Pending → Cancelled/);
  await screenshot(page, 'dashboard-order-cancelled');
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(await ledgerViolations(stack.db), []);
});
