import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, test } from 'node:test';
import { sql } from 'kysely';
import { dbNow } from '../../src/db/clock.js';
import { OrderDelayReports } from '../../src/db/order-delays.js';
import { ADMIN_TOKEN, type TestApp } from '../support/app.js';
import { describeEachDialect } from '../support/dialects.js';
import { seedOrder } from '../support/seed.js';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const MIN = 60_000n;

describeEachDialect('GET /api/status/delays', (newApp) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await newApp();
  });
  afterEach(() => t.close());

  /** The database's now; waits out the last seconds of a minute so the test and the request see the same minutes. */
  async function settledNow(): Promise<bigint> {
    for (;;) {
      const now = BigInt((await sql<{ now: bigint }>`select ${dbNow(t.db.dialect)} as now`.execute(t.db.kysely)).rows[0]!.now);
      if (now % MIN < 55_000n) return now;
      await sleep(Number(MIN - (now % MIN)) + 10);
    }
  }

  test('when orders were created, activated and failed at known minutes, then each minute counts them, with the delays of those activated', async () => {
    const now = await settledNow();
    const m0 = (now / MIN) * MIN; // the current minute
    const m1 = m0 - MIN;
    const m2 = m0 - 2n * MIN;
    // Three created two minutes ago; two of them went active last minute, one after 64 s, one after 2 s.
    await seedOrder(t.db, { status: 'active', createdAt: m2 + 1000n, delegatedAt: m1 + 5000n, poolAddress: 'TPoolA', delegatedSun: 1n });
    await seedOrder(t.db, { status: 'completed', createdAt: m2 + 59_999n, delegatedAt: m1 + 1999n, poolAddress: 'TPoolA', delegatedSun: 1n });
    await seedOrder(t.db, { status: 'failed', createdAt: m2, failedAt: m0 });
    // Created last minute, failed the same minute; created this minute, still pending.
    await seedOrder(t.db, { status: 'failed', createdAt: m1 + 10n, failedAt: m1 + 20n });
    await seedOrder(t.db, { status: 'pending', createdAt: m0 });
    // Just before the window: not counted.
    await seedOrder(t.db, { status: 'active', createdAt: m2 - 1n, delegatedAt: m2 - 1n, poolAddress: 'TPoolA', delegatedSun: 1n });

    const res = await t.request({ method: 'GET', url: '/api/status/delays?minutes=3', headers: admin });
    assert.equal(res.status, 200);
    assert.equal(res.body.bucket_seconds, 60);
    assert.equal(res.body.from, new Date(Number(m2)).toISOString());
    const to = Date.parse(res.body.to);
    assert.ok(to >= Number(now) && to < Number(m0 + MIN), res.body.to);
    assert.deepEqual(res.body.buckets, [
      { at: new Date(Number(m2)).toISOString(), created: 3, activated: 0, failed: 0, avg_ms_to_active: null, max_ms_to_active: null },
      // (64000 + 2000) / 2 and 64000: delegated_at - created_at of the two.
      { at: new Date(Number(m1)).toISOString(), created: 1, activated: 2, failed: 1, avg_ms_to_active: 33_000, max_ms_to_active: 64_000 },
      { at: new Date(Number(m0)).toISOString(), created: 1, activated: 0, failed: 1, avg_ms_to_active: null, max_ms_to_active: null },
    ]);
  });

  test('when no minutes are given, then the last 60, every one present and zero-filled, oldest first', async () => {
    const now = await settledNow();
    await seedOrder(t.db, { status: 'pending', createdAt: now - 30n * MIN });
    const res = await t.request({ method: 'GET', url: '/api/status/delays', headers: admin });
    assert.equal(res.status, 200);
    const { buckets } = res.body;
    assert.equal(buckets.length, 60);
    for (let i = 1; i < buckets.length; i++) assert.equal(Date.parse(buckets[i].at) - Date.parse(buckets[i - 1].at), 60_000);
    assert.equal(buckets[59].at, new Date(Number((now / MIN) * MIN)).toISOString());
    assert.equal(buckets.reduce((sum: number, b: any) => sum + b.created, 0), 1);
    assert.equal(buckets[29].created, 1);
    assert.equal((await t.request({ method: 'GET', url: '/api/status/delays?minutes=1440', headers: admin })).body.buckets.length, 1440);
  });

  test('when minutes is out of range or not an integer, then 400 invalid_minutes; without the admin token, 401', async () => {
    for (const minutes of ['0', '1441', 'abc', '1.5', '-3']) {
      const res = await t.request({ method: 'GET', url: `/api/status/delays?minutes=${minutes}`, headers: admin });
      assert.equal(res.status, 400, minutes);
      assert.equal(res.body.error.code, 'invalid_minutes', minutes);
    }
    for (const headers of [{}, { authorization: 'Bearer wrong-token-entirely' }]) {
      const res = await t.request({ method: 'GET', url: '/api/status/delays', headers });
      assert.equal(res.status, 401);
      assert.equal(res.body.error.code, 'unauthorized');
    }
  });
});

describeEachDialect('OrderDelayReports', (newApp) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await newApp();
  });
  afterEach(() => t.close());

  test('when a dashboard polls again, then settled minutes come from memory and only recent ones are read again', async () => {
    const reports = new OrderDelayReports(t.db, 90_000n);
    const fresh = () => new OrderDelayReports(t.db, 90_000n).report(10);
    const first = await reports.report(10);
    const now = first.toMs;
    // A write stamped 5 minutes ago cannot happen in a working system (no lease lasts that long):
    // it shows that the settled minute was not read again.
    await seedOrder(t.db, { status: 'failed', createdAt: now - 5n * MIN, failedAt: now - 5n * MIN });
    // A write in the current minute is what happens all the time: it is seen.
    await seedOrder(t.db, { status: 'pending', createdAt: now });
    const second = await reports.report(10);
    const count = (r: typeof first, k: 'created' | 'failed') => r.buckets.reduce((s, b) => s + b[k], 0);
    assert.equal(count(second, 'created'), 1, 'the current minute is read again');
    assert.equal(count(second, 'failed'), 0, 'a settled minute is not');
    assert.equal(count(await fresh(), 'failed'), 1, 'while a new reader sees it');
    assert.equal(second.buckets.length, 10);
    assert.deepEqual(
      second.buckets.map((b) => b.atMs),
      (await fresh()).buckets.map((b) => b.atMs),
    );
  });
});
