import type { PoolAccount } from '../chain/gateway.js';
import { lockPoolReservations, type Order, type PoolStanding } from '../db/orders.js';
import { readPoolStandings } from '../db/pool-standings-reads.js';
import { snapshotCanTakeRental } from '../db/pool-snapshots.js';
import { lockBlocksFor, sunForEnergy, withMargin } from '../domain/energy.js';
import type { EngineContext } from './context.js';
import { journalRow } from './journaled-transaction.js';
import { LeaseLostError } from './errors.js';
import { networkTotals } from './network-totals.js';
import type { Unsent } from './step.js';
import { transitionIfRoom, transitionIfRoomTogether } from './transition.js';

export interface PoolChoice {
  pool: PoolAccount;
  sun: bigint;
  lockBlocks: bigint | null;
}

/**
 * Picks the pool account to delegate from, without asking the node: the
 * stake needed comes from the network totals; each pool's room is what its
 * snapshot says it can delegate (read from the node, then kept in step with
 * our own confirmed delegations and reclaims) minus what our unconfirmed
 * delegations have already reserved; a pool whose snapshot shows it cannot
 * pay the rental's two transactions' bandwidth besides the transactions our
 * orders on it still owe (canTakeRental: no bandwidth left, too little TRX
 * to burn) or that has never been read is passed over.
 *
 * Locks: a pool with none of our locked rentals to this receiver comes first,
 * and the delegation is locked for the rental (as far as the chain allows).
 * From a pool that already has one, the delegation goes unlocked: a new
 * locked one would either be refused (shorter than the lock in place) or
 * restart the whole pair's lock and hold up the earlier rental's reclaim,
 * while an unlocked delegation is kept apart from the locked one and is
 * reclaimed at its own end. A lock only protects the receiver from the
 * pool's owner, which is Joule itself.
 * `read`: the standings as the order's claim read them (ClaimedOrder), if it
 * did. Returns undefined when no pool has room now.
 */
export async function choosePool(ctx: EngineContext, order: Order, now: bigint, read?: PoolStanding[]): Promise<PoolChoice | undefined> {
  const { db, pools, settings } = ctx;
  const candidates = pools.filter((p) => p.address !== order.receive_address);
  if (candidates.length === 0) return undefined;
  const [params, standings] = await Promise.all([
    ctx.chainParameters(),
    read ?? readPoolStandings(db, settings.delegateLock ? order.receive_address : null, order.id),
  ]);
  const energy = await networkTotals(ctx, now, standings.map((s) => s.snapshot));
  // The chain rounds the receiver's energy down from live totals, and other stakers joining during the
  // rental make each TRX worth less energy: stake for the ordered energy plus the margin.
  const sun = sunForEnergy(withMargin(order.energy_amount, settings.energyMarginBps), energy.totalEnergyWeight, energy.totalEnergyLimit);
  const wantedLock = settings.delegateLock ? lockBlocksFor(order.duration_seconds, params.maxDelegateLockPeriod) : null;
  const rooms = candidates.map((pool) => {
    const standing = standings.find((s) => s.snapshot.address === pool.address);
    const snapshot = standing?.snapshot;
    const delegatable = snapshot?.observed_at == null ? 0n : snapshot.delegatable_sun;
    const free = delegatable - (standing?.reservedSun ?? 0n);
    return { pool, delegatable, free, locked: standing?.lockedRentals ?? 0, paysFee: snapshotCanTakeRental(snapshot, standing?.owedTransactions ?? 0n) };
  });
  const fitting = rooms
    .filter((r) => r.free >= sun && r.paysFee)
    .sort((a, b) => Number(a.locked > 0) - Number(b.locked > 0) || (b.free > a.free ? 1 : b.free < a.free ? -1 : 0));
  const best = fitting[0];
  if (!best) return undefined;
  return { pool: best.pool, sun, lockBlocks: best.locked > 0 ? null : wantedLock };
}

/** What a reservation writes: the order's move to `delegating` (its event and fields) and the journal row of the delegation signed for the room. */
function reservationOf(ctx: EngineContext, held: Order, choice: PoolChoice, delegation?: Unsent) {
  const journal = delegation === undefined ? undefined : journalRow({ orderId: held.id, paymentTxid: null }, 'delegate', delegation.signed, delegation.meta);
  const event = {
    reason: 'pool_selected',
    actor: ctx.workerId,
    detail: { pool: choice.pool.address, delegated_sun: choice.sun.toString(), lock_blocks: choice.lockBlocks?.toString() ?? null },
  };
  const fields = {
    pool_address: choice.pool.address,
    delegated_sun: choice.sun,
    lock_blocks: choice.lockBlocks,
    wait_reason: null,
    ...(journal === undefined ? {} : { delegate_txid: journal.txid, delegate_tx_status: 'signed' as const }),
  };
  return { held, event, fields, journal };
}

/**
 * pending -> delegating, reserving the stake on the chosen pool. The room is
 * read again inside the transaction (under a per-pool lock on PostgreSQL;
 * SQLite has one writer), so two workers cannot both spend the same room,
 * and as it is then (PoolRoom), not as the choice read it: a delegation
 * confirmed meanwhile has left both the reserved sum and the pool's
 * delegatable figure.
 * `delegation`: the delegation signed for that room, journaled (with the
 * order's copy of its txid) by the same write, or not at all. Returns
 * undefined when the room went to someone else meanwhile.
 */
export async function reservePool(ctx: EngineContext, held: Order, choice: PoolChoice, delegation?: Unsent): Promise<Order | undefined> {
  const { event, fields, journal } = reservationOf(ctx, held, choice, delegation);
  return ctx.db.transaction(async (tx) => {
    // On PostgreSQL the BEGIN, the lock, the move (which sums the room itself) and the COMMIT go in one round trip.
    await lockPoolReservations(tx, choice.pool.address);
    return transitionIfRoom(
      tx,
      held,
      'delegating',
      event,
      fields,
      { pool: choice.pool.address, sun: choice.sun, lockedTo: choice.lockBlocks === null ? null : held.receive_address },
      ctx.settings.leaseMs,
      journal,
    );
  });
}

/** An order's reservation as reservePoolTogether takes it: the order, its choice, the delegation signed for the room. */
export interface Reserving {
  held: Order;
  choice: PoolChoice;
  delegation: Unsent;
}

/**
 * reservePool for many orders that chose one pool (PostgreSQL), in one
 * transaction under the pool's lock, one statement for their moves, events
 * and journal rows (transitionIfRoomTogether), made only if the pool has
 * room for them all: undefined when it has not (nothing written). Else
 * each order as written, or the LeaseLostError of one whose lease was lost.
 */
export async function reservePoolTogether(ctx: EngineContext, reservations: readonly Reserving[]): Promise<Array<Order | LeaseLostError> | undefined> {
  const pool = reservations[0]!.choice.pool.address;
  const written = reservations.map((r) => {
    const { event, fields, journal } = reservationOf(ctx, r.held, r.choice, r.delegation);
    return { held: r.held, event, fields, journal: journal! };
  });
  const moved = await ctx.db.transaction(async (tx) => {
    await lockPoolReservations(tx, pool);
    return transitionIfRoomTogether(tx, 'delegating', pool, written, ctx.settings.leaseMs);
  });
  return moved?.map((order, i) => order ?? new LeaseLostError(reservations[i]!.held.id));
}
