// The HTTP edge tried as an attacker would, over real sockets: malformed
// requests, slow senders, piled-up connections. Every answer the server can
// still give is {"error":{"code","message"}}; nothing hangs; nothing is written.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { loggableUrl } from '../../src/api/http-edge.js';
import pg from 'pg';
import { createDatabase, startPostgres } from '../../scripts/services/postgres.js';
import { createTestApp, tableCounts, type TestApp } from '../support/app.js';

const PgClient = pg.Client;

let t: TestApp;
let port: number;
before(async () => {
  t = await createTestApp({ env: { HTTP_REQUEST_TIMEOUT_MS: '1000', HTTP_IDLE_TIMEOUT_MS: '500', HTTP_MAX_CONNECTIONS: '20' } });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  port = (t.app.server.address() as { port: number }).port;
});
after(() => t.close());

/** Sends raw bytes, returns everything the server wrote until it closed (or `waitMs` passed). */
function exchange(raw: string, waitMs = 1500): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let out = '';
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(out);
    };
    const timer = setTimeout(done, waitMs);
    socket.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      // One answer is all we want: stop once its declared body is in.
      const head = out.indexOf('\r\n\r\n');
      const length = /content-length: (\d+)/i.exec(out);
      if (head >= 0 && length && Buffer.byteLength(out.slice(head + 4)) >= Number(length[1])) done();
    });
    socket.on('end', done).on('error', done);
    socket.write(raw);
  });
}

function parse(response: string): { status: number; headers: string; body: any } {
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0);
  const head = response.indexOf('\r\n\r\n');
  let body: any = response.slice(head + 4);
  try {
    body = JSON.parse(body);
  } catch {
    // keep the text: the assertion below shows it
  }
  return { status, headers: response.slice(0, head).toLowerCase(), body };
}

const H = 'Host: localhost\r\n';
const CASES: Array<[string, string, number, string]> = [
  ['a path that does not decode', `GET /api/orders/%ff HTTP/1.1\r\n${H}\r\n`, 400, 'invalid_url'],
  ['a path parameter over 100 characters', `GET /api/orders/${'a'.repeat(150)} HTTP/1.1\r\n${H}\r\n`, 414, 'path_too_long'],
  ['Content-Length -1', `POST /api/orders HTTP/1.1\r\n${H}Content-Length: -1\r\n\r\n`, 400, 'invalid_content_length'],
  ['Content-Length with Transfer-Encoding', `POST /api/orders HTTP/1.1\r\n${H}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 400, 'invalid_transfer_encoding'],
  ['bare LF line ends', `GET /api/prices HTTP/1.1\nHost: localhost\n\n`, 400, 'malformed_request'],
  ['an obs-fold header', `GET /api/prices HTTP/1.1\r\n${H}X-A: b\r\n c\r\n\r\n`, 400, 'malformed_request'],
  ['headers over 16 KB', `GET /api/prices HTTP/1.1\r\n${H}X-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'headers_too_large'],
  ['no Host header', `GET /api/prices HTTP/1.1\r\n\r\n`, 400, 'missing_host'],
  ['a bogus Expect', `GET /api/prices HTTP/1.1\r\n${H}Expect: bogus\r\n\r\n`, 417, 'expectation_failed'],
  ['a NUL in the path', `GET /api/orders/%00 HTTP/1.1\r\n${H}\r\n`, 400, 'invalid_character'],
  ['a NUL in the query', `GET /api/orders?receive_address=%00 HTTP/1.1\r\n${H}\r\n`, 400, 'invalid_character'],
  ['a method HTTP does not know', `BREW /api/prices HTTP/1.1\r\n${H}\r\n`, 400, 'invalid_method'],
];

test('every malformed request the server can still answer gets {"error":{"code","message"}} with a stable code, and writes nothing', async () => {
  const before = await tableCounts(t.db);
  for (const [name, raw, status, code] of CASES) {
    const r = parse(await exchange(raw));
    assert.equal(r.status, status, `${name}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body?.error?.code, code, name);
    assert.equal(typeof r.body.error.message, 'string', name);
    assert.match(r.headers, /content-type: application\/json/, name);
  }
  assert.deepEqual(await tableCounts(t.db), before);
});

test('a body sent one byte at a time is cut off with 408 once the request timeout passes, not held for minutes', async () => {
  const socket: Socket = connect(port, '127.0.0.1');
  let out = '';
  socket.setEncoding('utf8').on('data', (d: string) => (out += d));
  const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now())));
  socket.on('error', () => {});
  const started = Date.now();
  socket.write(`POST /api/orders HTTP/1.1\r\n${H}Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{`);
  const drip = setInterval(() => socket.writable && socket.write(' '), 200);
  try {
    const at = await Promise.race([closed, sleep(8000).then(() => -1)]);
    assert.notEqual(at, -1, 'the server closed the slow connection');
    assert.ok(at - started < 5000, `closed after ${at - started} ms`);
    const r = parse(out);
    assert.equal(r.status, 408);
    assert.equal(r.body.error.code, 'request_timeout');
  } finally {
    clearInterval(drip);
    socket.destroy();
  }
});

test('connections past HTTP_MAX_CONNECTIONS are closed at once, and the server still answers afterwards', async () => {
  const sockets: Socket[] = [];
  let closedEarly = 0;
  for (let i = 0; i < 35; i++) {
    const s = connect(port, '127.0.0.1');
    s.on('error', () => {});
    s.on('close', () => closedEarly++);
    sockets.push(s);
  }
  // The server closes each one past the cap as it accepts it; give a busy machine a moment.
  for (const deadline = Date.now() + 5000; closedEarly < 15 && Date.now() < deadline; ) await sleep(50);
  assert.ok(closedEarly >= 15, `${closedEarly} of 35 closed (cap 20)`);
  for (const s of sockets) s.destroy();
  await sleep(100);
  const r = parse(await exchange(`GET /api/prices HTTP/1.1\r\n${H}Connection: close\r\n\r\n`));
  assert.equal(r.status, 200);
});

test('API answers say nosniff and no-store; credential-like query values never reach the request log', async () => {
  const r = await t.request({ method: 'GET', url: '/api/prices' });
  assert.equal(r.headers['x-content-type-options'], 'nosniff');
  assert.equal(r.headers['cache-control'], 'no-store');
  assert.equal(loggableUrl('/api/orders?user_id=1&api_key=s3cret&token=abc&Key=x'), '/api/orders?user_id=1&api_key=[redacted]&token=[redacted]&Key=[redacted]');
  assert.equal(loggableUrl('/api/orders?status=active'), '/api/orders?status=active');
});

test('a NUL anywhere in a body is refused with 400 and writes nothing', async () => {
  await t.deposit(1, 100_000_000n);
  const before = await tableCounts(t.db);
  const order = { user_id: 1, energy_amount: 32000, duration: '1h', receive_address: 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t' };
  for (const payload of [{ ...order, client_order_id: 'a\u0000b' }, { ...order, receive_address: 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6\u0000' }]) {
    const res = await t.request({ method: 'POST', url: '/api/orders', payload });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'invalid_character');
  }
  const dep = await t.request({ method: 'POST', url: '/api/users/1/deposits', headers: { authorization: 'Bearer test-admin-token-0123456789' }, payload: { amount_sun: '5', reference: 'x\u0000' } });
  assert.equal(dep.status, 400);
  assert.deepEqual(await tableCounts(t.db), before);
});

test('a body of arrays nested thousands deep, or a NUL deep inside one, is a 400 like any body of the wrong shape, never a 500', async () => {
  const before = await tableCounts(t.db);
  for (const [body, code] of [
    ['['.repeat(6000) + ']'.repeat(6000), 'invalid_request'],
    ['{"a":' + '['.repeat(6000) + '"\\u0000"' + ']'.repeat(6000) + '}', 'invalid_character'],
  ] as const) {
    const res = await t.request({ method: 'POST', url: '/api/orders', headers: { 'content-type': 'application/json' }, payload: body });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal(res.body.error.code, code);
  }
  assert.deepEqual(await tableCounts(t.db), before);
});

test('list reads without a key, or with a made-up one, take no place among HTTP_MAX_CONCURRENT_READS: a tenant\'s read beside a flood of them is served', async () => {
  const KEY = 'tenant-key-0123456789abcdef';
  const g = await createTestApp({ env: { API_KEYS: KEY, HTTP_MAX_CONCURRENT_READS: '2' } });
  try {
    const flood = Array.from({ length: 40 }, (_, i) =>
      g.request({ method: 'GET', url: '/api/orders', headers: i % 2 === 0 ? {} : { authorization: `Bearer made-up-${i}` } }),
    );
    const mine = g.request({ method: 'GET', url: '/api/orders', headers: { authorization: `Bearer ${KEY}` } });
    const answers = await Promise.all(flood);
    assert.deepEqual([...new Set(answers.map((r) => r.status))], [401], 'refused for their key, not shed');
    assert.equal((await mine).status, 200);
  } finally {
    await g.close();
  }
});

test('a pile-up of list reads (GET or HEAD) past HTTP_MAX_CONCURRENT_READS is shed at once with 503 overloaded and Retry-After; creation is never shed', async () => {
  // On PostgreSQL reads overlap (its answers are asynchronous), so the in-flight bound is what sheds
  // here; on SQLite the bound per event-loop turn does (bench/order-list.bench.ts shows it).
  // A lock held on the orders table keeps the first reads in flight, so the pile-up is certain.
  const pg = await startPostgres();
  const url = await createDatabase(pg.url);
  const g = await createTestApp({ databaseUrl: url, env: { HTTP_MAX_CONCURRENT_READS: '2' } });
  const holder = new PgClient({ connectionString: url });
  try {
    await holder.connect();
    await g.app.listen({ host: '127.0.0.1', port: 0 });
    const gatePort = (g.app.server.address() as { port: number }).port;
    await g.deposit(1, 10_000_000_000n);
    const order = JSON.stringify({ user_id: 1, energy_amount: 32000, duration: '1h', receive_address: 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t' });
    const post = `POST /api/orders HTTP/1.1\r\n${H}Content-Type: application/json\r\nContent-Length: ${order.length}\r\nConnection: close\r\n\r\n${order}`;
    const read = `GET /api/orders?limit=200 HTTP/1.1\r\n${H}Connection: close\r\n\r\n`;
    // HEAD runs the same read (Fastify answers it with the GET route's handler), without the body.
    const head = `HEAD /api/orders?limit=200 HTTP/1.1\r\n${H}Connection: close\r\n\r\n`;
    await holder.query('begin');
    await holder.query('lock table orders in access exclusive mode');
    const send = (raw: string) =>
      new Promise<{ status: number; headers: string; body: any }>((resolve) => {
        const s = connect(gatePort, '127.0.0.1');
        let out = '';
        s.setEncoding('utf8').on('data', (d: string) => (out += d)).on('end', () => resolve(parse(out))).on('error', () => resolve(parse(out)));
        s.write(raw);
      });
    const reads: Array<Promise<{ status: number; headers: string; body: any }>> = [];
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) {
      const r = send(i % 2 === 0 ? read : head);
      void r.then((x) => statuses.push(x.status));
      reads.push(r);
    }
    const posts = Array.from({ length: 5 }, () => send(post));
    // The two reads let through wait on the lock; every other one is answered at once.
    const deadline = Date.now() + 10_000;
    while (statuses.length < 38 && Date.now() < deadline) await sleep(20);
    assert.deepEqual(statuses.length, 38, 'all but the two in flight answered while the lock was held');
    assert.ok(statuses.every((s) => s === 503));
    await holder.query('commit');
    const all = await Promise.all(reads);
    assert.equal(all.filter((r) => r.status === 200).length, 2, 'the two in flight are served');
    for (const r of all.filter((x) => x.status === 503)) {
      assert.match(r.headers, /retry-after: 1/);
      if (r.body !== '') assert.equal(r.body.error.code, 'overloaded');
    }
    assert.ok(all.filter((r) => r.status === 503 && r.body === '').length >= 18, 'HEAD shed as GET is (all twenty but those let through)');
    assert.deepEqual((await Promise.all(posts)).map((r) => r.status), [201, 201, 201, 201, 201]);
  } finally {
    await holder.end().catch(() => {});
    await g.close();
    await pg.stop();
  }
});
