// A devnet with a data file moves settled blocks and transactions to a history
// file beside it: the data file, rewritten after every block with a
// transaction, stops growing with the chain, and every transaction is still
// answered, as a java-tron node answers for its whole history.
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { startDevnet, type Devnet } from '../../src/devnet/index.js';
import { admin, broadcast, client } from './tronweb-client.js';

const dir = mkdtempSync(join(tmpdir(), 'devnet-history-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// Blocks enough for a transaction to settle (TronWeb's 60 s expiration, each
// block on request being 3 s of chain time; the solidified head and a margin)
// and for the data file's window of 2,000 recent blocks to be full, so that
// its sizes compare.
const SETTLE_BLOCKS = 2_100;

async function delegate(devnet: Devnet, sun: number) {
  const pool = devnet.accounts.pools[0]!;
  const customer = devnet.accounts.customers[0]!;
  const tw = client(devnet, pool.privateKey);
  const unsigned = await tw.transactionBuilder.delegateResource(sun, customer.address, 'ENERGY', pool.address, false);
  const signed = await tw.trx.sign(unsigned);
  const out = await broadcast(tw, signed);
  assert.equal(out.result, true);
  return { tw, signed, txid: out.txid };
}

/** A devnet on `dataFile` sends one delegation, mines `blocks` and closes; the delegation's txid. */
async function sendAndStop(dataFile: string, sun: number, blocks: number): Promise<string> {
  const devnet = await startDevnet({ blockIntervalMs: 0, solidifyLag: 1, dataFile });
  try {
    const { txid } = await delegate(devnet, sun);
    await devnet.mine(blocks);
    return txid;
  } finally {
    await devnet.close();
  }
}

test('when a transaction has settled, then the data file no longer holds it and the node still answers it, across a restart', async () => {
  const dataFile = join(dir, 'chain.json');
  const history = `${dataFile}.history`;
  const first = await startDevnet({ blockIntervalMs: 0, solidifyLag: 1, dataFile });
  let block: number;
  let txid: string;
  try {
    const sent = await delegate(first, 7_000_000);
    const { tw, signed } = sent;
    txid = sent.txid;
    // Solid one block after its own (TronWeb reads the solidified view).
    await first.mine(2);
    block = (await tw.trx.getTransactionInfo(txid)).blockNumber;
    assert.ok(block > 0);
    assert.ok(readFileSync(dataFile, 'utf8').includes(txid), 'a recent transaction is in the data file');

    await first.mine(SETTLE_BLOCKS);
    assert.ok(!readFileSync(dataFile, 'utf8').includes(txid), 'a settled transaction has left the data file');
    assert.ok(readFileSync(history, 'utf8').includes(txid), 'and is in the history');
    const info = await tw.trx.getTransactionInfo(txid);
    assert.equal(info.id, txid);
    assert.equal(info.blockNumber, block);
    assert.equal((await tw.trx.getTransaction(txid)).txID, txid);
    assert.deepEqual((await tw.trx.getBlockByNumber(block)).transactions?.map((t) => t.txID), [txid]);
    // Wallet.broadcastTransaction checks the expiration first: a settled transaction is refused as expired.
    assert.equal((await broadcast(tw, signed)).code, 'TRANSACTION_EXPIRATION_ERROR');
  } finally {
    await first.close();
  }

  const second = await startDevnet({ blockIntervalMs: 0, solidifyLag: 1, dataFile });
  try {
    const again = client(second, second.accounts.pools[0]!.privateKey);
    assert.equal((await again.trx.getTransactionInfo(txid)).blockNumber, block);
    assert.deepEqual((await again.trx.getBlockByNumber(block)).transactions?.map((t) => t.txID), [txid]);
    await delegate(second, 1_000_000);
    await second.mine(1);
  } finally {
    await second.close();
  }
});

test('when a transaction expired and its block is solid a few dozen blocks back, then it has left the data file: a busy chain rewrites only its last minute', async () => {
  const dataFile = join(dir, 'soon.json');
  const devnet = await startDevnet({ blockIntervalMs: 0, solidifyLag: 19, dataFile });
  try {
    const { txid } = await delegate(devnet, 4_000_000);
    await devnet.mine(30);
    assert.ok(readFileSync(dataFile, 'utf8').includes(txid), 'not yet: its block is 10 blocks behind the solidified head, inside the margin of 20');
    // Expired after 20 blocks (60 s); solid 19 blocks later; settled 20 blocks past that.
    await devnet.mine(30);
    assert.ok(!readFileSync(dataFile, 'utf8').includes(txid));
    assert.ok(readFileSync(`${dataFile}.history`, 'utf8').includes(txid));
  } finally {
    await devnet.close();
  }
});

test('when the data file stops growing with settled transactions, then each block rewrites only the recent chain', async () => {
  const dataFile = join(dir, 'flat.json');
  const devnet = await startDevnet({ blockIntervalMs: 0, solidifyLag: 1, dataFile });
  try {
    await delegate(devnet, 2_000_000);
    await devnet.mine(SETTLE_BLOCKS);
    const settledOnce = statSync(dataFile).size;
    for (let i = 0; i < 5; i++) await delegate(devnet, 2_000_000 + i);
    await devnet.mine(1);
    assert.ok(statSync(dataFile).size > settledOnce, 'five recent transactions are in the data file');
    await devnet.mine(SETTLE_BLOCKS);
    // The same recent window of empty blocks, and none of the six transactions.
    const size = statSync(dataFile).size;
    assert.ok(Math.abs(size - settledOnce) < 2_000, `data file ${size} bytes after six settled transactions, ${settledOnce} after one`);
  } finally {
    await devnet.close();
  }
});

test('when the process stopped inside an append, then the torn entry is cut off and the rest is answered', async () => {
  const dataFile = join(dir, 'torn.json');
  const txid = await sendAndStop(dataFile, 3_000_000, SETTLE_BLOCKS + 1);
  const history = `${dataFile}.history`;
  const whole = statSync(history).size;
  appendFileSync(history, 'T 00ff {"txID":"00ff","tx":{');

  const second = await startDevnet({ blockIntervalMs: 0, solidifyLag: 1, dataFile });
  try {
    assert.equal(statSync(history).size, whole, 'the torn line is gone');
    const tw = client(second, second.accounts.pools[0]!.privateKey);
    assert.equal((await tw.trx.getTransactionInfo(txid)).id, txid);
    await delegate(second, 1_000_000);
    await second.mine(SETTLE_BLOCKS);
    assert.ok(statSync(history).size > whole, 'appends continue after the cut');
  } finally {
    await second.close();
  }
});

test('when an entry was written twice (the process stopped before the data file that no longer holds it was saved), then it is answered and listed once', async () => {
  const dataFile = join(dir, 'twice.json');
  const txid = await sendAndStop(dataFile, 3_000_000, SETTLE_BLOCKS);
  const history = `${dataFile}.history`;
  const line = readFileSync(history, 'utf8').split('\n').find((l) => l.startsWith(`T ${txid} `));
  assert.ok(line !== undefined);
  // The next run appends it again, after entries of its own.
  const other = await sendAndStop(dataFile, 2_000_000, SETTLE_BLOCKS);
  appendFileSync(history, `${line}\n`);

  const second = await startDevnet({ blockIntervalMs: 0, solidifyLag: 1, dataFile });
  try {
    const tw = client(second, second.accounts.pools[0]!.privateKey);
    assert.equal((await tw.trx.getTransactionInfo(txid)).id, txid);
    assert.equal((await tw.trx.getTransaction(other)).txID, other);
    const { transactions } = await admin(second, 'GET', '/transactions');
    const ids = transactions.map((t: { txID: string }) => t.txID);
    assert.equal(ids.filter((id: string) => id === txid).length, 1, 'listed once');
    assert.deepEqual(ids.filter((id: string) => id === txid || id === other), [txid, other], 'oldest first');
  } finally {
    await second.close();
  }
});

test('when the data file is gone, then the history beside it is of another chain and none of it is answered', async () => {
  const dataFile = join(dir, 'gone.json');
  const txid = await sendAndStop(dataFile, 3_000_000, SETTLE_BLOCKS);
  assert.ok(readFileSync(`${dataFile}.history`, 'utf8').includes(txid));
  rmSync(dataFile);

  const second = await startDevnet({ blockIntervalMs: 0, solidifyLag: 1, dataFile });
  try {
    assert.equal(second.headNumber(), 0);
    const tw = client(second, second.accounts.pools[0]!.privateKey);
    assert.deepEqual(await tw.trx.getTransactionInfo(txid), {});
    assert.ok(!readFileSync(`${dataFile}.history`, 'utf8').includes(txid));
  } finally {
    await second.close();
  }
});

test('when empty blocks are thousands behind the head, then each is answered as it was and TaPoS against one still works', async () => {
  const devnet = await startDevnet({ blockIntervalMs: 0, solidifyLag: 1 });
  try {
    const pool = devnet.accounts.pools[0]!;
    const tw = client(devnet, pool.privateKey);
    await devnet.mine(5);
    const ref = devnet.headNumber();
    const asRecent = await tw.trx.getBlockByNumber(ref);
    // A transaction naming that block for TaPoS, valid for three hours of chain time.
    const unsigned = await tw.transactionBuilder.delegateResource(1_000_000, devnet.accounts.customers[0]!.address, 'ENERGY', pool.address, false);
    const signed = await tw.trx.sign(await tw.transactionBuilder.extendExpiration(unsigned, 3 * 3_600));
    await devnet.mine(3_000);
    assert.deepEqual(await tw.trx.getBlockByNumber(ref), asRecent);
    assert.deepEqual(await tw.trx.getBlockByNumber(ref + 1).then((b) => b.block_header.raw_data.parentHash), asRecent.blockID);
    assert.equal((await broadcast(tw, signed)).result, true);
  } finally {
    await devnet.close();
  }
});
