// Hostile input, generated from a fixed seed so a failure replays exactly:
// thousands of requests with mangled paths, queries, headers and bodies.
// Whatever comes in, the answer is never a 5xx, every error has the
// documented shape, and nothing is written (the client has no balance to
// spend and no admin token to deposit with).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InjectOptions } from 'fastify';
import { ADMIN_TOKEN, tableCounts } from '../support/app.js';
import { describeEachDialect } from '../support/dialects.js';

const CASES = Number(process.env.FUZZ_CASES ?? 2500);
const SEED = Number(process.env.FUZZ_SEED ?? 20261201);

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  return { next, int, pick };
}

const NASTY_STRINGS = [
  '', ' ', '\u0000', 'a\u0000b', '%00', '%ff', '%', '..', '../../etc/passwd', "' or 1=1 --", '"; drop table orders; --',
  '<script>alert(1)</script>', '\u202e', '😀', '𝒳', '\ud800', 'x'.repeat(300), 'T'.repeat(34), 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t',
  'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6T', '41a614f803b6fd780986a42c78ec9c7f77e6ded13c', '-1', '0', '1', '1.5', '1e3', '9223372036854775807',
  '9223372036854775808', '99999999999999999999999', 'NaN', 'Infinity', 'null', 'true', '[]', '{}', '0x10', ' 1', '1 ', '١٢٣',
  '01a225b2-a38b-759c-bca9-ef16383fb40e', 'pending', 'active', 'lost', '1h', '30d', '31d', '2h',
];
const NASTY_VALUES: readonly unknown[] = [
  ...NASTY_STRINGS, 0, -1, 1, 1.5, 2 ** 53, 2 ** 63, -(2 ** 63), 1e308, true, false, null, [], [1], {}, { a: 1 }, [[[]]], { __proto__: { x: 1 } },
];
const PATHS = [
  '/api/orders', '/api/orders/', '/api/orders/{id}', '/api/orders/{id}/events', '/api/orders/{id}/transactions', '/api/users',
  '/api/users/{user}', '/api/users/{user}/ledger', '/api/users/{user}/deposits', '/api/prices', '/api/prices/quote', '/api/pools',
  '/api/status', '/api/status/delays', '/health', '/ready', '/metrics', '/openapi.json', '/api/nothing', '/api//orders', '/API/ORDERS',
  // Cancel, saved addresses, keys and tenants, webhooks.
  '/api/orders/{id}/cancel', '/api/users/{user}/addresses', '/api/users/{user}/addresses/{id}', '/api/users/{user}/deposit-address',
  '/api/admin/api-keys', '/api/admin/api-keys/{id}', '/api/admin/api-keys/{id}/rotate', '/api/admin/tenants',
  '/api/admin/tenants/{id}/webhook', '/api/admin/tenants/{id}/signing-secret', '/api/admin/tenants/default/webhook',
  '/api/admin/webhooks/deliveries', '/api/admin/webhooks/deliveries/{id}', '/api/admin/webhooks/deliveries/{id}/redeliver',
];
const FIELDS = [
  'user_id', 'energy_amount', 'duration', 'receive_address', 'client_order_id', 'amount_sun', 'reference', 'limit', 'cursor', 'status', 'minutes', 'colour',
  'address', 'label', 'name', 'tenant_id', 'webhook_url', 'rate_limit', 'url', 'type', 'before', '__proto__', 'constructor',
];
const CONTENT_TYPES = ['application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'application/jsonx', 'multipart/form-data; boundary=x', ''];

/** Percent-encoded, or (some of the time, when it is printable) sent as it is: `%ff` and `%` reach the decoder raw. */
function urlPart(r: ReturnType<typeof prng>, value: string): string {
  if (r.next() < 0.25 && /^[\x21-\x7e]*$/.test(value) && !/[?#&=]/.test(value)) return value;
  try {
    return encodeURIComponent(value);
  } catch {
    return '%ED%A0%80'; // a lone surrogate, as the invalid UTF-8 it would be
  }
}

function hostileRequest(r: ReturnType<typeof prng>): InjectOptions {
  const method = r.pick(['GET', 'GET', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'] as const);
  const path = r
    .pick(PATHS)
    .replace(/\{id\}/g, () => urlPart(r, r.pick(NASTY_STRINGS)))
    .replace('{user}', () => urlPart(r, r.pick(NASTY_STRINGS)));
  const query = Array.from({ length: r.int(4) }, () => `${urlPart(r, r.pick(FIELDS))}=${urlPart(r, r.pick(NASTY_STRINGS))}`).join('&');
  const headers: Record<string, string> = {};
  if (r.next() < 0.3) headers['idempotency-key'] = r.pick(NASTY_STRINGS).replace(/[^\x20-\x7e]/g, '?');
  // Admin reads are fair game; an admin token would allow deposits, so POSTs never carry it.
  if (method === 'GET' && r.next() < 0.3) headers.authorization = `Bearer ${ADMIN_TOKEN}`;
  else if (r.next() < 0.2) headers.authorization = `Bearer ${r.pick(NASTY_STRINGS).replace(/[^\x20-\x7e]/g, '?')}`;
  const opts: InjectOptions = { method, url: query ? `${path}?${query}` : path, headers };
  if (method !== 'GET' && method !== 'HEAD' && r.next() < 0.85) {
    const contentType = r.pick(CONTENT_TYPES);
    if (contentType) headers['content-type'] = contentType;
    if (r.next() < 0.2) {
      opts.payload = r.pick(['{', '{"a":', '[1,2', 'null', '"x"', '12', 'not json', '{"user_id":1,}', '\u0000']);
    } else {
      const body: Record<string, unknown> = {};
      for (let i = r.int(7); i > 0; i--) body[r.pick(FIELDS)] = r.pick(NASTY_VALUES);
      opts.payload = JSON.stringify(body);
    }
  }
  return opts;
}

describeEachDialect('hostile requests from a fixed seed', (newApp) => {
  test(`${CASES} hostile requests (seed ${SEED}): never a 5xx, always the error shape, never a write`, async () => {
    const t = await newApp();
    try {
      const before = await tableCounts(t.db);
      const r = prng(SEED);
      const statuses = new Map<number, number>();
      for (let i = 0; i < CASES; i++) {
        const req = hostileRequest(r);
        const res = await t.app.inject(req);
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        const what = `case ${i}: ${req.method} ${req.url} ${String(req.payload ?? '').slice(0, 200)} -> ${res.statusCode} ${res.body.slice(0, 300)}`;
        assert.ok(res.statusCode < 500, what);
        if (res.statusCode >= 400 && req.method !== 'HEAD') {
          const body = JSON.parse(res.body) as { error?: { code?: unknown; message?: unknown } };
          assert.equal(typeof body.error?.code, 'string', what);
          assert.match(body.error!.code as string, /^[a-z_]+$/, what);
          assert.equal(typeof body.error?.message, 'string', what);
        }
      }
      assert.deepEqual(await tableCounts(t.db), before, 'nothing written');
      // The generator reaches the validators and the guards, not just the router.
      for (const status of [400, 401, 404]) assert.ok((statuses.get(status) ?? 0) > 20, `${status}: ${JSON.stringify([...statuses])}`);
    } finally {
      await t.close();
    }
  });
});
