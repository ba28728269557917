import type { Selectable } from 'kysely';
import { bandwidthPayer, canPayFee, canTakeRental, TX_BYTES, type FeeMeans } from '../domain/pool-fees.js';
import { dbNow } from './clock.js';
import type { DbHandle } from './connect.js';
import { columnsOf, everyColumn } from './columns.js';
import { prepared } from './prepared.js';
import type { PoolSnapshotsTable } from './schema.js';

export type PoolSnapshot = Selectable<PoolSnapshotsTable>;

/** Every column of pool_snapshots, named, for the statements PostgreSQL keeps prepared (columns.ts). */
export const POOL_SNAPSHOT_COLUMN_LIST = everyColumn<PoolSnapshotsTable>()([
  'address',
  'staked_sun',
  'delegated_sun',
  'delegatable_sun',
  'energy_limit',
  'total_energy_weight',
  'total_energy_limit',
  'balance_sun',
  'free_net_limit',
  'free_net_used',
  'net_limit',
  'net_used',
  'transaction_fee_sun',
  'observed_at',
  'observed_block',
  'error',
  'updated_at',
]);
const POOL_SNAPSHOT_COLUMNS = columnsOf(POOL_SNAPSHOT_COLUMN_LIST);

/** What one successful read of a pool account found. */
export interface PoolFigures {
  staked_sun: bigint;
  delegated_sun: bigint;
  delegatable_sun: bigint;
  energy_limit: bigint;
  total_energy_weight: bigint;
  total_energy_limit: bigint;
  /** What the pool pays fees with; 0 when not read. */
  balance_sun?: bigint;
  free_net_limit?: bigint;
  free_net_used?: bigint;
  net_limit?: bigint;
  net_used?: bigint;
  transaction_fee_sun?: bigint;
  /** The head block the read reflects. */
  observed_block?: bigint;
}

/** Longest error text kept: enough for a node's message, never a whole response. */
export const MAX_POOL_ERROR_LENGTH = 500;

/** A successful read: the new figures, observed now (database clock), and no error. */
export async function savePoolSnapshot(db: DbHandle, address: string, figures: PoolFigures): Promise<void> {
  const values = { ...figures, observed_at: dbNow(db.dialect), error: null, updated_at: dbNow(db.dialect) };
  await db.kysely
    .insertInto('pool_snapshots')
    .values({ address, ...values })
    .onConflict((oc) => oc.column('address').doUpdateSet(values))
    .execute();
}

const NOTHING_YET: PoolFigures = {
  staked_sun: 0n,
  delegated_sun: 0n,
  delegatable_sun: 0n,
  energy_limit: 0n,
  total_energy_weight: 0n,
  total_energy_limit: 0n,
};

/** A failed read: the error is recorded, the last good figures and their time are kept. */
export async function recordPoolFailure(db: DbHandle, address: string, error: string): Promise<void> {
  const text = error.length > MAX_POOL_ERROR_LENGTH ? `${error.slice(0, MAX_POOL_ERROR_LENGTH - 1)}…` : error;
  await db.kysely
    .insertInto('pool_snapshots')
    .values({ address, ...NOTHING_YET, observed_at: null, error: text, updated_at: dbNow(db.dialect) })
    .onConflict((oc) => oc.column('address').doUpdateSet({ error: text, updated_at: dbNow(db.dialect) }))
    .execute();
}

/**
 * Every pool account any worker of the cluster has read, configured here or
 * not (a pool added by a deploy still rolling out, or retired from the
 * settings): snapshots are never deleted.
 */
export async function everyPoolAddress(db: DbHandle): Promise<string[]> {
  return (await db.kysely.selectFrom('pool_snapshots').select('address').execute()).map((r) => r.address);
}

const listStatement = prepared<PoolSnapshot>(`select ${POOL_SNAPSHOT_COLUMNS} from pool_snapshots order by address`);

/** Every snapshot, by address. */
export function listPoolSnapshots(db: DbHandle): Promise<PoolSnapshot[]> {
  return listStatement.all(db, []);
}

/**
 * Whether a pool can pay one more transaction's fee, as its last snapshot
 * says (at the fee per byte read with it). No successful read yet (a pool
 * just added): let the node decide.
 */
export const snapshotCanPayFee = (p: PoolSnapshot | undefined): boolean =>
  p === undefined || p.observed_at === null || canPayFee(feeMeansOf(p), p.transaction_fee_sun);

/**
 * Whether a new rental may be planned on the pool (canTakeRental), as its
 * last snapshot says, `owed`: the transactions our orders on it will still
 * make (RESERVED_BY_POOL's `owed`). No successful read yet: let the node decide.
 */
export const snapshotCanTakeRental = (p: PoolSnapshot | undefined, owed: bigint): boolean =>
  p === undefined || p.observed_at === null || canTakeRental(feeMeansOf(p), p.transaction_fee_sun, owed);

/**
 * transactionsPayable in SQL, over a pool_snapshots row's columns: null
 * where the chain burns nothing (canPayFor refuses nothing there). Integer
 * division on both dialects, as the rule's bigints divide.
 */
export const TRANSACTIONS_PAYABLE = `case when transaction_fee_sun > 0 then
     (case when net_limit > net_used then net_limit - net_used else 0 end) / ${TX_BYTES}
     + (case when free_net_limit > free_net_used then free_net_limit - free_net_used else 0 end) / ${TX_BYTES}
     + balance_sun / (${TX_BYTES} * transaction_fee_sun)
   end`;

/** A snapshot's fee columns as the fee rules read them. */
export const feeMeansOf = (p: PoolSnapshot): FeeMeans => ({
  balanceSun: p.balance_sun,
  freeNetLimit: p.free_net_limit,
  freeNetUsed: p.free_net_used,
  netLimit: p.net_limit,
  netUsed: p.net_used,
});

/** Read or written for every order the engine plans or settles: prepared once, as is moveOurStake. */
const findStatement = prepared<PoolSnapshot>(`select ${POOL_SNAPSHOT_COLUMNS} from pool_snapshots where address = ?`);

/** One pool's snapshot, if a worker has written one. */
export function findPoolSnapshot(db: DbHandle, address: string): Promise<PoolSnapshot | undefined> {
  return findStatement.first(db, [address]);
}

const bandwidthChargeStatement = prepared('update pool_snapshots set net_used = ?, free_net_used = ?, balance_sun = ? where address = ?');

/** One of our transactions confirmed: the pool that paid its bandwidth, its size, and its block. */
export interface BandwidthUse {
  address: string;
  bytes: bigint;
  block: bigint;
}

/**
 * Our transactions confirmed in the blocks just read, in chain order: each
 * one's bandwidth charged to its pool's snapshot as java-tron charged it
 * (BandwidthProcessor), unless the snapshot was read at or after its block
 * (it shows it already). Each pool's snapshot is read once and written once,
 * whatever the number of its transactions. Returns the sun each one burnt,
 * as far as the snapshot can tell (no bandwidth left for it: its size at
 * the fee per byte). The next read from the node replaces these figures;
 * until then the fee rules see what we spent.
 */
export async function chargeBandwidth(db: DbHandle, uses: readonly BandwidthUse[]): Promise<bigint[]> {
  const snapshots = new Map<string, PoolSnapshot | undefined>();
  const charged = new Set<string>();
  const burnt: bigint[] = [];
  for (const use of uses) {
    if (!snapshots.has(use.address)) snapshots.set(use.address, await findPoolSnapshot(db, use.address));
    const p = snapshots.get(use.address);
    if (p === undefined || p.observed_at === null || (p.observed_block !== null && p.observed_block >= use.block)) {
      burnt.push(0n);
      continue;
    }
    const payer = bandwidthPayer(feeMeansOf(p), use.bytes);
    const fee = payer === 'burn' ? use.bytes * p.transaction_fee_sun : 0n;
    if (payer === 'staked') p.net_used += use.bytes;
    else if (payer === 'free') p.free_net_used += use.bytes;
    else p.balance_sun = p.balance_sun > fee ? p.balance_sun - fee : 0n;
    charged.add(use.address);
    burnt.push(fee);
  }
  for (const address of charged) {
    const p = snapshots.get(address)!;
    await bandwidthChargeStatement.run(db, [p.net_used, p.free_net_used, p.balance_sun, address]);
  }
  return burnt;
}

/**
 * One of our delegations (`sun` > 0) or reclaims (`sun` < 0) from a pool
 * confirmed: its stake moves between delegatable and delegated, and the
 * pool's own energy with it (`energy`, signed the same way).
 */
export interface StakeMove {
  pool: string;
  sun: bigint;
  energy: bigint;
}

const lowerDelegatableStatement = prepared(
  `update pool_snapshots set delegatable_sun = ?, observed_at = $now, observed_block = null, updated_at = $now
   where address = ? and observed_at is not null and delegatable_sun > ?`,
);

/**
 * A node said just now that the pool can delegate no more than `sun`
 * (getcandelegatedmaxsize, read by an order its delegation was refused on):
 * its snapshot says so too, until the pool's next full read. The next
 * choice then sees the pool as the node does, whether or not that read
 * comes soon (a rate limit may hold it up), and does not reserve the same
 * room again. Only ever lowered: a figure read before our own delegations
 * landed may be the higher one. The node's figure has no block: the
 * snapshot is then marked read now at no known block, so that our own
 * transactions journaled before are taken as maybe in it (ourStakeMove): a
 * delegation is taken off all the same (room unused, never room counted
 * twice), a reclaim not added back, and the pool read again.
 */
export async function lowerDelegatable(db: DbHandle, address: string, sun: bigint): Promise<void> {
  await lowerDelegatableStatement.run(db, [sun, address, sun]);
}

const cannotPayStatement = prepared(
  `update pool_snapshots set
     free_net_used = free_net_limit,
     net_used = net_limit,
     balance_sun = case when balance_sun >= ? * transaction_fee_sun and transaction_fee_sun > 0 then ? * transaction_fee_sun - 1 else balance_sun end,
     updated_at = $now
   where address = ? and observed_at is not null`,
);

/**
 * A node refused a transaction of the pool for its bandwidth (BANDWITH_ERROR):
 * it has no bandwidth left, and less TRX than `bytes` would burn. Its
 * snapshot says so too until its next full read (asked for by the caller),
 * so that no rental is planned on it meanwhile: a snapshot read before the
 * operator swept the pool's TRX, or before other transactions spent its
 * bandwidth, would let every choice take it.
 */
export async function cannotPayFor(db: DbHandle, address: string, bytes: bigint): Promise<void> {
  await cannotPayStatement.run(db, [bytes, bytes, address]);
}

/** A stake move's update of a pool's snapshot (its `?`: stakeMoveValues), for a statement that writes more (order-writes.ts). */
export const STAKE_MOVE = `update pool_snapshots set
     delegatable_sun = case when delegatable_sun > ? then delegatable_sun - ? else 0 end,
     delegated_sun = case when delegated_sun + ? > 0 then delegated_sun + ? else 0 end,
     energy_limit = case when energy_limit > ? then energy_limit - ? else 0 end,
     updated_at = $now
   where address = ? and observed_at is not null`;
export const stakeMoveValues = (m: StakeMove) => [m.sun, m.sun, m.sun, m.sun, m.energy, m.energy, m.pool];

const moveStakeStatement = prepared(STAKE_MOVE);

/** A stake move written to the pool's snapshot. The next read from the node replaces these figures. */
export async function moveOurStake(db: DbHandle, move: StakeMove): Promise<void> {
  await moveStakeStatement.run(db, stakeMoveValues(move));
}
