/// <reference lib="dom" />
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { ADMIN_TOKEN, createTestApp, type TestApp } from '../support/app.js';
import { launchChromium, signedInPage } from '../support/browser.js';

/** The dashboard's icon: linked from the page as SVG, and at /favicon.ico for browsers that ask there. */
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

test('/favicon.ico is an icon, not a 404: an ICO of PNG images at 16, 32 and 48 px', async () => {
  const res = await t.app.inject({ method: 'GET', url: '/favicon.ico' });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-type'], 'image/x-icon');
  assert.equal(res.headers['cache-control'], 'public, max-age=86400');
  const ico = res.rawPayload;
  assert.deepEqual([...ico.subarray(0, 4)], [0, 0, 1, 0], 'an icon resource');
  const count = ico.readUInt16LE(4);
  const sizes = Array.from({ length: count }, (_, i) => ico.readUInt8(6 + 16 * i));
  assert.deepEqual(sizes, [16, 32, 48]);
  for (let i = 0; i < count; i++) {
    const offset = ico.readUInt32LE(6 + 16 * i + 12);
    assert.equal(ico.subarray(offset + 1, offset + 4).toString('latin1'), 'PNG', `image ${i} is a PNG`);
  }
});

test('the page links its SVG icon, which Chromium draws under the page’s Content-Security-Policy; so is /favicon.ico', async () => {
  const html = (await t.request({ method: 'GET', url: '/dashboard/' })).text;
  assert.match(html, /<link rel="icon" type="image\/svg\+xml" href="\/dashboard\/favicon\.svg" \/>/);
  const svg = await t.app.inject({ method: 'GET', url: '/dashboard/favicon.svg' });
  assert.equal(svg.statusCode, 200);
  assert.equal(svg.headers['content-type'], 'image/svg+xml');
  assert.equal(svg.headers['content-security-policy'], "default-src 'none'");
  assert.match(svg.body, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);

  const page = await signedInPage(browser, base, ADMIN_TOKEN);
  const drawn = await page.evaluate(async () => {
    const href = document.querySelector<HTMLLinkElement>('link[rel="icon"]')!.href;
    return Promise.all(
      [href, '/favicon.ico'].map(async (src) => {
        const img = new Image();
        img.src = src;
        await img.decode();
        return { src: new URL(src, location.href).pathname, width: img.naturalWidth };
      }),
    );
  });
  assert.deepEqual(
    drawn.map((d) => d.src),
    ['/dashboard/favicon.svg', '/favicon.ico'],
  );
  for (const d of drawn) assert.ok(d.width > 0, `${d.src} is an image Chromium can draw`);
  await page.context().close();
});
