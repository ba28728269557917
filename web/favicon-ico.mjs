#!/usr/bin/env node
// Draws web/public/favicon.svg at 16, 32 and 48 px with Chromium and packs the
// three PNGs into web/public/favicon.ico, for browsers that ask /favicon.ico
// rather than read the page's SVG icon. Run it again after changing the SVG:
//   node web/favicon-ico.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { CHROMIUM } from '../scripts/provision.mjs';

const svg = readFileSync(new URL('public/favicon.svg', import.meta.url), 'utf8');
const SIZES = [16, 32, 48];

const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
const pngs = [];
try {
  const page = await browser.newPage();
  for (const size of SIZES) {
    await page.setViewportSize({ width: size, height: size });
    await page.setContent(`<style>html,body{margin:0;background:transparent}</style><img width="${size}" height="${size}" src="data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}">`);
    await page.locator('img').evaluate((img) => img.decode());
    pngs.push(await page.screenshot({ omitBackground: true, clip: { x: 0, y: 0, width: size, height: size } }));
  }
} finally {
  await browser.close();
}

// ICONDIR, one ICONDIRENTRY per image, then the images (PNG, as Windows Vista and every browser since read them).
const header = Buffer.alloc(6);
header.writeUInt16LE(0, 0);
header.writeUInt16LE(1, 2);
header.writeUInt16LE(pngs.length, 4);
let offset = 6 + 16 * pngs.length;
const entries = pngs.map((png, i) => {
  const e = Buffer.alloc(16);
  e.writeUInt8(SIZES[i], 0);
  e.writeUInt8(SIZES[i], 1);
  e.writeUInt16LE(1, 4);
  e.writeUInt16LE(32, 6);
  e.writeUInt32LE(png.length, 8);
  e.writeUInt32LE(offset, 12);
  offset += png.length;
  return e;
});
writeFileSync(new URL('public/favicon.ico', import.meta.url), Buffer.concat([header, ...entries, ...pngs]));
console.log(`wrote web/public/favicon.ico (${offset} bytes)`);
