// GET /devnet/calls counts the /wallet and /walletsolidity requests the node
// answered, by path, so a test can see what a client would cost a
// rate-limited node; the admin API itself is not counted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startDevnet } from '../../src/devnet/index.js';
import { admin, client } from './tronweb-client.js';

test('the node counts every wallet call by path, faulted ones too, and forgets them on DELETE', async () => {
  const devnet = await startDevnet({ blockIntervalMs: 0, solidifyLag: 0 });
  try {
    const pool = devnet.accounts.pools[0]!;
    const tw = client(devnet, pool.privateKey);
    await tw.trx.getCurrentBlock();
    await tw.trx.getCurrentBlock();
    await tw.trx.getAccount(pool.address);
    await admin(devnet, 'POST', '/faults/http-error', { status: 503, count: 1, pathPrefix: '/wallet/getaccountresource' });
    await assert.rejects(tw.trx.getAccountResources(pool.address), /503/);
    await fetch(`${devnet.url}/wallet/nosuchthing`);
    await admin(devnet, 'GET', '/status');
    assert.deepEqual(await admin(devnet, 'GET', '/calls'), {
      total: 5,
      by_path: {
        '/wallet/getaccountresource': 1,
        '/wallet/getnowblock': 2,
        '/wallet/nosuchthing': 1,
        '/walletsolidity/getaccount': 1,
      },
      rate_limited: 0,
    });
    const res = await fetch(`${devnet.url}/devnet/calls`, { method: 'DELETE' });
    assert.deepEqual(await res.json(), { total: 0, by_path: {}, rate_limited: 0 });
    await tw.trx.getCurrentBlock();
    assert.deepEqual(await admin(devnet, 'GET', '/calls'), { total: 1, by_path: { '/wallet/getnowblock': 1 }, rate_limited: 0 });
  } finally {
    await devnet.close();
  }
});
