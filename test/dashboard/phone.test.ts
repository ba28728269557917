/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// (Callbacks given to page.evaluate run in the browser.)
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { ADMIN_TOKEN } from '../support/app.js';
import { launchChromium, screenshot } from '../support/browser.js';
import { startStack, type Stack } from '../support/stack.js';
import { flashEnv, payFlash, TRX, waitForPayment } from './flash-pay.js';

/**
 * The dashboard on a phone-sized screen, 420 px wide, as a new operator
 * would first try it: every page fits the screen, the header reads in whole
 * words, and a wide table scrolls inside its card rather than the page.
 */
let stack: Stack;
let browser: Browser;
let base: string;
let orderId: string;

before(async () => {
  stack = await startStack({ env: { POOL_REFRESH_MS: '300' }, envFor: flashEnv });
  base = await stack.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
  // Something on every page: a user with a ledger, an active order, a refunded flash payment.
  await stack.deposit(7, 500_000_000n);
  const placed = await stack.order({ user_id: 7, energy_amount: 65_000, duration: '1h', receive_address: stack.customer() });
  orderId = placed.id;
  await stack.waitFor(orderId, (o) => o.status === 'active');
  await waitForPayment(stack, await payFlash(stack, 1, 4n * TRX), (p) => p.status === 'refunded');
});

after(async () => {
  await browser?.close();
  await stack?.close();
});

/** What the operator would notice: a page wider than the screen, and header labels broken over several lines. */
function measure(page: Page) {
  // (No named functions inside: the test runner's transform would refer to a helper the page does not have.)
  return page.evaluate(() => {
    const header = [...document.querySelectorAll('header .brand, header nav a, header .tools .live, header .lang button, header button.link')];
    // How many lines each label's text takes.
    const lineCounts = header.map((el) => {
      const tops = new Set<number>();
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (!node.textContent?.trim()) continue;
        const range = document.createRange();
        range.selectNodeContents(node);
        for (const r of range.getClientRects()) tops.add(Math.round(r.top));
      }
      return tops.size;
    });
    return {
      scrollWidth: document.documentElement.scrollWidth,
      innerWidth: window.innerWidth,
      headerLabels: header.length,
      brokenLabels: header.flatMap((el, i) => (lineCounts[i] === 1 ? [] : [`${el.textContent} (${lineCounts[i]} lines)`])),
      brandHeight: document.querySelector('header .brand')?.getBoundingClientRect().height ?? 0,
    };
  });
}

const PAGES: Array<{ name: string; hash: () => string; ready: string }> = [
  { name: 'overview', hash: () => '#/overview', ready: 'figure.chart svg' },
  { name: 'orders', hash: () => '#/orders', ready: 'tr[data-order]' },
  { name: 'order', hash: () => `#/orders/${orderId}`, ready: 'tr[data-tx="delegate"]' },
  { name: 'users', hash: () => '#/users', ready: 'tr[data-user="7"]' },
  { name: 'user', hash: () => '#/users/7', ready: 'tr[data-order]' },
  { name: 'pools', hash: () => '#/pools', ready: 'tr[data-pool]' },
  { name: 'flash', hash: () => '#/flash', ready: 'tr[data-payment]' },
  { name: 'tenants', hash: () => '#/tenants', ready: 'tr[data-tenant="default"]' },
];

async function phone(locale: string): Promise<Page> {
  const context = await browser.newContext({ locale, viewport: { width: 420, height: 860 } });
  return context.newPage();
}

for (const locale of ['en-US', 'zh-CN']) {
  test(`at 420 px, in ${locale}, every page fits the screen and the header reads in whole words`, async () => {
    const page = await phone(locale);
    await page.goto(`${base}/dashboard/`);
    await page.locator('#token').waitFor();
    const login = await measure(page);
    assert.ok(login.scrollWidth <= login.innerWidth, `the sign-in page scrolls sideways (${login.scrollWidth} > ${login.innerWidth})`);
    await screenshot(page, `phone-${locale}-login`);
    await page.locator('#token').fill(ADMIN_TOKEN);
    await page.locator('button[type="submit"]').click();
    await page.locator('header nav').waitFor();

    for (const p of PAGES) {
      await page.evaluate((hash) => (location.hash = hash), p.hash());
      await page.locator(p.ready).first().waitFor({ timeout: 15_000 });
      const m = await measure(page);
      assert.ok(m.scrollWidth <= m.innerWidth, `${p.name}: the page scrolls sideways (${m.scrollWidth} > ${m.innerWidth})`);
      assert.equal(m.headerLabels, 12, `${p.name}: the header's brand, 7 links and 4 tools`);
      assert.deepEqual(m.brokenLabels, [], `${p.name}: header labels broken over lines`);
      assert.ok(m.brandHeight > 0 && m.brandHeight < 30, `${p.name}: the title is one line (${m.brandHeight}px high)`);
      await screenshot(page, `phone-${locale}-${p.name}`);
    }
    await page.context().close();
  });
}

test('at 420 px a wide table scrolls inside its card, and the order page stacks its columns', async () => {
  const page = await phone('en-US');
  await page.goto(`${base}/dashboard/#/orders`);
  await page.locator('#token').fill(ADMIN_TOKEN);
  await page.locator('button[type="submit"]').click();
  await page.locator('tr[data-order]').first().waitFor();
  const orders = await page.evaluate(() => {
    const card = document.querySelector('table.orders')!.closest('.card')!;
    return { overflowX: getComputedStyle(card).overflowX, scrollWidth: card.scrollWidth, clientWidth: card.clientWidth, pageWidth: document.documentElement.scrollWidth };
  });
  assert.equal(orders.overflowX, 'auto');
  assert.ok(orders.scrollWidth > orders.clientWidth, `the orders table is wider than its card, which scrolls (${orders.scrollWidth} > ${orders.clientWidth})`);
  assert.ok(orders.pageWidth <= 420);

  await page.evaluate((id) => (location.hash = `#/orders/${id}`), orderId);
  await page.locator('.timeline li[data-to="active"]').waitFor();
  const boxes = await cardBoxes(page);
  assert.equal(boxes.timeline.left, boxes.summary.left, 'the timeline is below the summary, not beside it');
  assert.ok(boxes.timeline.top >= boxes.summary.bottom);
  assert.equal(boxes.timeline.width, boxes.summary.width, 'and as wide');
  await page.context().close();
});

test('on a wide screen the order page’s summary and timeline fill the row, half and half', async () => {
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${base}/dashboard/#/orders/${orderId}`);
  await page.locator('#token').fill(ADMIN_TOKEN);
  await page.locator('button[type="submit"]').click();
  await page.locator('.timeline li[data-to="active"]').waitFor();
  const boxes = await cardBoxes(page);
  assert.equal(boxes.timeline.top, boxes.summary.top, 'side by side');
  assert.ok(Math.abs(boxes.timeline.width - boxes.summary.width) <= 1, `of one width (${boxes.summary.width}, ${boxes.timeline.width})`);
  assert.ok(Math.abs(boxes.timeline.right - boxes.transactions.right) <= 1, 'the timeline reaches the right edge: no empty third');
  await screenshot(page, 'dashboard-order-wide');
  await context.close();
});

/** Where the order page's three cards are. */
function cardBoxes(page: Page) {
  return page.evaluate(() => {
    const [summary, timeline, transactions] = ['Summary', 'Timeline', 'Chain transactions'].map((heading) => {
      const card = [...document.querySelectorAll('.card')].find((c) => c.querySelector('h2')?.textContent === heading)!;
      const r = card.getBoundingClientRect();
      return { left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width };
    });
    return { summary: summary!, timeline: timeline!, transactions: transactions! };
  });
}
