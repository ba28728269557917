/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// (Callbacks given to page.evaluate run in the browser.)
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { ADMIN_TOKEN, createTestApp, type TestApp } from '../support/app.js';
import { launchChromium, screenshot } from '../support/browser.js';
import type { DelayBucket, Delays } from '../../web/src/types.js';

/**
 * The overview's delay chart drawn by Chromium from an hour with quiet
 * minutes in it. An hour like that takes an hour to happen, so the page is
 * given the report (GET /api/status/delays) by the browser instead of the
 * server; everything else is Joule's.
 */
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

/** Minutes 0-9 busy, 10-29 quiet, 30-31 busier and slower, 45 alone, the rest quiet. */
function report(): Delays {
  const from = Date.now() - 59 * 60_000;
  const minute = (i: number, activated: number, avg: number | null, max: number | null): DelayBucket => ({
    at: new Date(from + i * 60_000).toISOString(),
    created: activated,
    activated,
    failed: 0,
    avg_ms_to_active: avg,
    max_ms_to_active: max,
  });
  const buckets = Array.from({ length: 60 }, (_, i) =>
    i < 10 ? minute(i, 2, 1500, 3000) : i === 30 || i === 31 ? minute(i, 12, 4000, 9000) : i === 45 ? minute(i, 1, 2000, 2000) : minute(i, 0, null, null),
  );
  return { bucket_seconds: 60, from: buckets[0]!.at, to: new Date().toISOString(), buckets };
}

async function chart(width: number) {
  const context = await browser.newContext({ locale: 'en-US', viewport: { width, height: 1000 } });
  const page = await context.newPage();
  await page.route('**/api/status/delays?**', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(report()) }));
  await page.goto(`${base}/dashboard/`);
  await page.locator('#token').fill(ADMIN_TOKEN);
  await page.locator('button[type="submit"]').click();
  await page.locator('figure.chart path.avg').waitFor();
  // (No named functions inside: the test runner's transform would refer to a helper the page does not have.)
  const drawn = await page.evaluate(() => {
    const svg = document.querySelector('figure.chart svg') as SVGSVGElement;
    const [delays, counts] = ['delays', 'counts'].map((name) => {
      const g = svg.querySelector(`g.${name}`)!;
      return { top: Number(g.getAttribute('data-top')), bottom: Number(g.getAttribute('data-bottom')) };
    });
    const [delayAxis, countAxis] = ['.delay-axis', '.count-axis'].map((selector) => [...svg.querySelectorAll(selector)].map((el) => el.textContent));
    return {
      avg: svg.querySelector('path.avg')!.getAttribute('d')!,
      max: svg.querySelector('path.max')!.getAttribute('d')!,
      loneMax: svg.querySelectorAll('circle.max').length,
      delays: delays!,
      counts: counts!,
      delayAxis,
      countAxis,
      bars: [...svg.querySelectorAll('rect.bar')].map((r) => ({ y: Number(r.getAttribute('y')), height: Number(r.getAttribute('height')) })),
      dots: [...svg.querySelectorAll('g.delays circle')].map((c) => Number(c.getAttribute('cy'))),
      // Every label inside the picture: none cut off at an edge.
      viewBox: svg.viewBox.baseVal.width,
      labels: [...svg.querySelectorAll('text')].map((el) => {
        const b = (el as SVGTextElement).getBBox();
        return { text: el.textContent, left: b.x, right: b.x + b.width };
      }),
    };
  });
  return { page, drawn };
}

test('the delay chart breaks its lines at minutes without data, and counts orders on an axis of their own', async () => {
  const { page, drawn } = await chart(1400);
  // Three runs of minutes with a delay: 0-9, 30-31 and 45 alone; no line crosses the quiet minutes between them.
  assert.equal(drawn.avg.match(/M/g)?.length, 3, drawn.avg);
  assert.equal(drawn.avg.match(/L/g)?.length, 9 + 1, drawn.avg);
  assert.equal(drawn.max.match(/M/g)?.length, 3, drawn.max);
  assert.equal(drawn.loneMax, 1, 'the lone minute’s slowest is a dot');

  // The delays on a time axis, the counts below on their own: 0 to 20 orders a minute.
  assert.deepEqual(drawn.delayAxis, ['0 ms', '4.5 s', '9.0 s']);
  assert.deepEqual(drawn.countAxis, ['0', '10', '20']);
  assert.ok(drawn.counts.top > drawn.delays.bottom, 'the panels do not overlap');
  for (const bar of drawn.bars) {
    assert.ok(bar.y >= drawn.counts.top && bar.y + bar.height <= drawn.counts.bottom + 0.01, `a bar inside the count panel: ${JSON.stringify(bar)}`);
  }
  for (const cy of drawn.dots) assert.ok(cy >= drawn.delays.top && cy <= drawn.delays.bottom, `a delay inside the delay panel: ${cy}`);
  const tallest = Math.max(...drawn.bars.map((b) => b.height));
  assert.ok(Math.abs(tallest - ((drawn.counts.bottom - drawn.counts.top) * 12) / 20) < 0.01, `12 orders reach 12/20 of the count axis (${tallest})`);
  for (const l of drawn.labels) assert.ok(l.left >= 0 && l.right <= drawn.viewBox, `"${l.text}" is inside the chart (${l.left}..${l.right})`);
  await screenshot(page, 'delay-chart');
  await page.context().close();
});

test('on a phone the chart’s labels are drawn larger, and still fit inside it', async () => {
  const { page, drawn } = await chart(420);
  for (const l of drawn.labels) assert.ok(l.left >= 0 && l.right <= drawn.viewBox, `"${l.text}" is inside the chart (${l.left}..${l.right})`);
  const size = await page.evaluate(() => {
    const label = document.querySelector('figure.chart .count-axis')!;
    return label.getBoundingClientRect().height;
  });
  assert.ok(size >= 7, `a count label is readable (${size}px high)`);
  await page.context().close();
});
