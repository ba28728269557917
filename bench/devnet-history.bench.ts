// What a block costs the devnet as its chain grows: the embedded devnet of a
// default `all` process saves its data file after every block that holds a
// transaction, on the event loop the API and the engine share.
//
// For each history size H (transactions settled long ago), two devnets built
// the same way in this run: this code (settled blocks and transactions in the
// history file beside the data file) and the baseline of the code before it
// (the same node with no history: everything stays in memory and in the data
// file). Per case: the median wall time of producing a block with one new
// transaction (the block, then the save), the JS heap in use after a full
// collection, and the data file's size.
//
// Then the memory of the history's index, which grows with the chain: the
// packed index (`ExtentIndex`) for N transactions, beside the baseline of the
// code before, a Map of the same txIDs to { offset, length } objects.
//
// Then the memory a devnet holds for the last 70,000 blocks (empty: what a
// day on the default profile's block a second makes), beside the baseline of
// the code before, which held each as a record in a Map: the same records,
// made by the same devnet, copied into one.
//
//   npm run bench -- devnet-history   (BENCH_HISTORY=0,10000,50000  BENCH_BLOCKS=30  BENCH_INDEX=100000,1000000)
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { produceBlocks } from '../src/devnet/block-producer.js';
import type { BlockRecord, TxRecord } from '../src/devnet/chain-state.js';
import { DevnetNode } from '../src/devnet/devnet-node.js';
import { ExtentIndex, hashOfString } from '../src/devnet/extent-index.js';
import { loadGenesis, resolveGenesis } from '../src/devnet/genesis.js';
import { isMain, printTable } from './lib/harness.js';

const BLOCKS_TO_SETTLE = 2_100;
const TXS_PER_SEEDED_BLOCK = 50;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const hex = (byte: string, n: number) => byte.repeat(n);

/** A delegation's record as the devnet keeps it (its signed JSON about 1 KB), accepted now. */
function delegationRecord(i: number, now: number): TxRecord {
  const txID = i.toString(16).padStart(64, '0');
  const owner = `41${hex('a1', 20)}`;
  const receiver = `41${hex('b2', 20)}`;
  return {
    txID,
    tx: {
      visible: false,
      txID,
      raw_data: {
        contract: [
          {
            parameter: {
              value: { resource: 'ENERGY', balance: 1_000_000_000, receiver_address: receiver, owner_address: owner },
              type_url: 'type.googleapis.com/protocol.DelegateResourceContract',
            },
            type: 'DelegateResourceContract',
          },
        ],
        ref_block_bytes: 'abcd',
        ref_block_hash: hex('cd', 8),
        expiration: now + 60_000,
        timestamp: now,
      },
      raw_data_hex: hex('0a', 90),
      signature: [hex('5f', 65)],
    },
    contractType: 'DelegateResourceContract',
    owner,
    receiver,
    amount: 1_000_000_000n,
    resource: 'ENERGY',
    status: 'pending',
    fee: 0n,
    netUsage: 280n,
    expiration: now + 60_000,
  } as TxRecord;
}

interface Case {
  history: number;
  mode: 'history file' | 'baseline (all in memory)';
  blockMs: number;
  /** Heap in use plus array buffers (the packed index and blocks), after a collection. */
  memoryMb: number;
  dataFileMb: number;
}

/** A devnet of the built-in genesis at mainnet's lag, driven in-process (no HTTP, signatures on this thread). */
function benchNode(dataFile?: string): DevnetNode {
  return new DevnetNode({
    genesis: resolveGenesis(loadGenesis(undefined)),
    totalEnergyLimit: 180_000_000_000n,
    solidifyLag: 19,
    ...(dataFile === undefined ? {} : { dataFile }),
    log: () => {},
    signatureThreads: 0,
  });
}

async function measure(history: number, onDisk: boolean, blocks: number): Promise<Case> {
  const dir = mkdtempSync(join(tmpdir(), 'devnet-history-bench-'));
  const dataFile = join(dir, 'devnet.json');
  const node = benchNode(dataFile);
  const { state } = node;
  if (!onDisk) {
    state.history?.close();
    state.history = undefined;
  }
  let next = 1;
  const accept = (): void => {
    const record = delegationRecord(next++, state.headBlock().timestamp);
    state.txs.set(record.txID, record);
    state.pending.push(record.txID);
  };
  try {
    // The history, made without saving after each block: what a long-running devnet holds.
    for (let seeded = 0; seeded < history; seeded += TXS_PER_SEEDED_BLOCK) {
      for (let i = 0; i < Math.min(TXS_PER_SEEDED_BLOCK, history - seeded); i++) accept();
      produceBlocks(state, 1, () => {});
    }
    produceBlocks(state, BLOCKS_TO_SETTLE, () => {});
    node.mine(1); // moves the seeded history to the file (this code), saves
    const times: number[] = [];
    for (let b = 0; b < blocks; b++) {
      accept();
      const started = performance.now();
      node.mine(1);
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    return {
      history,
      mode: onDisk ? 'history file' : 'baseline (all in memory)',
      blockMs: times[Math.floor(times.length / 2)]!,
      memoryMb: await memoryMb(),
      dataFileMb: statSync(dataFile).size / 1e6,
    };
  } finally {
    await node.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Heap in use plus array buffers, after full collections: a buffer's memory
 * is given back after the collection that finds it unreachable, so twice,
 * with a turn of the event loop between.
 */
async function memoryMb(): Promise<number> {
  gc();
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  const m = process.memoryUsage();
  return (m.heapUsed + m.arrayBuffers) / 1e6;
}

/** MB held by the index of `count` settled transactions: packed, and as the Map the code before kept. */
async function indexMemory(count: number): Promise<{ packedMb: number; arraysMb: number; mapMb: number }> {
  // Made afresh in each: the Map holds its key strings, the packed index only their hashes.
  const txID = (i: number) => i.toString(16).padStart(64, '0');
  // Where each entry would start: one line of about 1.4 KB a transaction, as in the history file.
  const LINE = 1_400;
  const start = await memoryMb();
  const packed = new ExtentIndex();
  for (let i = 0; i < count; i++) packed.set(...hashOfString(txID(i)), i * LINE, LINE, () => false);
  const packedMb = (await memoryMb()) - start;
  const map = new Map<string, { offset: number; length: number }>();
  for (let i = 0; i < count; i++) map.set(txID(i), { offset: i * LINE, length: LINE });
  const mapMb = (await memoryMb()) - start - packedMb;
  if (packed.size !== count || map.size !== count) throw new Error(`${packed.size} and ${map.size} entries, not ${count}`);
  return { packedMb, arraysMb: packed.bytes / 1e6, mapMb };
}

const BLOCKS_ANSWERED = 70_000;

/** MB held for the last 70,000 blocks: by a devnet, and as the Map of records the code before kept. */
async function blocksMemory(): Promise<{ devnetMb: number; mapMb: number }> {
  const before = await memoryMb();
  const node = benchNode();
  try {
    produceBlocks(node.state, BLOCKS_ANSWERED, () => {});
    const devnetMb = (await memoryMb()) - before;
    const map = new Map<number, BlockRecord>();
    const head = node.state.head;
    for (let n = head - BLOCKS_ANSWERED + 1; n <= head; n++) {
      const b = node.state.block(n)!;
      map.set(n, { number: b.number, id: b.id, parentId: b.parentId, timestamp: b.timestamp, txIds: [] });
    }
    const mapMb = (await memoryMb()) - before - devnetMb;
    if (map.size !== BLOCKS_ANSWERED) throw new Error(`${map.size} blocks answered`);
    return { devnetMb, mapMb };
  } finally {
    await node.close();
  }
}

export async function run(): Promise<Case[]> {
  const sizes = (process.env.BENCH_HISTORY ?? '0,10000,50000').split(',').map(Number);
  const blocks = Number(process.env.BENCH_BLOCKS ?? 30);
  console.log(
    `devnet-history: a block with one transaction, on a chain holding H settled transactions; ${blocks} blocks a case; ` +
      `load average at start ${loadavg().map((l) => l.toFixed(2)).join(' ')}`,
  );
  // Uncounted: the first devnet of a process pays for compiling the code both cases run.
  await measure(0, true, 5);
  const cases: Case[] = [];
  for (const history of sizes) {
    // Alternating which goes first, so that the machine's load hits both alike.
    const order = cases.length % 4 === 0 ? [true, false] : [false, true];
    for (const onDisk of order) cases.push(await measure(history, onDisk, blocks));
  }
  const empty = (mode: Case['mode']) => cases.find((c) => c.mode === mode && c.history === sizes[0]);
  const baselineAt = (history: number) => cases.find((c) => c.mode !== 'history file' && c.history === history)!;
  printTable(
    'block with one transaction, then the save (median wall ms)',
    ['H settled', 'mode', 'block ms', `vs H=${sizes[0]}`, 'vs baseline', 'heap + buffers MB', 'data file MB'],
    cases.map((c) => [
      c.history,
      c.mode,
      c.blockMs.toFixed(2),
      (c.blockMs / empty(c.mode)!.blockMs).toFixed(2),
      (c.blockMs / baselineAt(c.history).blockMs).toFixed(2),
      c.memoryMb.toFixed(1),
      c.dataFileMb.toFixed(2),
    ]),
  );
  const indexSizes = (process.env.BENCH_INDEX ?? '100000,1000000').split(',').map(Number);
  const indexRows: Array<Array<string | number>> = [];
  for (const n of indexSizes) {
    const { packedMb, arraysMb, mapMb } = await indexMemory(n);
    indexRows.push([n, packedMb.toFixed(2), arraysMb.toFixed(2), mapMb.toFixed(2), (packedMb / mapMb).toFixed(2), ((packedMb * 1e6) / n).toFixed(0)]);
  }
  printTable(
    "the history's index of N transactions: heap and array buffers after a collection",
    ['N', 'packed MB', '(its arrays)', 'baseline: Map MB', 'packed ÷ Map', 'packed bytes a transaction'],
    indexRows,
  );
  const packed = await blocksMemory();
  printTable(
    `the last ${BLOCKS_ANSWERED.toLocaleString('en')} blocks (empty) in memory: heap and array buffers after a collection`,
    ['held by', 'MB', 'vs baseline'],
    [
      ['this devnet (its state included)', packed.devnetMb.toFixed(1), (packed.devnetMb / packed.mapMb).toFixed(2)],
      ['baseline: a Map of their records', packed.mapMb.toFixed(1), '1.00'],
    ],
  );
  return cases;
}

if (isMain(import.meta.url)) await run();
