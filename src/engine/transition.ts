import type { NewChainTx } from '../db/chain-transactions.js';
import type { Db, DbHandle } from '../db/connect.js';
import {
  moveHeldOrder,
  moveHeldOrdersMovingEnergy,
  reserveHeldOrdersTogether,
  updateHeldOrder,
  type EnergyMoved,
  type HeldEnergyMove,
  type HeldReservation,
  type MovedOrder,
  type MoveOptions,
  type OrderEventInput,
  type OrderFields,
  type PoolRoom,
} from '../db/order-writes.js';
import type { Order } from '../db/orders.js';
import { canTransition, type OrderStatus } from '../domain/order-status.js';
import { LeaseLostError } from './errors.js';

export type { OrderFields };

/**
 * Writes fields of an order we hold, fenced on our lease: only if the order is
 * still in the status we read and nobody has claimed it since. Throws
 * LeaseLostError otherwise (and the surrounding transaction rolls back).
 */
export async function updateHeld(db: DbHandle, held: Order, fields: OrderFields): Promise<Order> {
  const row = await updateHeldOrder(db, held, fields);
  if (!row) throw new LeaseLostError(held.id);
  return row;
}

/**
 * The only way an order changes status: one fenced UPDATE from the status we
 * hold to the next one the lifecycle allows, plus its event row, in the
 * caller's transaction. A step whose next step follows at once passes
 * `renewLeaseMs` (the lease's length): the same UPDATE renews the lease, and
 * the worker needs no statement of its own to start the next step on a
 * fresh lease and a fresh `now` (advance-order.ts).
 */
export async function transition(
  db: DbHandle,
  held: Order,
  to: OrderStatus,
  event: OrderEventInput,
  fields: OrderFields = {},
  renewLeaseMs?: number,
): Promise<Order> {
  return (await move(db, held, to, event, fields, { renewLeaseMs })).order;
}

/**
 * A transition that moves the order's energy: its delegation landed
 * (→ active) or came back (→ completed). The same write has the receiver
 * read again if it is a saved address (`receiverSaved` then), and moves
 * `energy.stake` on the pool's snapshot (ourStakeMove).
 */
export function transitionMovingEnergy(
  db: DbHandle,
  held: Order,
  to: OrderStatus,
  event: OrderEventInput,
  fields: OrderFields,
  energy: EnergyMoved,
  renewLeaseMs?: number,
): Promise<MovedOrder> {
  return move(db, held, to, event, fields, { renewLeaseMs, energy });
}

/**
 * transitionMovingEnergy for many held orders at once, each given back or
 * kept as its own fields say (no lease renewed), in the caller's
 * transaction: on PostgreSQL a few statements for them all
 * (moveHeldOrdersMovingEnergy). Throws LeaseLostError, and the
 * transaction rolls back, if any order's lease was lost.
 */
export async function transitionMovingEnergyTogether(db: DbHandle, to: OrderStatus, moves: readonly HeldEnergyMove[]): Promise<MovedOrder[]> {
  const moved = await moveHeldOrdersMovingEnergy(db, to, moves.map((m) => ({ ...m, fields: newStatusFields(m.held, to, m.fields) })));
  return moved.map((m, i) => {
    if (m === undefined) throw new LeaseLostError(moves[i]!.held.id);
    return m;
  });
}

/** A move of the order's energy, as transitionMovingEnergy makes it; given by onlyWriteMovingEnergy, it may answer `hooked`. */
export type MoveEnergy = (...args: Parameters<typeof transitionMovingEnergy>) => Promise<MovedOrder | 'hooked'>;

/**
 * transitionMovingEnergy as its transaction's only write, what the
 * transaction ran before it having only read (MoveOptions.last): on
 * PostgreSQL the transaction's COMMIT goes with it. `hooked` when the
 * order's tenant has a webhook URL: nothing was written and the
 * transaction has ended.
 */
const lastMovingEnergy: MoveEnergy = (db, held, to, event, fields, energy, renewLeaseMs) => move(db, held, to, event, fields, { renewLeaseMs, energy, last: true });

/**
 * A transaction whose only write is a move of the order's energy, at its
 * end: `work` makes it with the `moveEnergy` it is given, and answers what
 * the move answered when `hooked`. The first run's move is the transaction's
 * last statement (on PostgreSQL its COMMIT goes with it); when it answers
 * `hooked`, the transaction runs once more with transitionMovingEnergy,
 * which writes the webhook's event after the move. A transaction that has
 * written something before the move makes it with transitionMovingEnergy.
 */
export async function onlyWriteMovingEnergy<T>(db: Db, work: (tx: DbHandle, moveEnergy: MoveEnergy) => Promise<T | 'hooked'>): Promise<T> {
  const first = await db.transaction((tx) => work(tx, lastMovingEnergy));
  if (first !== 'hooked') return first;
  const again = await db.transaction((tx) => work(tx, transitionMovingEnergy));
  if (again === 'hooked') throw new Error('a transaction whose move was not its last answered hooked');
  return again;
}

/**
 * A transition that spends room on a pool, made only if the room is still
 * there (PoolRoom: under the pool's lock). Undefined when it is gone.
 * `journal`: the transaction signed for that room, journaled by the same
 * write, so that it exists exactly when the move does.
 */
export async function transitionIfRoom(
  db: DbHandle,
  held: Order,
  to: OrderStatus,
  event: OrderEventInput,
  fields: OrderFields,
  room: PoolRoom,
  renewLeaseMs?: number,
  journal?: NewChainTx,
): Promise<Order | undefined> {
  return (await move(db, held, to, event, fields, { renewLeaseMs, room, journal }))?.order;
}

/**
 * transitionIfRoom for many held orders on `pool` at once (PostgreSQL:
 * reserveHeldOrdersTogether), each with the transaction signed for its
 * room, in the caller's transaction, which holds the pool's lock and ends
 * with it. Undefined when the pool had no room for them all (nothing
 * written); else each order as written, undefined for one whose lease was
 * lost (its room not spent, its transaction not journaled).
 */
export async function transitionIfRoomTogether(
  db: DbHandle,
  to: OrderStatus,
  pool: string,
  reservations: readonly HeldReservation[],
  renewLeaseMs: number,
): Promise<Array<Order | undefined> | undefined> {
  const counted = reservations.map((r) => ({ ...r, fields: newStatusFields(r.held, to, r.fields) }));
  const moved = await reserveHeldOrdersTogether(db, to, pool, counted, renewLeaseMs);
  return moved === 'no_room' ? undefined : moved;
}

/** What a status change writes besides `fields`, once it is known to be one the lifecycle allows: failures are counted per status, and a new status starts from none. */
function newStatusFields(held: Order, to: OrderStatus, fields: OrderFields): OrderFields {
  if (!canTransition(held.status, to)) throw new Error(`illegal transition ${held.status} -> ${to}`);
  return { attempts: 0n, reclaim_attempts: 0n, ...fields };
}

async function move(db: DbHandle, held: Order, to: OrderStatus, event: OrderEventInput, fields: OrderFields, options: MoveOptions & { room: PoolRoom }): Promise<MovedOrder | undefined>;
async function move(
  db: DbHandle,
  held: Order,
  to: OrderStatus,
  event: OrderEventInput,
  fields: OrderFields,
  options: MoveOptions & { room?: undefined; last: true },
): Promise<MovedOrder | 'hooked'>;
async function move(db: DbHandle, held: Order, to: OrderStatus, event: OrderEventInput, fields: OrderFields, options: MoveOptions & { room?: undefined }): Promise<MovedOrder>;
async function move(db: DbHandle, held: Order, to: OrderStatus, event: OrderEventInput, fields: OrderFields, options: MoveOptions): Promise<MovedOrder | 'hooked' | undefined> {
  const moved = await moveHeldOrder(db, held, to, event, newStatusFields(held, to, fields), options);
  if (moved === 'no_room') return undefined;
  if (!moved) throw new LeaseLostError(held.id);
  return moved;
}
