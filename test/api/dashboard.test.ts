import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestApp, type TestApp } from '../support/app.js';

// npm test builds dist/web before running the suite; these check how Joule serves it.
let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(() => t.close());

test('the root sends a browser to the dashboard', async () => {
  const res = await t.request({ method: 'GET', url: '/' });
  assert.equal(res.status, 302);
  assert.equal(res.headers.location, '/dashboard/');
});

test('the dashboard page is served without a token, holds no data, and may not be framed or load from elsewhere', async () => {
  for (const url of ['/dashboard/', '/dashboard']) {
    const res = await t.request({ method: 'GET', url });
    assert.equal(res.status, 200, url);
    assert.match(String(res.headers['content-type']), /^text\/html/);
    assert.match(res.text, /<div id="app"><\/div>/);
    assert.match(String(res.headers['content-security-policy']), /default-src 'none'.*connect-src 'self'.*frame-ancestors 'none'/);
    assert.equal(res.headers['x-frame-options'], 'DENY');
    assert.equal(res.headers['cache-control'], 'no-cache');
  }
});

test('the page’s script and stylesheet are served with long caching, and an unknown asset is a JSON 404', async () => {
  const page = (await t.request({ method: 'GET', url: '/dashboard/' })).text;
  const assets = [...page.matchAll(/(?:src|href)="(\/dashboard\/assets\/[^"]+)"/g)].map((m) => m[1]!);
  assert.ok(assets.some((a) => a.endsWith('.js')) && assets.some((a) => a.endsWith('.css')), `assets linked: ${assets.join(', ')}`);
  for (const url of assets) {
    const res = await t.request({ method: 'GET', url });
    assert.equal(res.status, 200, url);
    assert.match(String(res.headers['content-type']), url.endsWith('.js') ? /^text\/javascript/ : /^text\/css/);
    assert.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable');
  }
  const missing = await t.request({ method: 'GET', url: '/dashboard/assets/nope.js' });
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error.code, 'not_found');
  const traversal = await t.request({ method: 'GET', url: '/dashboard/assets/..%2F..%2Fpackage.json' });
  assert.equal(traversal.status, 404);
});
