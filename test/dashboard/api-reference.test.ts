import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { ERROR_CODES } from '../../src/api/error-codes.js';
import { createTestApp, SEED_ADDRESS, type TestApp } from '../support/app.js';
import { launchChromium, screenshot } from '../support/browser.js';

/** The browsable API reference, as an integrator's browser shows it. */
let t: TestApp;
let browser: Browser;
let base: string;

before(async () => {
  t = await createTestApp();
  base = await t.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await t?.close();
});

test('/docs shows every endpoint of /openapi.json with an example, every error code, and the seed’s curl', async () => {
  const doc = (await t.request({ method: 'GET', url: '/openapi.json' })).body as { paths: Record<string, Record<string, unknown>> };
  const operations = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
  assert.ok(operations.length >= 15, `the reference documents the API (${operations.length} operations)`);
  for (const op of ['GET /api/pools', 'GET /api/orders/{order_id}/transactions', 'GET /api/users', 'GET /api/status/delays', 'POST /api/orders']) {
    assert.ok(operations.includes(op), `${op} is documented`);
  }

  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.goto(`${base}/docs`);
  await page.locator('section#errors').waitFor();
  const sections = await page.locator('section.op h2').allInnerTexts();
  // The method is a badge beside the path: compare without spaces.
  const shown = sections.map((s) => s.replace(/\s+/g, ''));
  for (const op of operations) assert.ok(shown.includes(op.replace(' ', '')), `${op} has a section on the page`);
  assert.equal(await page.locator('section.op:not(#errors) h4', { hasText: 'Example' }).count(), operations.length, 'each with an example');

  const errors = await page.locator('section#errors').innerText();
  for (const { code } of ERROR_CODES) assert.ok(errors.includes(code), `error code ${code} is listed`);

  const text = await page.locator('body').innerText();
  assert.ok(text.includes(`curl -X POST http://localhost:8002/api/orders/`), 'the seed’s curl is shown');
  assert.ok(text.includes(SEED_ADDRESS));
  await screenshot(page, 'api-reference');
  await page.close();
});
