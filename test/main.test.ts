import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { spawnJoule } from './support/process.js';

const dir = mkdtempSync(join(tmpdir(), 'joule-main-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('the seed flow on embedded defaults: generated admin token, deposit, order 201 pending, "order created" logged, clean SIGTERM', async () => {
  const proc = spawnJoule([], { DATA_DIR: join(dir, 'data'), DATABASE_URL: `sqlite:${join(dir, 'data', 'joule.db')}` });
  const j = await proc.started();
  try {
    const tokenFile = join(dir, 'data', 'admin-token');
    assert.ok(existsSync(tokenFile));
    assert.equal(statSync(tokenFile).mode & 0o777, 0o600);
    const token = readFileSync(tokenFile, 'utf8').trim();

    const dep = await fetch(`${j.url}/api/users/999888/deposits`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ amount_sun: '100000000', reference: 'topup-1' }),
    });
    assert.equal(dep.status, 201);

    const res = await fetch(`${j.url}/api/orders/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"user_id":999888,"energy_amount":32000,"duration":"1h","receive_address":"TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"}',
    });
    assert.equal(res.status, 201);
    const order = (await res.json()) as { id: string; status: string; price_sun: string };
    assert.equal(order.status, 'pending');
    assert.equal(order.price_sun, '2080000');

    const created = await j.waitForLog((l) => l.msg === 'order created');
    assert.equal(created.orderId, order.id);
    assert.equal(created.userId, '999888');
    const everything = JSON.stringify(j.logs) + j.stderr();
    assert.ok(!everything.includes(token), 'the admin token never reaches the log');
  } finally {
    assert.equal(await j.stop('SIGTERM'), 0);
  }
  assert.ok(j.logs.some((l) => l.msg === 'stopped'));
});

test('a bad setting stops start-up with one line naming the variable', async () => {
  const proc = spawnJoule([], { MAX_ENERGY: 'lots', DATA_DIR: join(dir, 'bad') });
  assert.equal(await proc.exited, 2);
  const lines = proc.stderr().trim().split('\n');
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /^joule: invalid configuration: MAX_ENERGY: must be a whole number/);
});
