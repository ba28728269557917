import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TronWeb } from 'tronweb';
import { assertLedgerSound, startStack } from '../support/stack.js';

test('when a pool signs through a delegate-only hot key (Permission_id), then orders are delegated and reclaimed with it', async () => {
  const hot = await TronWeb.createAccount();
  // Joule knows only the hot key and the pool's address, never the pool's own key.
  const stack = await startStack({ poolCount: 1 });
  const pool = stack.devnet.accounts.pools[0]!;
  await stack.close();
  const s = await startStack({ env: { POOL_PRIVATE_KEYS: `${hot.privateKey}:2:${pool.address}` } });
  try {
    // The operator grants the hot key an active permission for DelegateResource (57) and UnDelegateResource (58) only.
    const tw = new TronWeb({ fullHost: s.devnet.url, privateKey: pool.privateKey });
    const operations = '00000000000000' + '06' + '00'.repeat(24);
    const update = await tw.transactionBuilder.updateAccountPermissions(
      pool.address,
      { type: 0, permission_name: 'owner', threshold: 1, keys: [{ address: pool.address, weight: 1 }] } as never,
      null as never,
      [{ type: 2, permission_name: 'delegate-only', threshold: 1, operations, keys: [{ address: hot.address.base58, weight: 1 }] }] as never,
    );
    assert.equal(((await tw.trx.sendRawTransaction(await tw.trx.sign(update))) as { result?: boolean }).result, true);

    await s.deposit(1, 100_000_000n);
    const placed = await s.order({ user_id: 1, energy_amount: 32000, duration: '2s', receive_address: s.customer() });
    const done = await s.waitFor(placed.id, (o) => o.status === 'completed', 30_000);
    assert.equal(done.pool_address, pool.address);
    assert.equal(done.reclaim_tx_status, 'confirmed');
    const txs = (await s.chainTxs()).filter((t) => t.status === 'included' && /DelegateResource/.test(t.contractType));
    assert.deepEqual(
      txs.map((t) => [t.contractType, t.owner]),
      [
        ['DelegateResourceContract', pool.address],
        ['UnDelegateResourceContract', pool.address],
      ],
    );
    await assertLedgerSound(s);
  } finally {
    await s.close();
  }
});
