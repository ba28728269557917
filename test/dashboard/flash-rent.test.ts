/// <reference lib="dom" />
import assert from 'node:assert/strict';
import { after, afterEach, before, test } from 'node:test';
import { TronWeb } from 'tronweb';
import type { Browser } from 'playwright-core';
import { ADMIN_TOKEN, createTestApp, ledgerViolations } from '../support/app.js';
import { launchChromium, screenshot, signedInPage } from '../support/browser.js';
import { assertLedgerSound, startStack, waitForFollower, type Stack } from '../support/stack.js';
import { flashEnv, payFlash, TRX, waitForPayment } from './flash-pay.js';

/**
 * Flash rent as an operator sees it: customers pay the flash-rent address
 * (pool 0) from their own wallets on a devnet, Joule serves each transfer,
 * and the dashboard shows the terms, every payment's fate, the orders they
 * paid and the refunds that go back on chain.
 */
let stack: Stack;
let browser: Browser;
let base: string;
let flash: string;

before(async () => {
  stack = await startStack({ env: { POOL_REFRESH_MS: '300' }, envFor: flashEnv });
  await waitForFollower(stack);
  flash = stack.devnet.accounts.pools[0]!.address;
  base = await stack.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
});

// Flash orders are paid by transfer and refunded on chain: after each test the books still balance, and each refunded payment has exactly one refund confirmed.
afterEach(async () => {
  if (stack) await assertLedgerSound(stack);
});

after(async () => {
  await browser?.close();
  await stack?.close();
});

test('the flash rent page shows the terms and each payment: an order, a refund of an odd amount, a failed order refunded on chain, a refund held up', async () => {
  // Three transfers: a listed amount, an amount not listed, and a listed amount for a receiver never activated.
  const ordered = await payFlash(stack, 0, 3n * TRX);
  const odd = await payFlash(stack, 1, 4n * TRX);
  const unactivated = TronWeb.address.fromPrivateKey('11'.repeat(32)) as string;
  const undeliverable = await payFlash(stack, 2, 3n * TRX, unactivated);
  const paid = await waitForPayment(stack, ordered, (p) => p.order_id !== null);
  await stack.waitFor(paid.order_id!, (o) => o.status === 'active');
  await waitForPayment(stack, odd, (p) => p.status === 'refunded');
  const failedPayment = await waitForPayment(stack, undeliverable, (p) => p.status === 'refunded' && p.order_id !== null);
  const failedOrderId = failedPayment.order_id!;

  const page = await signedInPage(browser, base, ADMIN_TOKEN);
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await page.getByRole('link', { name: 'Flash rent' }).click();

  // The terms customers are given: where to pay and what each amount buys.
  await page.locator('[data-flash-enabled="true"]').waitFor();
  assert.equal(await page.locator('[data-flash-address] code').getAttribute('title'), flash);
  assert.match(await page.locator('[data-flash-address]').innerText(), new RegExp(flash));
  assert.match(await page.locator('tr[data-offer="3000000"]').innerText(), /^3\t65,000\t1h$/);
  assert.match(await page.locator('tr[data-offer="6000000"]').innerText(), /^6\t131,000\t1h$/);
  assert.match(await page.locator('main').innerText(), /0\.3 TRX kept from every refund/);

  // The payment that placed an order: its amount, sender and a link to the order.
  const orderedRow = page.locator(`tr[data-payment="${ordered}"]`);
  await orderedRow.waitFor();
  assert.equal(await orderedRow.getAttribute('data-payment-status'), 'ordered');
  const orderedText = await orderedRow.innerText();
  assert.match(orderedText, /\bordered\b/);
  assert.match(orderedText, /\t3\t/, 'paid 3 TRX');
  assert.equal(await orderedRow.locator('code').nth(1).getAttribute('title'), stack.customer(0), 'the sender');
  assert.equal(await orderedRow.locator(`a[href="#/orders/${paid.order_id}"]`).count(), 1);

  // The odd amount: no order, refunded on chain minus the fee, with the refund's transaction and why.
  const oddRow = page.locator(`tr[data-payment="${odd}"]`);
  assert.equal(await oddRow.getAttribute('data-payment-status'), 'refunded');
  const oddText = await oddRow.innerText();
  assert.match(oddText, /\t4\t/, 'paid 4 TRX');
  assert.match(oddText, /\t3\.7\t/, 'refunded 3.7 TRX');
  assert.match(oddText, /confirmed/);
  assert.match(oddText, /amount not in the flash-rent table/);
  assert.equal(await oddRow.locator('a').count(), 0, 'no order');
  const oddPayment = await waitForPayment(stack, odd, () => true);
  assert.equal(await oddRow.locator(`code[title="${oddPayment.refund_txid}"]`).count(), 1, 'the refund transaction');

  // The undeliverable order: its memo, its order, and the refund with the order's failure as the reason.
  const failedRow = page.locator(`tr[data-payment="${undeliverable}"]`);
  const failedText = await failedRow.innerText();
  assert.match(failedText, new RegExp(unactivated), 'the memo');
  assert.match(failedText, /\t2\.7\t/);
  assert.match(failedText, /receive address not activated/);
  await screenshot(page, 'dashboard-flash-rent');

  // The orders list marks the orders paid by transfer; the others show their user.
  await page.getByRole('link', { name: 'Orders' }).click();
  for (const id of [paid.order_id!, failedOrderId]) {
    const row = page.locator(`tr[data-order="${id}"]`);
    await row.waitFor();
    assert.equal(await row.locator('[data-flash]').innerText(), 'flash rent');
  }

  // The failed order: the transfer that paid it, and its refund going back on chain, in its transactions too.
  await page.locator(`tr[data-order="${failedOrderId}"]`).getByRole('link').first().click();
  await page.locator('tr[data-tx="refund"]').waitFor();
  assert.equal(await page.locator('h1 [data-flash]').count(), 1);
  assert.equal(await page.locator('[data-payment-txid] code').innerText(), undeliverable);
  const refund = await page.locator('[data-refund-on-chain]').innerText();
  assert.match(refund, /2\.7 TRX goes back on chain to the payer/);
  assert.match(refund, /refund transaction confirmed/);
  const refundTx = page.locator('tr[data-tx="refund"]');
  assert.equal(await refundTx.getAttribute('data-tx-status'), 'confirmed');
  assert.match(await refundTx.innerText(), /^Refund\t/);
  assert.match(await refundTx.innerText(), /\t2\.7\t/);
  assert.equal(await refundTx.locator(`code[title="${failedPayment.refund_txid}"]`).count(), 1);
  await screenshot(page, 'dashboard-flash-order-refunded');

  // In Chinese, every label of the page.
  await page.getByRole('button', { name: '中文' }).click();
  await page.getByRole('link', { name: '闪租' }).click();
  await page.locator(`tr[data-payment="${odd}"]`).waitFor();
  const zh = await page.locator('main').innerText();
  for (const label of ['收款地址', '价目', '已下单', '已退款', '金额不在闪租价目表中', '接收地址未激活', '每笔退款扣除 0.3 TRX']) {
    assert.ok(zh.includes(label), `"${label}" on the Chinese page`);
  }
  for (const english of ['ordered', 'refunded', 'Sender', 'Memo', 'Refund', 'Offers', 'confirmed']) {
    assert.ok(!zh.includes(english), `no English label "${english}" left on the Chinese page`);
  }
  await page.getByRole('button', { name: 'English' }).click();

  // A refund the node refuses waits, and says why, until it goes through.
  const heldUp = await payFlash(stack, 1, 5n * TRX);
  await stack.devnetAdmin('POST', '/faults/fail-broadcast', { code: 'SIGERROR', count: 1000 });
  const heldRow = page.locator(`tr[data-payment="${heldUp}"]`);
  await heldRow.locator('[data-wait^="refund_refused:"]').waitFor({ timeout: 15_000 });
  assert.equal(await heldRow.getAttribute('data-payment-status'), 'refunding');
  assert.match(await heldRow.innerText(), /refunding/);
  assert.match(await heldRow.locator('[data-wait]').innerText(), /^refund refused by the node \(SIGERROR\)$/);
  await screenshot(page, 'dashboard-flash-refund-held');
  await stack.devnetAdmin('DELETE', '/faults');
  await page.locator(`tr[data-payment="${heldUp}"][data-payment-status="refunded"]`).waitFor({ timeout: 30_000 });
  assert.equal(await heldRow.locator('[data-wait]').count(), 0, 'nothing waits any more');

  // What the payers got back on chain: each refund shown, once (the one held up too, however often it was refused).
  const refunds = (await stack.chainTxs('TransferContract')).filter((t) => t.owner === flash && t.status === 'included');
  assert.deepEqual(
    refunds.map((t) => `${t.receiver} ${t.amount}`).sort(),
    [`${stack.customer(1)} 3700000`, `${stack.customer(2)} 2700000`, `${stack.customer(1)} 4700000`].sort(),
  );

  assert.deepEqual(pageErrors, []);
  await page.context().close();
});

test('with flash rent off, the page says so plainly', async () => {
  const t = await createTestApp();
  try {
    const url = await t.app.listen({ host: '127.0.0.1', port: 0 });
    const page = await signedInPage(browser, url, ADMIN_TOKEN);
    await page.getByRole('link', { name: 'Flash rent' }).click();
    const off = page.locator('[data-flash-enabled="false"]');
    await off.waitFor();
    assert.match(await off.innerText(), /^Flash rent is off: this Joule takes no payments by transfer\. Set FLASH_RENT_ADDRESS/);
    await page.getByText('No payment seen yet.').waitFor();
    assert.equal(await page.locator('[data-flash-address]').count(), 0);
    await page.context().close();
    assert.deepEqual(await ledgerViolations(t.db), []);
  } finally {
    await t.close();
  }
});
