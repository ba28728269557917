// Deposits on chain to tenants' users: a tenant's key asks for its user's
// deposit address, money sent there (on the devnet, over HTTP) is credited
// to that tenant's user and no other, and that tenant's receiver hears
// deposit.credited with the transfer's txid.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { TronWeb } from 'tronweb';
import { databasesOnDemand } from '../support/dialects.js';
import { ADMIN_TOKEN } from '../support/app.js';
import { TEST_XPUB } from '../support/deposit-keys.js';
import { stackPerTest, until, type Stack } from '../support/stack.js';
import { readmeVerifier, startReceiver } from '../webhooks/receiver.js';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const as = (key: string) => ({ authorization: `Bearer ${key}` });
const startStack = stackPerTest();
const databaseFor = databasesOnDemand();


/** Sends TRX from one of the devnet's customers, as a payer's wallet would; returns the txid. */
async function sendTrx(s: Stack, to: string, sun: number): Promise<string> {
  const c = s.devnet.accounts.customers[0]!;
  const sent = await new TronWeb({ fullHost: s.devnet.url, privateKey: c.privateKey }).trx.sendTransaction(to, sun);
  assert.equal(sent.result, true, JSON.stringify(sent));
  return sent.transaction.txID;
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  test(`[${dialect}] when two tenants' user 7 are sent TRX at the deposit addresses their keys fetched, each tenant's user 7 is credited its own transfer only, and each tenant's receiver hears deposit.credited with its txid`, async () => {
    const hookA = await startReceiver();
    const hookB = await startReceiver();
    try {
      const s = await startStack({ ...(await databaseFor(dialect)), env: { DEPOSIT_XPUB: TEST_XPUB, WEBHOOK_ALLOW_PRIVATE: 'true' } });
      const issue = async (name: string, url: string) => {
        const res = await s.request({ method: 'POST', url: '/api/admin/api-keys', headers: admin, payload: { name, webhook_url: url } });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        return res.body;
      };
      const a = await issue('wallet A', hookA.url);
      const b = await issue('wallet B', hookB.url);
      const addressOf = (key: string) => s.request({ method: 'GET', url: '/api/users/7/deposit-address', headers: as(key) });
      const user7 = (headers: Record<string, string> = {}) => s.request({ method: 'GET', url: '/api/users/7', headers });

      const gotA = await addressOf(a.key);
      assert.equal(gotA.status, 200, JSON.stringify(gotA.body));
      assert.equal(gotA.body.user_id, 7);
      assert.deepEqual((await addressOf(a.key)).body, gotA.body, 'the same address every time');
      // Another tenant's user 7 is not A's: unknown to B until B asks for it, then B's own, at its own address.
      const unknown = await user7(as(b.key));
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.error.code, 'not_found');
      assert.equal((await user7()).status, 404, 'nor is it the default tenant user 7');
      const gotB = await addressOf(b.key);
      assert.equal(gotB.status, 200);
      assert.equal(gotB.body.user_id, 7);
      assert.notEqual(gotB.body.address, gotA.body.address);
      assert.equal((await user7(as(b.key))).body.tenant_id, b.tenant_id);

      const txA = await sendTrx(s, gotA.body.address, 5_000_000);
      const txB = await sendTrx(s, gotB.body.address, 2_000_000);
      await until(
        async () => [(await user7(as(a.key))).body.balance_sun, (await user7(as(b.key))).body.balance_sun],
        ([x, y]) => x === '5000000' && y === '2000000',
        'each transfer is credited once solidified',
        20_000,
      );
      const ledger = async (key: string) => (await s.request({ method: 'GET', url: '/api/users/7/ledger', headers: as(key) })).body.entries.map((e: any) => [e.kind, e.currency, e.amount_sun]);
      assert.deepEqual(await ledger(a.key), [['deposit', 'TRX', '5000000']]);
      assert.deepEqual(await ledger(b.key), [['deposit', 'TRX', '2000000']]);
      assert.equal((await user7()).status, 404, 'the default tenant still has no user 7');
      const users = (await s.request({ method: 'GET', url: '/api/users', headers: admin })).body.users;
      assert.deepEqual(users.map((u: any) => [u.tenant_id, u.user_id, u.balance_sun]).sort(), [[a.tenant_id, 7, '5000000'], [b.tenant_id, 7, '2000000']].sort());

      await until(async () => [hookA.received.length, hookB.received.length], ([x, y]) => x! >= 1 && y! >= 1, 'each receiver hears its deposit', 10_000);
      await sleep(500);
      const verify = await readmeVerifier();
      for (const [hook, tenant, txid, address, amount] of [
        [hookA, a, txA, gotA.body.address, '5000000'],
        [hookB, b, txB, gotB.body.address, '2000000'],
      ] as const) {
        assert.equal(hook.received.length, 1, `${tenant.tenant_id}: its own deposit only`);
        const [got] = hook.received;
        assert.equal(got!.json.type, 'deposit.credited');
        assert.ok(verify(tenant.signing_secret, String(got!.headers['joule-signature']), got!.body), 'signed with its own secret');
        const d = got!.json.data;
        assert.deepEqual(
          [d.user_id, d.tenant_id, d.currency, d.amount, d.balance_after, d.txid, d.event_index, d.deposit_address, d.reference],
          [7, tenant.tenant_id, 'TRX', amount, amount, txid, 0, address, null],
        );
      }
    } finally {
      await hookA.close();
      await hookB.close();
    }
  });
}
