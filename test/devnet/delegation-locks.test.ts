// Lock rules of Stake 2.0 delegation at their edges, as java-tron's
// DelegateResourceActuator and UnDelegateResourceActuator draw them: the
// longest lock is the chain's getMaxDelegateLockPeriod, a new lock may not
// end before the running one, and locked resource comes back only once the
// lock ended strictly before the head block's time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TronWeb } from 'tronweb';
import { startDevnet, type Devnet } from '../../src/devnet/index.js';
import { broadcast, client } from './tronweb-client.js';

const TRX = 1_000_000;

async function withDevnet(options: Parameters<typeof startDevnet>[0], run: (devnet: Devnet, tw: TronWeb) => Promise<void>): Promise<void> {
  const devnet = await startDevnet({ blockIntervalMs: 0, solidifyLag: 0, ...options });
  try {
    // A few blocks first, so chain time is ahead of the clock and every block is exactly 3 s later.
    await devnet.mine(5);
    await run(devnet, client(devnet, devnet.accounts.pools[0]!.privateKey));
  } finally {
    await devnet.close();
  }
}

function delegate(devnet: Devnet, tw: TronWeb, amount: number, lockPeriod?: number) {
  const pool = devnet.accounts.pools[0]!.address;
  const to = devnet.accounts.customers[0]!.address;
  return tw.transactionBuilder
    .delegateResource(amount, to, 'ENERGY', pool, lockPeriod !== undefined, lockPeriod)
    .then((tx) => tw.trx.sign(tx))
    .then((signed) => broadcast(tw, signed));
}

function undelegate(devnet: Devnet, tw: TronWeb, amount: number) {
  const pool = devnet.accounts.pools[0]!.address;
  const to = devnet.accounts.customers[0]!.address;
  return tw.transactionBuilder
    .undelegateResource(amount, to, 'ENERGY', pool)
    .then((tx) => tw.trx.sign(tx))
    .then((signed) => broadcast(tw, signed));
}

async function lockedRecord(devnet: Devnet, tw: TronWeb) {
  const { delegatedResource } = await tw.trx.getDelegatedResourceV2(devnet.accounts.pools[0]!.address, devnet.accounts.customers[0]!.address, {
    confirmed: false,
  });
  return delegatedResource?.find((r) => r.expire_time_for_energy !== undefined);
}

async function headTime(tw: TronWeb): Promise<number> {
  return (await tw.trx.getCurrentBlock()).block_header.raw_data.timestamp;
}

test('a lock ending exactly at the head block time is still locked; one block later it can be undelegated', async () => {
  await withDevnet({}, async (devnet, tw) => {
    const start = await headTime(tw);
    assert.equal((await delegate(devnet, tw, 5 * TRX, 10)).result, true);
    await devnet.mine(1);
    const record = await lockedRecord(devnet, tw);
    assert.equal(record?.expire_time_for_energy, start + 10 * 3000, 'the lock runs from the head block the delegation was applied on');
    await devnet.mine(9);
    assert.equal(await headTime(tw), record!.expire_time_for_energy);
    const early = await undelegate(devnet, tw, 5 * TRX);
    assert.equal(early.message, `Contract validate error : insufficient delegateFrozenBalance(Energy), request=${5 * TRX}, unlock_balance=0`);
    await devnet.mine(1);
    const late = await undelegate(devnet, tw, 5 * TRX);
    assert.equal(late.result, true, late.message);
  });
});

test('a new lock may end exactly when the running one does, not a block earlier', async () => {
  await withDevnet({}, async (devnet, tw) => {
    assert.equal((await delegate(devnet, tw, 5 * TRX, 100)).result, true);
    await devnet.mine(40);
    // 100 blocks from the first head, 40 gone by: 60 blocks (180,000 ms) remain.
    const shorter = await delegate(devnet, tw, TRX, 59);
    assert.equal(
      shorter.message,
      'Contract validate error : The lock period for ENERGY this time cannot be less than the remaining time[180000ms] of the last lock period for ENERGY!',
    );
    const equal = await delegate(devnet, tw, TRX, 60);
    assert.equal(equal.result, true, equal.message);
  });
});

test('the longest lock is getMaxDelegateLockPeriod, whatever the chain sets it to', async () => {
  await withDevnet({ maxDelegateLockPeriod: 1_000_000n }, async (devnet, tw) => {
    const params = await tw.trx.getChainParameters();
    assert.equal(params.find((p) => p.key === 'getMaxDelegateLockPeriod')?.value, 1_000_000);
    assert.equal((await delegate(devnet, tw, TRX, 900_000)).result, true);
    const over = await delegate(devnet, tw, TRX, 1_000_001);
    assert.equal(over.message, 'Contract validate error : The lock period of delegate resource cannot be less than 0 and cannot exceed 1000000!');
  });
});

test('while getMaxDelegateLockPeriod is not above 3 days, every lock is 3 days and lock_period is ignored', async () => {
  await withDevnet({ maxDelegateLockPeriod: 86_400n }, async (devnet, tw) => {
    const start = await headTime(tw);
    assert.equal((await delegate(devnet, tw, TRX, 5_000_000)).result, true, 'no upper bound is checked');
    await devnet.mine(1);
    assert.equal((await lockedRecord(devnet, tw))?.expire_time_for_energy, start + 86_400 * 3000);
  });
});
