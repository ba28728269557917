// What a TronWeb user sees against the devnet: the Stake 2.0 round trip,
// every validation failure with java-tron's code and message, and the
// broadcast-level checks (signature, TaPoS, expiration, duplicates).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TronWeb } from 'tronweb';
import { startDevnet, type DevAccount, type Devnet } from '../../src/devnet/index.js';
import { broadcast, client, freshAddress, rebuild, signWith } from './tronweb-client.js';

const TRX = 1_000_000;

describe('devnet conformance through TronWeb', () => {
  let devnet: Devnet;
  let pool: DevAccount;
  let customer: DevAccount;
  let other: DevAccount;
  let tw: TronWeb;

  before(async () => {
    devnet = await startDevnet({ blockIntervalMs: 0, solidifyLag: 3 });
    pool = devnet.accounts.pools[0]!;
    customer = devnet.accounts.customers[0]!;
    other = devnet.accounts.customers[1]!;
    tw = client(devnet, pool.privateKey);
  });
  after(() => devnet.close());

  async function delegate(amount: number, to: string, lock = false, lockPeriod?: number) {
    const tx = await tw.transactionBuilder.delegateResource(amount, to, 'ENERGY', pool.address, lock, lockPeriod);
    return broadcast(tw, await tw.trx.sign(tx));
  }

  async function undelegate(amount: number, to: string) {
    const tx = await tw.transactionBuilder.undelegateResource(amount, to, 'ENERGY', pool.address);
    return broadcast(tw, await tw.trx.sign(tx));
  }

  test('isConnected and the energy ratio read like mainnet', async () => {
    assert.deepEqual(await tw.isConnected(), { fullNode: true, solidityNode: true, eventServer: false });
    const res = await tw.trx.getAccountResources(pool.address);
    assert.equal(res.TotalEnergyLimit, 180_000_000_000);
    const perTrx = res.TotalEnergyLimit! / res.TotalEnergyWeight!;
    assert.ok(perTrx > 9 && perTrx < 10, `energy per TRX ${perTrx}`);
    assert.ok(res.EnergyLimit! > 5_000_000, 'a pool can lend several million energy');
  });

  test('when a customer stakes TRX for energy, then its balance moves into frozenV2 and it gets energy', async () => {
    const ctw = client(devnet, customer.privateKey);
    const tx = await ctw.transactionBuilder.freezeBalanceV2(100 * TRX, 'ENERGY', customer.address);
    const out = await broadcast(ctw, await ctw.trx.sign(tx));
    assert.deepEqual({ result: out.result, code: out.code }, { result: true, code: undefined });
    await devnet.mine(1);
    const account = await ctw.trx.getUnconfirmedAccount(customer.address);
    assert.equal(account.balance, 900 * TRX);
    assert.deepEqual(account.frozenV2?.find((f) => f.type === 'ENERGY'), { type: 'ENERGY', amount: 100 * TRX });
    const res = await ctw.trx.getAccountResources(customer.address);
    assert.equal(res.EnergyLimit, Math.floor((100 * 180_000_000_000) / res.TotalEnergyWeight!));
  });

  test('when a pool delegates without lock, then both views show it once solidified and the receiver gains energy', async () => {
    const before = (await tw.trx.getAccountResources(other.address)).EnergyLimit ?? 0;
    const out = await delegate(1000 * TRX, other.address);
    assert.equal(out.result, true);
    await devnet.mine(1);
    const full = await tw.trx.getDelegatedResourceV2(pool.address, other.address, { confirmed: false });
    assert.deepEqual(full.delegatedResource, [
      { from: tw.address.toHex(pool.address).toLowerCase(), to: tw.address.toHex(other.address).toLowerCase(), frozen_balance_for_energy: 1000 * TRX },
    ]);
    assert.deepEqual(await tw.trx.getDelegatedResourceV2(pool.address, other.address), {}, 'not solid yet');
    assert.deepEqual(await tw.trx.getTransactionInfo(out.txid), {}, 'not solid yet');
    await devnet.mine(3);
    const solid = await tw.trx.getDelegatedResourceV2(pool.address, other.address);
    assert.deepEqual(solid, full);
    const info = await tw.trx.getTransactionInfo(out.txid);
    assert.equal(info.id, out.txid);
    assert.equal(typeof info.blockNumber, 'number');
    const afterLimit = (await tw.trx.getAccountResources(other.address)).EnergyLimit ?? 0;
    assert.ok(afterLimit - before > 9000, `energy grew by ${afterLimit - before}`);
    const index = await tw.trx.getDelegatedResourceAccountIndexV2(pool.address);
    assert.deepEqual(index.toAccounts, [tw.address.toHex(other.address).toLowerCase()]);
  });

  test('when a pool delegates with a lock, then the record carries the expiry and undelegation waits for it', async () => {
    const out = await delegate(50 * TRX, customer.address, true, 10);
    assert.equal(out.result, true);
    await devnet.mine(1);
    const { delegatedResource } = await tw.trx.getDelegatedResourceV2(pool.address, customer.address, { confirmed: false });
    assert.equal(delegatedResource?.length, 1);
    const record = delegatedResource![0]!;
    assert.equal(record.frozen_balance_for_energy, 50 * TRX);
    const block = await tw.trx.getCurrentBlock();
    assert.ok(record.expire_time_for_energy! > block.block_header.raw_data.timestamp);

    const early = await undelegate(50 * TRX, customer.address);
    assert.equal(early.code, 'CONTRACT_VALIDATE_ERROR');
    assert.equal(
      early.message,
      `Contract validate error : insufficient delegateFrozenBalance(Energy), request=${50 * TRX}, unlock_balance=0`,
    );
    await devnet.mine(11);
    const late = await undelegate(50 * TRX, customer.address);
    assert.equal(late.result, true, late.message);
    await devnet.mine(1);
    assert.deepEqual(await tw.trx.getDelegatedResourceV2(pool.address, customer.address, { confirmed: false }), {});
  });

  test('when a pool undelegates part, then the aggregate shrinks and capacity returns', async () => {
    const maxBefore = (await tw.trx.getCanDelegatedMaxSize(pool.address, 'ENERGY', { confirmed: false })).max_size!;
    const out = await undelegate(400 * TRX, other.address);
    assert.equal(out.result, true, out.message);
    await devnet.mine(1);
    const { delegatedResource } = await tw.trx.getDelegatedResourceV2(pool.address, other.address, { confirmed: false });
    assert.equal(delegatedResource![0]!.frozen_balance_for_energy, 600 * TRX);
    const maxAfter = (await tw.trx.getCanDelegatedMaxSize(pool.address, 'ENERGY', { confirmed: false })).max_size!;
    assert.equal(maxAfter - maxBefore, 400 * TRX);
  });

  describe('validation failures answer java-tron code and message', () => {
    const cases: Array<[string, () => Promise<{ code?: string; message?: string }>, string]> = [
      ['below 1 TRX', () => delegate(TRX - 1, customer.address), 'delegateBalance must be greater than or equal to 1 TRX'],
      [
        'beyond capacity',
        async () => {
          const { max_size } = await tw.trx.getCanDelegatedMaxSize(pool.address, 'ENERGY', { confirmed: false });
          return delegate(max_size! + TRX, customer.address);
        },
        'delegateBalance must be less than or equal to available FreezeEnergyV2 balance',
      ],
      [
        'receiver not activated',
        async () => {
          const fresh = freshAddress();
          const out = await delegate(TRX, fresh);
          return { ...out, message: out.message?.replace(tw.address.toHex(fresh).toLowerCase(), '<fresh>') };
        },
        'Account[<fresh>] not exists',
      ],
      ['receiver is a contract', () => delegate(TRX, devnet.accounts.contracts[0]!), 'Do not allow delegate resources to contract addresses'],
      [
        'receiver is the owner',
        async () => {
          const tx = await tw.transactionBuilder.delegateResource(TRX, customer.address, 'ENERGY', pool.address);
          const self = rebuild(tx, (v) => {
            v.receiver_address = v.owner_address;
          });
          return broadcast(tw, await tw.trx.sign(self));
        },
        'receiverAddress must not be the same as ownerAddress',
      ],
      [
        'lock period above 864000 blocks',
        () => delegate(TRX, customer.address, true, 864_001),
        'The lock period of delegate resource cannot be less than 0 and cannot exceed 864000!',
      ],
      ['undelegate with nothing delegated', () => undelegate(TRX, devnet.accounts.customers[2]!.address), 'delegated Resource does not exist'],
      [
        'undelegate more than delegated',
        () => undelegate(601 * TRX, other.address),
        `insufficient delegateFrozenBalance(Energy), request=${601 * TRX}, unlock_balance=${600 * TRX}`,
      ],
    ];
    for (const [name, run, message] of cases) {
      test(name, async () => {
        const out = await run();
        assert.equal(out.code, 'CONTRACT_VALIDATE_ERROR');
        assert.equal(out.message, `Contract validate error : ${message}`);
      });
    }

    test('a new lock shorter than the remaining one', async () => {
      assert.equal((await delegate(TRX, devnet.accounts.customers[2]!.address, true, 1000)).result, true);
      await devnet.mine(1);
      const out = await delegate(TRX, devnet.accounts.customers[2]!.address, true, 100);
      assert.equal(out.code, 'CONTRACT_VALIDATE_ERROR');
      assert.match(
        out.message!,
        /^Contract validate error : The lock period for ENERGY this time cannot be less than the remaining time\[\d+ms\] of the last lock period for ENERGY!$/,
      );
    });
  });

  test('when a foreign key signs, then SIGERROR names the signer', async () => {
    const tx = await tw.transactionBuilder.delegateResource(TRX, other.address, 'ENERGY', pool.address);
    const forged = signWith(customer.privateKey, tx);
    const out = await broadcast(tw, forged);
    assert.equal(out.code, 'SIGERROR');
    assert.equal(
      out.message,
      `Validate signature error: ${(forged as unknown as { signature: string[] }).signature[0]!.toLowerCase()} is signed by ${customer.address} but it is not contained of permission.`,
    );
  });

  test('when the transaction has expired against the head block, then TRANSACTION_EXPIRATION_ERROR', async () => {
    const tx = await tw.transactionBuilder.delegateResource(TRX, other.address, 'ENERGY', pool.address);
    const signed = await tw.trx.sign(tx);
    await devnet.mine(21); // 63 s of chain time; TronWeb gives 60 s
    const out = await broadcast(tw, signed);
    assert.deepEqual([out.code, out.message], ['TRANSACTION_EXPIRATION_ERROR', 'Transaction expired']);
  });

  test('when the reference block hash is wrong, then TAPOS_ERROR', async () => {
    const head = await tw.trx.getCurrentBlock();
    const { number, timestamp } = head.block_header.raw_data;
    const tx = await tw.transactionBuilder.delegateResource(TRX, other.address, 'ENERGY', pool.address, false, undefined, {
      blockHeader: {
        ref_block_bytes: number.toString(16).slice(-4).padStart(4, '0'),
        ref_block_hash: 'ffffffffffffffff',
        expiration: timestamp + 60_000,
        timestamp,
      },
    });
    const out = await broadcast(tw, await tw.trx.sign(tx));
    assert.deepEqual([out.code, out.message], ['TAPOS_ERROR', 'Tapos check error.']);
  });

  test('when the same transaction is broadcast twice, then the second is DUP_TRANSACTION_ERROR, before and after its block', async () => {
    const tx = await tw.transactionBuilder.delegateResource(TRX, other.address, 'ENERGY', pool.address);
    const signed = await tw.trx.sign(tx);
    assert.equal((await broadcast(tw, signed)).result, true);
    assert.deepEqual(await broadcast(tw, signed), {
      result: false,
      txid: signed.txID,
      code: 'DUP_TRANSACTION_ERROR',
      message: 'Dup transaction.',
    });
    await devnet.mine(1);
    assert.equal((await broadcast(tw, signed)).code, 'DUP_TRANSACTION_ERROR');
  });

  test('when a delegate-only key signs with Permission_id, then delegation succeeds and nothing else is allowed', async () => {
    const owner = devnet.accounts.pools[1]!;
    const otw = client(devnet, owner.privateKey);
    const hot = await otw.createAccount();
    // Bits 57 (DelegateResource) and 58 (UnDelegateResource) of the 256-bit operations mask.
    const operations = '00000000000000' + '06' + '00'.repeat(24);
    const update = await otw.transactionBuilder.updateAccountPermissions(
      owner.address,
      { type: 0, permission_name: 'owner', threshold: 1, keys: [{ address: owner.address, weight: 1 }] },
      null as never,
      [{ type: 2, permission_name: 'delegate-only', threshold: 1, operations, keys: [{ address: hot.address.base58, weight: 1 }] }] as never,
    );
    const updated = await broadcast(otw, await otw.trx.sign(update));
    assert.equal(updated.result, true, updated.message);
    await devnet.mine(1);
    const account = await otw.trx.getUnconfirmedAccount(owner.address);
    assert.deepEqual(account.active_permission?.map((p) => [p.id, p.permission_name, p.operations]), [[2, 'delegate-only', operations]]);

    const htw = client(devnet, hot.privateKey);
    const tx = await htw.transactionBuilder.delegateResource(5 * TRX, customer.address, 'ENERGY', owner.address, false, undefined, {
      permissionId: 2,
    });
    const signed = await htw.trx.multiSign(tx, hot.privateKey, 2);
    const ok = await broadcast(htw, signed);
    assert.equal(ok.result, true, ok.message);

    const transfer = await htw.transactionBuilder.sendTrx(customer.address, TRX, owner.address, { permissionId: 2 });
    const denied = await broadcast(htw, await htw.trx.multiSign(transfer, hot.privateKey, 2));
    assert.deepEqual([denied.code, denied.message], ['SIGERROR', 'Validate signature error: Permission denied']);

    const byOwnerKey = await otw.transactionBuilder.delegateResource(5 * TRX, other.address, 'ENERGY', owner.address, false, undefined, {
      permissionId: 2,
    });
    const wrong = await broadcast(otw, await otw.trx.multiSign(byOwnerKey, owner.privateKey, 2));
    assert.equal(wrong.code, 'SIGERROR');
    assert.match(wrong.message!, new RegExp(`is signed by ${owner.address} but it is not contained of permission\\.$`));
  });

  test('when a transfer reaches a new address, then it is activated and the fee is burned', async () => {
    const fresh = freshAddress();
    const tx = await tw.transactionBuilder.sendTrx(fresh, 5 * TRX, pool.address);
    const before = await tw.trx.getUnconfirmedBalance(pool.address);
    assert.equal((await broadcast(tw, await tw.trx.sign(tx))).result, true);
    await devnet.mine(1);
    assert.equal(await tw.trx.getUnconfirmedBalance(fresh), 5 * TRX);
    assert.equal(await tw.trx.getUnconfirmedBalance(pool.address), before - 6 * TRX);
    const delegated = await delegate(TRX, fresh);
    assert.equal(delegated.result, true, 'an activated address can receive energy');
  });
});
