/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// (Callbacks given to page.evaluate run in the browser.)
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { ADMIN_TOKEN, SEED_ADDRESS } from '../support/app.js';
import { launchChromium, screenshot, signedInPage } from '../support/browser.js';
import { startStack, type Stack } from '../support/stack.js';

/**
 * The operator's day, in a real browser: Debian's Chromium driving the
 * dashboard that Joule serves, against the whole of Joule on a devnet.
 */
let stack: Stack;
let browser: Browser;
let base: string;
/** The order the first test places, which the second finds on the overview. */
let firstOrderId: string;

before(async () => {
  stack = await startStack({ env: { POOL_REFRESH_MS: '300' } });
  base = await stack.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await stack?.close();
});

/** The total energy the pools page says is available, once a snapshot is there. */
async function availableEnergy(page: Page): Promise<number> {
  const total = page.locator('[data-total-energy]');
  await total.waitFor();
  return Number(await total.getAttribute('data-total-energy'));
}

test('an operator signs in, watches an order go active live, reads it in Chinese and sees pool capacity drop', async () => {
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));

  // The root sends a browser to the dashboard, which asks for the token first.
  await page.goto(`${base}/`);
  assert.match(page.url(), /\/dashboard\/$/);
  await page.locator('#token').fill('not-the-token');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'That token was refused.' }).waitFor();
  await screenshot(page, 'dashboard-login-refused');

  await page.locator('#token').fill(ADMIN_TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('link', { name: 'Orders' }).waitFor();
  assert.ok(!page.url().includes(ADMIN_TOKEN), 'the token never goes into a URL');

  // Capacity before the order, as the worker's background snapshot reports it.
  await page.getByRole('link', { name: 'Pools' }).click();
  const before = await availableEnergy(page);
  assert.ok(before > 0, `pools show available energy (${before})`);

  // A marker that a reload would wipe: everything below must happen without one.
  await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));

  await stack.deposit(7, 500_000_000n);
  const energy = 200_000;
  const placed = await stack.order({ user_id: 7, energy_amount: energy, duration: '1h', receive_address: stack.customer() });
  firstOrderId = placed.id;

  await page.getByRole('link', { name: 'Orders' }).click();
  const row = page.locator(`tr[data-order="${placed.id}"]`);
  await row.waitFor();
  await row.locator('[data-status="active"]').waitFor({ timeout: 30_000 });
  assert.equal(await row.locator('.badge').textContent(), 'Active');
  await screenshot(page, 'dashboard-orders-active');

  // Every label switches to Chinese, in place.
  await page.getByRole('button', { name: '中文' }).click();
  await page.getByRole('link', { name: '订单' }).waitFor();
  assert.equal(await row.locator('.badge').textContent(), '生效中');
  assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');
  const body = await page.locator('main').innerText();
  for (const english of ['Active', 'Pending', 'Status', 'Created', 'Filter', 'Energy']) {
    assert.ok(!body.includes(english), `no English label "${english}" left on the Chinese page`);
  }

  // The timeline: every status change, and the delegation confirmed on chain.
  await row.getByRole('link').first().click();
  await page.locator('.timeline li[data-to="active"]').waitFor();
  const timeline = await page.locator('.timeline').innerText();
  assert.match(timeline, /待处理 → 代理中/);
  assert.match(timeline, /代理中 → 生效中/);
  assert.match(timeline, /代理已确认/);
  const delegateTx = page.locator('tr[data-tx="delegate"]');
  await delegateTx.waitFor();
  assert.equal(await delegateTx.getAttribute('data-tx-status'), 'confirmed');
  assert.match(await delegateTx.innerText(), /已确认/);
  const order = (await stack.request({ method: 'GET', url: `/api/orders/${placed.id}` })).body;
  assert.ok((await delegateTx.innerText()).includes(order.delegate_txid.slice(0, 10)), 'the transaction shown is the order’s delegation');
  await screenshot(page, 'dashboard-order-timeline-zh');

  // The pool the order was delegated from has that much less to give.
  await page.getByRole('link', { name: '能量池' }).click();
  await page.waitForFunction(
    ([was, used]) => Number(document.querySelector('[data-total-energy]')?.getAttribute('data-total-energy')) <= was - used,
    [before, energy] as const,
    { timeout: 15_000 },
  );
  const afterOrder = await availableEnergy(page);
  assert.ok(before - afterOrder >= energy, `available energy fell by at least the order's ${energy} (${before} -> ${afterOrder})`);
  assert.ok(before - afterOrder < energy * 1.01, `and by about that much (${before} -> ${afterOrder})`);
  assert.match(await page.locator('main').innerText(), /当前可用/);
  await screenshot(page, 'dashboard-pools-zh');

  assert.equal(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed), true, 'the page was never reloaded');
  assert.deepEqual(pageErrors, []);
  await context.close();
});

test('the overview shows dispatch health, recent paths and the delay chart; a refused token returns to sign-in', async () => {
  const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  await page.goto(`${base}/dashboard/`);
  // A Chinese browser gets Chinese from the start.
  await page.getByRole('button', { name: '登录' }).waitFor();
  await page.locator('#token').fill(ADMIN_TOKEN);
  await page.getByRole('button', { name: '登录' }).click();
  await page.getByRole('heading', { name: '任务分发' }).waitFor();
  const main = page.locator('main');
  await main.getByText('进程内（内嵌模式）').waitFor();
  // The order of the first test went active within the hour: the chart counts it and draws its bar.
  await page.waitForFunction(() => /生效 [1-9]/.test(document.querySelector('figure.chart figcaption')?.textContent ?? ''));
  await page.waitForFunction(() => [...document.querySelectorAll('figure.chart rect.bar')].some((r) => Number(r.getAttribute('height')) > 0));
  // And the recent dispatches name it with the path it took.
  const recent = page.locator('tr', { has: page.locator(`a[href="#/orders/${firstOrderId}"]`) });
  await recent.waitFor();
  assert.match(await recent.innerText(), /进程内/);
  await screenshot(page, 'dashboard-overview-zh');

  // The server forgets the token (say, it was rotated): the next poll sends the operator back to sign in.
  await page.evaluate(() => sessionStorage.setItem('joule.adminToken', 'rotated-away'));
  await page.locator('#token').waitFor({ timeout: 10_000 });
  await context.close();
});

test('a link followed the moment the dashboard appears is not lost', async () => {
  const page = await (await browser.newContext({ locale: 'en-US' })).newPage();
  await page.goto(`${base}/dashboard/`);
  // The hash changes as soon as the navigation is in the page, before the browser paints it:
  // the router must still hear of it (a test that sets the hash right after signing in did not).
  await page.evaluate(() => {
    new MutationObserver((_, observer) => {
      if (!document.querySelector('header nav')) return;
      observer.disconnect();
      location.hash = '#/pools';
    }).observe(document.body, { childList: true, subtree: true });
  });
  await page.locator('#token').fill(ADMIN_TOKEN);
  await page.locator('button[type="submit"]').click();
  await page.waitForFunction(() => location.hash === '#/pools');
  await page.locator('header nav a.current', { hasText: 'Pools' }).waitFor({ timeout: 5000 });
  await page.context().close();
});

test('orders narrow by status and receive address; users and a ledger go page by page', async () => {
  const page = await signedInPage(browser, base, ADMIN_TOKEN);

  await stack.deposit(8, 100_000_000n);
  const refused = await stack.order({ user_id: 8, energy_amount: 32_000, duration: '1h', receive_address: SEED_ADDRESS });
  await stack.waitFor(refused.id, (o) => o.status === 'failed');

  await page.getByRole('link', { name: 'Orders' }).click();
  await page.locator('select[name="status"]').selectOption('failed');
  await page.getByRole('button', { name: 'Filter' }).click();
  const rows = page.locator('tr[data-order]');
  await page.waitForFunction(() => [...document.querySelectorAll('tr[data-order] [data-status]')].every((b) => b.getAttribute('data-status') === 'failed'));
  await page.locator(`tr[data-order="${refused.id}"]`).getByText('receive address is a contract').waitFor();
  assert.equal(await page.locator(`tr[data-order="${firstOrderId}"]`).count(), 0, 'the active order is filtered out');
  assert.match(page.url(), /status=failed/);

  await page.getByRole('button', { name: 'Clear' }).click();
  await page.locator('input[name="receive_address"]').fill(stack.customer());
  await page.getByRole('button', { name: 'Filter' }).click();
  // The unfiltered list shows that order too: wait for the filtered list itself, not just the row.
  await page.waitForFunction(
    (id) => {
      const shown = document.querySelectorAll('tr[data-order]');
      return shown.length === 1 && shown[0]!.getAttribute('data-order') === id;
    },
    firstOrderId,
    { timeout: 10_000 },
  );
  assert.equal(await rows.count(), 1, 'only the order to that address');
  assert.match(page.url(), /receive_address=/);

  // 60 more users: two pages of 50.
  for (let i = 0; i < 60; i++) await stack.deposit(2000 + i, 1_000_000n);
  await page.getByRole('link', { name: 'Users' }).click();
  const users = page.locator('tr[data-user]');
  await page.locator('tr[data-user="2000"]').waitFor();
  assert.equal(await users.count(), 50);
  await page.getByRole('button', { name: 'Next' }).click();
  await page.locator('tr[data-user="2059"]').waitFor();
  assert.equal(await page.getByText('Page 2').count(), 1);
  assert.equal(await page.locator('tr[data-user="2000"]').count(), 0, 'page 2 does not repeat page 1');
  const secondPage = await users.count();
  assert.equal(50 + secondPage, (await stack.request({ method: 'GET', url: '/api/users?limit=200', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).body.users.length);
  await page.getByRole('button', { name: 'Previous' }).click();
  await page.locator('tr[data-user="2000"]').waitFor();

  // A user's ledger: the deposit, the debit and the refund of the refused order, newest first.
  await page.locator('tr[data-user="8"]').getByRole('link').click();
  await page.getByRole('heading', { name: /User 8/ }).waitFor();
  await page.getByText('refund').waitFor();
  const ledger = await page.locator('.card', { hasText: 'Ledger' }).locator('tbody tr').allInnerTexts();
  assert.deepEqual(
    ledger.map((r) => r.split('\t')[1]),
    ['refund', 'order debit', 'deposit'],
  );
  assert.match(await page.locator('h1 .balance').innerText(), /^100 TRX$/);
  await screenshot(page, 'dashboard-user-ledger');

  // A link to an order or user that is not there says so, rather than spinning.
  await page.evaluate(() => (location.hash = '#/orders/01900000-0000-7000-8000-000000000000'));
  await page.getByText('No such order.').waitFor();
  await page.evaluate(() => (location.hash = '#/users/999999'));
  await page.getByText('No such user.').waitFor();
  await page.context().close();
});

test('the pools page shows each pool’s TRX and bandwidth for fees, and flags one that is about to run dry', async () => {
  const dry = stack.devnet.accounts.pools[stack.devnet.accounts.pools.length - 1]!.address;
  await stack.devnetAdmin('POST', '/accounts/set-balance', { address: dry, balance_sun: '1000000' });
  await stack.devnetAdmin('POST', '/consume-bandwidth', { address: dry, net: 'all', free_net: 'all' });
  const page = await signedInPage(browser, base, ADMIN_TOKEN);
  await page.getByRole('link', { name: 'Pools' }).click();
  const row = page.locator(`tr[data-pool="${dry}"]`);
  await row.locator('[data-running-dry]').waitFor({ timeout: 15_000 });
  // 1 TRX burns for about 3 transactions; the used bandwidth recovers only a few bytes meanwhile.
  assert.match(await row.innerText(), /Running dry: ~3 transactions left/);
  assert.match(await row.innerText(), /\d+ \+ \d+ B/);
  assert.match(await row.innerText(), /\b1\b/, 'its 1 TRX is shown');
  // The other pools can pay and are not flagged.
  for (const other of stack.devnet.accounts.pools.filter((p) => p.address !== dry)) {
    assert.equal(await page.locator(`tr[data-pool="${other.address}"] [data-running-dry]`).count(), 0);
  }
  await screenshot(page, 'dashboard-pools-running-dry');
  await page.context().close();
});
