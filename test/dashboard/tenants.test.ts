/// <reference lib="dom" />
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { ADMIN_TOKEN, createTestApp, type TestApp } from '../support/app.js';
import { launchChromium, screenshot, signedInPage } from '../support/browser.js';

/**
 * Tenants on the dashboard: the operator sees each tenant and its keys
 * (never a key), and narrows orders and users to one tenant.
 */
let app: TestApp;
let browser: Browser;
let base: string;
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const RECEIVER = 'TS8yE1SMGroe8V2ZWqm1atZqpKAeLui1EX';

before(async () => {
  app = await createTestApp();
  base = await app.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await app?.close();
});

test('the operator sees the tenants and their keys, and filters orders and users by tenant', async () => {
  const shop = (await app.request({ method: 'POST', url: '/api/admin/api-keys', headers: admin, payload: { name: 'Coffee shop' } })).body;
  for (const [tenant, user] of [[shop.tenant_id, 5], [undefined, 5]] as const) {
    const res = await app.request({ method: 'POST', url: `/api/users/${user}/deposits`, headers: admin, payload: { amount_sun: '100000000', reference: `r-${tenant ?? 'default'}`, ...(tenant ? { tenant_id: tenant } : {}) } });
    assert.equal(res.status, 201);
  }
  const theirs = await app.request({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${shop.key}` }, payload: { user_id: 5, energy_amount: 65000, duration: '1h', receive_address: RECEIVER } });
  assert.equal(theirs.status, 201);
  const ours = await app.request({ method: 'POST', url: '/api/orders', payload: { user_id: 5, energy_amount: 70000, duration: '1h', receive_address: RECEIVER } });
  assert.equal(ours.status, 201);

  const page = await signedInPage(browser, base, ADMIN_TOKEN);
  await page.getByRole('link', { name: 'Tenants' }).click();
  const row = page.locator(`tr[data-tenant="${shop.tenant_id}"]`);
  await row.waitFor();
  assert.match(await row.innerText(), /Coffee shop/);
  const key = page.locator(`tr[data-key="${shop.id}"]`);
  assert.match(await key.innerText(), new RegExp(`${shop.key_prefix}…`));
  assert.ok(!(await page.content()).includes(shop.key), 'the key itself is never on the page');
  await screenshot(page, 'dashboard-tenants');

  // Its orders only, from the tenant's link; the user shown with its own id and its tenant.
  await row.getByRole('link', { name: 'orders' }).click();
  await page.locator(`tr[data-order="${theirs.body.id}"]`).waitFor();
  assert.equal(await page.locator(`tr[data-order="${ours.body.id}"]`).count(), 0);
  // Every tenant again: both orders.
  await page.locator('select[name="tenant_id"]').selectOption('');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.locator(`tr[data-order="${ours.body.id}"]`).waitFor();
  await page.locator(`tr[data-order="${theirs.body.id}"]`).waitFor();

  // Its users, and a user's page shows the tenant's own user 5 (its balance, not the default tenant's user 5).
  await page.goto(`${base}/dashboard/#/users?tenant_id=${shop.tenant_id}`);
  const user = page.locator(`tr[data-user="5"][data-tenant="${shop.tenant_id}"]`);
  await user.waitFor();
  assert.equal(await page.locator('tr[data-user]').count(), 1);
  await user.getByRole('link').click();
  await page.locator('tr[data-order]').first().waitFor();
  assert.equal(await page.locator(`tr[data-order="${theirs.body.id}"]`).count(), 1);
  assert.equal(await page.locator(`tr[data-order="${ours.body.id}"]`).count(), 0);
  await page.context().close();
});
