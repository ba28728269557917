import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { spawnJoule } from './support/process.js';
import { freePort } from './support/telegram.js';

const dir = mkdtempSync(join(tmpdir(), 'joule-main-'));

async function pollOrder(url: string, id: string, until: (o: any) => boolean): Promise<any> {
  const deadline = Date.now() + 30_000;
  let last: any;
  while (Date.now() < deadline) {
    last = await (await fetch(`${url}/api/orders/${id}`)).json();
    if (until(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`order ${id} stuck: ${JSON.stringify(last)}`);
}
after(() => rmSync(dir, { recursive: true, force: true }));

test('the seed flow on embedded defaults: generated admin token, deposit, order 201 pending, "order created" logged, executed on the embedded devnet, clean SIGTERM', async () => {
  const proc = spawnJoule([], { DATA_DIR: join(dir, 'data'), DATABASE_URL: `sqlite:${join(dir, 'data', 'joule.db')}` });
  const j = await proc.started();
  try {
    const tokenFile = join(dir, 'data', 'admin-token');
    assert.ok(existsSync(tokenFile));
    assert.equal(statSync(tokenFile).mode & 0o777, 0o600);
    const token = readFileSync(tokenFile, 'utf8').trim();

    // The start line says where the dashboard is, and it is there.
    const started = await j.waitForLog((l) => l.msg === 'joule started');
    assert.equal(started.dashboard, `${j.url}/dashboard/`);
    const page = await fetch(started.dashboard);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<div id="app"><\/div>/);

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

    // The seed's address is the USDT contract: the order fails and is refunded.
    const failed = await pollOrder(j.url, order.id, (o) => o.status === 'failed');
    assert.equal(failed.error_code, 'receiver_is_contract');

    // One of the embedded devnet's demo customers gets the energy.
    const devnetLine = await j.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('embedded devnet started'));
    const rent = await fetch(`${j.url}/api/orders/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user_id: 999888, energy_amount: 32000, duration: '1h', receive_address: devnetLine.customers[0] }),
    });
    assert.equal(rent.status, 201);
    const rented = (await rent.json()) as { id: string };
    const active = await pollOrder(j.url, rented.id, (o) => o.status === 'active');
    assert.equal(active.delegate_tx_status, 'confirmed');
    assert.ok(j.logs.some((l) => l.msg === 'order dispatched in-process' && l.orderId === rented.id && l.path === 'in-process'));

    const keys = ((await (await fetch(`${devnetLine.url}/devnet/accounts`)).json()) as { accounts: Array<{ role: string; privateKey: string }> }).accounts.filter((a) => a.role === 'pool').map((a) => a.privateKey);
    assert.ok(keys.length > 0);
    const everything = JSON.stringify(j.logs) + j.stderr();
    assert.ok(!everything.includes(token), 'the admin token never reaches the log');
    for (const key of keys) assert.ok(!everything.includes(key), 'pool keys never reach the log');
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

test('role bot stops start-up with one line naming what is missing: its token, or a Bot API server to reach', async () => {
  const bare = spawnJoule(['bot'], { DATA_DIR: join(dir, 'bot') });
  assert.equal(await bare.exited, 2);
  assert.deepEqual(bare.stderr().trim().split('\n'), ['joule: invalid configuration: TELEGRAM_BOT_TOKEN: is required for role bot (the token @BotFather gave the bot)']);
  const token = '123456789:abcdefghijklmnopqrstuvwxyz';
  const nowhere = spawnJoule(['bot'], { DATA_DIR: join(dir, 'bot'), TELEGRAM_BOT_TOKEN: token, JOULE_API_KEY: 'jk_0123456789abcdef0123', TELEGRAM_API_ROOT: `http://127.0.0.1:${await freePort()}` });
  assert.equal(await nowhere.exited, 2);
  const lines = nowhere.stderr().trim().split('\n');
  assert.equal(lines.length, 1, nowhere.stderr());
  assert.match(lines[0]!, /^joule: invalid configuration: TELEGRAM_API_ROOT: cannot reach the Bot API at http:\/\/127\.0\.0\.1:\d+$/);
  assert.ok(!nowhere.stderr().includes(token), 'the token is never printed');
});

test('a FLASH_RENT_ADDRESS that is not one of the pools stops start-up with one line: Joule could not sign its refunds', async () => {
  const proc = spawnJoule([], { FLASH_RENT_ADDRESS: 'TS8yE1SMGroe8V2ZWqm1atZqpKAeLui1EX', FLASH_RENT_TABLE: '3:65000:1h', DATA_DIR: join(dir, 'flash') });
  assert.equal(await proc.exited, 2);
  const lines = proc.stderr().trim().split('\n');
  assert.equal(lines.length, 1, proc.stderr());
  assert.match(lines[0]!, /^joule: invalid configuration: FLASH_RENT_ADDRESS: TS8yE1SMGroe8V2ZWqm1atZqpKAeLui1EX is not one of the pool accounts/);
});

test('on a non-loopback HOST without API_KEYS, Joule refuses to start, naming API_KEYS; CLIENT_AUTH=none starts it with a warning', async () => {
  const open = spawnJoule([], { HOST: '0.0.0.0', DATA_DIR: join(dir, 'open') });
  assert.equal(await open.exited, 2);
  const lines = open.stderr().trim().split('\n');
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /^joule: invalid configuration: API_KEYS: is required when HOST \(0\.0\.0\.0\) is not a loopback address/);

  const said = await spawnJoule(['api'], { HOST: '127.0.0.1', CLIENT_AUTH: 'none', DATA_DIR: join(dir, 'said'), DATABASE_URL: `sqlite:${join(dir, 'said', 'j.db')}` }).started();
  try {
    assert.ok(said.logs.some((l) => l.level === 40 && /CLIENT_AUTH=none/.test(l.msg)), 'a warning at start');
  } finally {
    assert.equal(await said.stop('SIGTERM'), 0);
  }
});

test('what Joule keeps on disk is its owner\'s alone: database, devnet state and data folder; a token file others could read is made owner-only', async () => {
  const { mkdirSync, writeFileSync, readdirSync } = await import('node:fs');
  const data = join(dir, 'private');
  const token = 'a-token-someone-wrote-by-hand-0001';
  mkdirSync(data, { mode: 0o755 });
  writeFileSync(join(data, 'admin-token'), `${token}\n`, { mode: 0o644 });
  const j = await spawnJoule([], { DATA_DIR: data, DATABASE_URL: `sqlite:${join(data, 'db', 'joule.db')}` }).started();
  try {
    assert.ok(j.logs.some((l) => l.level === 40 && /admin token file was readable by others/.test(l.msg)));
    assert.equal(statSync(join(data, 'admin-token')).mode & 0o777, 0o600);
    assert.equal(readFileSync(join(data, 'admin-token'), 'utf8').trim(), token, 'the token itself is kept');
    assert.equal(statSync(join(data, 'db')).mode & 0o777, 0o700);
    for (const name of readdirSync(join(data, 'db'))) assert.equal(statSync(join(data, 'db', name)).mode & 0o777, 0o600, name);
  } finally {
    assert.equal(await j.stop('SIGTERM'), 0);
  }
  // The devnet writes its state on the way out.
  assert.equal(statSync(join(data, 'devnet.json')).mode & 0o777, 0o600);
});
