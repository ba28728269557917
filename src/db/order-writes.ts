import { sql, type UpdateObject } from 'kysely';
import type { OrderStatus } from '../domain/order-status.js';
import { RENTAL_TRANSACTIONS } from '../domain/pool-fees.js';
import { insertChainTx, journalRowIf, journalRowsIf, newChainTxArrays, newChainTxValues, type NewChainTx } from './chain-transactions.js';
import { dbNow } from './clock.js';
import type { DbHandle } from './connect.js';
import { columnsOf } from './columns.js';
import { insertOrderEvent, ORDER_COLUMN_LIST, ORDER_COLUMNS, orderOf, recordOrderEventWebhook, lockedRentalOn, ROOM_ON_POOL, roomOf, roomOnPool, type Order, type RoomOnPool } from './orders.js';
import { moveOurStake, STAKE_MOVE, stakeMoveValues, type StakeMove } from './pool-snapshots.js';
import { preparedPerColumns, unnestArrays, type PerColumns } from './prepared.js';
import { RECEIVER_CHANGED, receiverChanged, receiversChanged } from './saved-addresses.js';
import type { Database } from './schema.js';
import { hookedTenants, recordOwnedOrderWebhooks, WEBHOOK_OWNER_OF_USER, webhookOwnerJoins } from './webhook-outbox.js';
import { orderEventType } from '../domain/webhook-events.js';
import type { Owner } from '../domain/tenant.js';

export type OrderFields = Omit<UpdateObject<Database, 'orders'>, 'id' | 'status' | 'lease_version'>;

/** The fence of every write to a held order (its `?`: heldFence's values): still in the status we read, and claimed by nobody since. */
export const HELD_FENCE = 'where id = ? and status = ? and lease_version = ?';
export const heldFence = (held: Order) => [held.id, held.status, held.lease_version];

/**
 * The fenced UPDATE of a held order, prepared once per list of fields
 * written: the engine writes an order three to five times on its way to
 * active, and Kysely's building of each cost more than SQLite's work on it.
 * `also`: assignments of the statement's own after the fields' (their `?`
 * come after the fields' values); `guard`: a condition after the fence's
 * (its `?` after the fence's).
 */
const fencedUpdate = (assignments: string[], also: string[], guard = '') =>
  `update orders set ${[...assignments, ...also, 'updated_at = $now'].join(', ')} ${HELD_FENCE}${guard} returning ${ORDER_COLUMNS}`;
const heldOrderUpdate = (also: string[]) => preparedPerColumns<Order>((assignments) => fencedUpdate(assignments, also));
const plainUpdate = heldOrderUpdate([]);
/** A renewal of the lease, as an assignment of a write's own (its `?`: the lease's length). */
const RENEW = ['lease_until = $now + ?'];
/** The same update, renewing the lease as well. */
const renewingUpdate = heldOrderUpdate(RENEW);

/**
 * The order as a move wrote it (every column null when it did not), its
 * webhook owner (webhookOwnerJoins: null when it has no webhook URL),
 * whether its receiver is a saved address (a move of its energy), and what
 * the pool had reserved and could delegate, and whether it carries a
 * locked rental to the receiver (a move that needs room: ROOM_ON_POOL's).
 */
type MovedRow = Order & {
  webhook_tenant_id: string | null;
  webhook_external_id: bigint | string | null;
  receiver_saved?: boolean;
  room_total?: bigint | string;
  room_delegatable?: bigint | string;
  room_locked?: boolean;
  room_owed?: bigint | string;
  room_payable?: bigint | string | null;
  /** A move that commits with its statement (`last`): whether the order's tenant has a webhook URL (and so nothing was written). */
  hooked?: boolean;
};

/**
 * What a status change moving the order's energy (its delegation landed or
 * came back) writes beside the order, in the same statement on PostgreSQL:
 * the receiver's figures, if a saved address, are due for a read now
 * (receiverChanged), and with `stake`, the pool's snapshot moves it
 * (moveOurStake).
 */
export interface EnergyMoved {
  stake?: StakeMove;
}

/**
 * A move that spends room on a pool (pending → delegating): made only if
 * what the pool's delegating orders have reserved, plus `sun`, is still
 * within what its snapshot says it can delegate, and, for a locked
 * delegation, the pool carries no locked rental of ours to `lockedTo` yet,
 * all read by the move (ROOM_ON_POOL), not taken from the earlier read that
 * chose the pool. The caller holds the pool's lock (lockPoolReservations),
 * so the room cannot go between the read and the move.
 */
export interface PoolRoom {
  pool: string;
  sun: bigint;
  /** The receiver of a locked delegation; null for an unlocked one. */
  lockedTo: string | null;
}

/**
 * Whether `room` takes `count` more rentals of `sun` in all (for a locked
 * delegation, `room` was read for its receiver): stake for them, and the
 * means to pay their transactions besides those owed (canTakeRental).
 */
const fits = (room: RoomOnPool, sun: bigint, count = 1n): boolean =>
  !room.locked && room.reserved + sun <= room.delegatable && (room.payable === null || room.owed + RENTAL_TRANSACTIONS * count <= room.payable);

/** fits, in SQL over ROOM_ON_POOL's row (`room`), for `count` rentals (SQL) whose stake was added to `total` already. */
const feesFit = (count: string) =>
  `((select payable from room) is null or (select owed from room) + ${RENTAL_TRANSACTIONS} * ${count} <= (select payable from room))`;

/** What a move writes beside the order, and so which statement it is. */
type MoveShape = 'order' | 'energy' | 'energy+stake' | 'room' | 'room+journal';

/**
 * PostgreSQL only: a status change as one statement, the fenced UPDATE and
 * its event row (written only if the UPDATE found the order), instead of two
 * round trips, answering with the order's webhook owner too, which the
 * outbox would otherwise look up in a third. The `?` in order: for a move
 * that needs room, ROOM_ON_POOL's (the pool, the locked delegation's
 * receiver) first; the UPDATE's (the room's `sun` after the fence's); the event's (from
 * status, reason, actor, detail); then for a move of the
 * order's energy, the receiver's (its address) and the stake's
 * (stakeMoveValues), each written only if the order was. SQLite, which runs
 * statements in-process, keeps them apart.
 *
 * The move that spends room is the reservation's last statement: its
 * transaction writes nothing after it and `delegating` has no webhook event,
 * so its COMMIT goes with it (endsTransaction) and the pool's lock is let go
 * a round trip sooner. With `journal` it also journals the delegation
 * signed for that room (journalRowIf, its `?` after the event's), written
 * only if the order was.
 *
 * `last`: a move that is its transaction's only write (MoveOptions.last).
 * Its COMMIT goes with it too, and since an event for a webhook would have
 * to be written after it, it is made only if the order's tenant has no
 * webhook URL (`owner`, its `?` the users row, first of all): the answer
 * says `hooked` when that kept it from being made.
 */
const heldOrderMove = (also: string[], shape: MoveShape, last: boolean) => {
  const room = shape === 'room' || shape === 'room+journal';
  const energy = shape === 'energy' || shape === 'energy+stake';
  return preparedPerColumns<MovedRow>((assignments) => {
    const guard = room
      ? ` and (select total from room) + ? <= (select delegatable from room) and not (select locked from room) and ${feesFit('1')}`
      : last
        ? ' and not exists (select 1 from owner)'
        : '';
    return `with ${last ? `owner as (${WEBHOOK_OWNER_OF_USER}), ` : ''}${room ? `room as (${ROOM_ON_POOL}), ` : ''}moved as (${fencedUpdate(assignments, also, guard)}),
      event as (
        insert into order_events (order_id, from_status, to_status, reason, actor, detail, at)
        select id, ?::text, status, ?::text, ?::text, ?::text, $now from moved
      )${shape === 'room+journal' ? `, journaled as (${journalRowIf('moved')})` : ''}${
        energy ? `, touched as (${RECEIVER_CHANGED} and exists (select 1 from moved) returning address)` : ''
      }${
        shape === 'energy+stake' ? `, staked as (${STAKE_MOVE} and exists (select 1 from moved))` : ''
      }
      select ${columnsOf(ORDER_COLUMN_LIST, 'moved')}, hook.tenant_id as webhook_tenant_id, hook.external_id as webhook_external_id${
        energy ? ', exists (select 1 from touched) as receiver_saved' : ''
      }${room ? ', (select total from room) as room_total, (select delegatable from room) as room_delegatable, (select locked from room) as room_locked, (select owed from room) as room_owed, (select payable from room) as room_payable' : ''}${last ? ', exists (select 1 from owner) as hooked' : ''}
      from ${room || last ? '(select 1) as one left join moved on true' : 'moved'} ${webhookOwnerJoins('moved')}`;
  }, { endsTransaction: room || last });
};
const moves = new Map<string, ReturnType<typeof heldOrderMove>>();
function moveStatements(renew: boolean, shape: MoveShape, last: boolean) {
  const key = `${renew}:${shape}:${last}`;
  let family = moves.get(key);
  if (family === undefined) {
    family = heldOrderMove(renew ? RENEW : [], shape, last);
    moves.set(key, family);
  }
  return family;
}

/** The `?` a renewing statement adds (the lease's length); none for a plain one. */
function renewal(set: UpdateObject<Database, 'orders'>, renewLeaseMs: number | undefined): bigint[] {
  if (renewLeaseMs === undefined) return [];
  if (set.lease_until !== undefined) throw new Error('a renewing update cannot also set lease_until');
  return [BigInt(renewLeaseMs)];
}

/**
 * UPDATE … WHERE id, status and lease_version are still what the worker
 * holds: every write of an order in flight is fenced this way. Returns
 * undefined when the lease was lost (the caller's transaction rolls back).
 * With `renewLeaseMs`, the same statement extends the lease to that long
 * from now on the database clock, as a renewal would (order-leases.ts).
 */
export function updateHeldOrder(db: DbHandle, held: Order, set: UpdateObject<Database, 'orders'>, renewLeaseMs?: number): Promise<Order | undefined> {
  const renew = renewal(set, renewLeaseMs);
  const plain = (renewLeaseMs === undefined ? plainUpdate : renewingUpdate)({ ...set, updated_at: undefined });
  if (plain) return plain.statement.first(db, [...plain.values, ...renew, ...heldFence(held)]);
  const lease = renew.length === 0 ? {} : { lease_until: sql<bigint>`${dbNow(db.dialect)} + ${renew[0]}` };
  return db.kysely
    .updateTable('orders')
    .set({ ...set, ...lease, updated_at: dbNow(db.dialect) })
    .where('id', '=', held.id)
    .where('status', '=', held.status)
    .where('lease_version', '=', held.lease_version)
    .returningAll()
    .executeTakeFirst();
}

export interface OrderEventInput {
  reason: string;
  actor: string;
  detail?: Record<string, unknown>;
}

/** A held order as its status change wrote it; `receiverSaved`: whether a move of its energy found its receiver saved. */
export interface MovedOrder {
  order: Order;
  receiverSaved: boolean;
}

/**
 * What a move writes beside the order: `renewLeaseMs` as updateHeldOrder's,
 * `energy` or `room` as described there. `last`: the move is its
 * transaction's only write (what the transaction ran before it only read):
 * on PostgreSQL its COMMIT then goes with it, a round trip fewer, unless
 * its order's tenant has a webhook URL, whose event has to be written after
 * it. Then nothing is written and the move answers `hooked`: the
 * transaction has ended, and the caller runs it again without `last`.
 */
export interface MoveOptions {
  renewLeaseMs?: number | undefined;
  energy?: EnergyMoved | undefined;
  room?: PoolRoom | undefined;
  /** With `room` only: the transaction signed for that room, journaled by the same write (both or neither). */
  journal?: NewChainTx | undefined;
  last?: boolean | undefined;
}

/**
 * A status change of a held order: the fenced UPDATE and its event row, in
 * the caller's transaction (on PostgreSQL one statement: heldOrderMove), and
 * what `options` add. Undefined when the lease was lost, `no_room` when a
 * move that needs room found it gone (nothing is written then).
 */
export async function moveHeldOrder(
  db: DbHandle,
  held: Order,
  to: OrderStatus,
  event: OrderEventInput,
  fields: OrderFields,
  { renewLeaseMs, energy, room, journal, last }: MoveOptions = {},
): Promise<MovedOrder | 'no_room' | 'hooked' | undefined> {
  if (energy !== undefined && room !== undefined) throw new Error('a move spends room or moves energy, not both');
  if (journal !== undefined && room === undefined) throw new Error('a move journals only the transaction signed for the room it spends');
  // A move that spends room ends its transaction already; one for a tenant known to have a webhook URL goes the ordinary way.
  const commits = last === true && room === undefined && !hookedTenants.has(held.tenant_id);
  const set = { ...fields, status: to };
  const eventRow = {
    order_id: held.id,
    from_status: held.status,
    to_status: to,
    reason: event.reason,
    actor: event.actor,
    detail: event.detail === undefined ? null : JSON.stringify(event.detail),
  };
  const renew = renewal(set, renewLeaseMs);
  const shape: MoveShape =
    room !== undefined ? (journal === undefined ? 'room' : 'room+journal') : energy === undefined ? 'order' : energy.stake === undefined ? 'energy' : 'energy+stake';
  const merged = db.dialect === 'postgres' ? moveStatements(renew.length > 0, shape, commits)({ ...set, updated_at: undefined }) : undefined;
  if (merged !== undefined) {
    const alongside = energy === undefined ? [] : [held.receive_address, ...(energy.stake === undefined ? [] : stakeMoveValues(energy.stake))];
    const moved = await merged.statement.first(db, [
      ...(commits ? [held.user_id] : []),
      ...(room === undefined ? [] : [room.pool, room.lockedTo]),
      ...merged.values,
      ...renew,
      ...heldFence(held),
      ...(room === undefined ? [] : [room.sun]),
      eventRow.from_status,
      eventRow.reason,
      eventRow.actor,
      eventRow.detail,
      ...(journal === undefined ? [] : newChainTxValues(journal)),
      ...alongside,
    ]);
    if (moved === undefined || moved.id === null) {
      if (moved?.hooked === true) {
        hookedTenants.add(held.tenant_id);
        return 'hooked';
      }
      if (room === undefined) return undefined;
      const { room_total: total, room_delegatable: delegatable, room_locked: locked, room_owed: owed, room_payable: payable } = moved!;
      return fits(roomOf({ total: total!, delegatable: delegatable!, locked: locked!, owed: owed!, payable: payable ?? null }), room.sun) ? undefined : 'no_room';
    }
    const { webhook_tenant_id: tenantId, webhook_external_id: externalId, receiver_saved: receiverSaved } = moved;
    const order = orderOf(moved);
    if (tenantId === null) hookedTenants.delete(held.tenant_id);
    else hookedTenants.add(held.tenant_id);
    await recordOrderEventWebhook(db, eventRow, order, tenantId === null ? null : { tenantId, externalId: BigInt(externalId!) });
    return { order, receiverSaved: receiverSaved === true };
  }
  if (room !== undefined && !fits(await roomOnPool(db, room.pool, room.lockedTo), room.sun)) return 'no_room';
  const order = await updateHeldOrder(db, held, set, renewLeaseMs);
  if (!order) return undefined;
  // The row as this UPDATE left it, for the webhook event: no need to read it back.
  await insertOrderEvent(db, eventRow, order);
  if (journal !== undefined) await insertChainTx(db, journal);
  if (energy === undefined) return { order, receiverSaved: false };
  const receiverSaved = await receiverChanged(db, held.receive_address);
  if (energy.stake !== undefined) await moveOurStake(db, energy.stake);
  return { order, receiverSaved };
}

/** One held order's part of moveHeldOrdersMovingEnergy: its status change as moveHeldOrder takes one, and its energy moved. */
export interface HeldEnergyMove {
  held: Order;
  event: OrderEventInput;
  /** Plain values only; every move of one call writes the same columns. */
  fields: OrderFields;
  stake?: StakeMove | undefined;
}

/** A JSON row of a move's fence and fields, its amounts exact (as text, which PostgreSQL reads into the column's type). */
const moveJson = (moves: readonly HeldEnergyMove[]) =>
  JSON.stringify(
    moves.map((m) => ({ id: m.held.id, status: m.held.status, lease_version: m.held.lease_version, ...m.fields })),
    (_, value: unknown) => (typeof value === 'bigint' ? value.toString() : value),
  );

/**
 * PostgreSQL, for a statement that moves many held orders at once: `l`,
 * each order's fence and fields from its own row of JSON, read as `orders`
 * types its columns (its `?`: the JSON rows, moveJson).
 */
const movesFromJson = (columns: readonly string[]) =>
  `l as (select ${columnsOf(['id', 'status', 'lease_version', ...columns])} from json_populate_recordset(null::orders, (select ?::json)))`;

/**
 * Then `moved`, each order's fenced UPDATE from its row of `l` (`also`:
 * assignments of the statement's own; `guard`: a condition after the
 * fence's), and `event`, its event row. Their `?`: the new status,
 * `also`'s, `guard`'s, the old status, the events' arrays (eventArrays).
 */
const movedWithEvents = (columns: readonly string[], also: readonly string[] = [], guard = '') => `moved as (
       update orders o set ${['status = ?::text', ...columns.map((c) => `${c} = l.${c}`), ...also, 'updated_at = $now'].join(', ')}
       from l where o.id = l.id and o.status = l.status and o.lease_version = l.lease_version${guard}
       returning ${columnsOf(ORDER_COLUMN_LIST, 'o')}
     ),
     event as (
       insert into order_events (order_id, from_status, to_status, reason, actor, detail, at)
       select moved.id, ?::text, moved.status, e.reason, e.actor, e.detail, $now
       from moved join ${unnestArrays('text', 'text', 'text', 'text')} as e(order_id, reason, actor, detail) on e.order_id = moved.id
     )`;

/** movedWithEvents' arrays of the events: each order's id, reason, actor, detail. */
const eventArrays = (moves: ReadonlyArray<{ held: Order; event: OrderEventInput }>) => [
  moves.map((m) => m.held.id),
  moves.map((m) => m.event.reason),
  moves.map((m) => m.event.actor),
  moves.map((m) => (m.event.detail === undefined ? null : JSON.stringify(m.event.detail))),
];

/**
 * The statement `family` makes for every one of `moves`, or undefined when
 * they would need more than one: each family makes one statement per list
 * of columns written (preparedPerColumns; the values it lines up for a SET
 * of `?` are not used: each order's are in the JSON), and the moves must
 * also start from one status.
 */
function oneStatementFor<Row>(
  family: (set: Record<string, unknown>) => PerColumns<Row> | undefined,
  moves: ReadonlyArray<{ held: Order; fields: OrderFields }>,
): PerColumns<Row> | undefined {
  const [first] = moves as [{ held: Order; fields: OrderFields }];
  const together = family(first.fields);
  if (together === undefined) return undefined;
  return moves.every((m) => m.held.status === first.held.status && family(m.fields)?.statement === together.statement) ? together : undefined;
}

/**
 * PostgreSQL: the status changes of many held orders as one statement,
 * each as heldOrderMove makes one: its fenced UPDATE, its event row, its
 * webhook owner. Its `?`: the JSON rows, then movedWithEvents'.
 */
const togetherStatement = preparedPerColumns<MovedRow>(
  (_, columns) => `with ${movesFromJson(columns)}, ${movedWithEvents(columns)}
     select ${columnsOf(ORDER_COLUMN_LIST, 'moved')}, hook.tenant_id as webhook_tenant_id, hook.external_id as webhook_external_id
     from moved ${webhookOwnerJoins('moved')}`,
);

/**
 * Many held orders moved from one status to `to` at once, each as
 * moveHeldOrder moves one with `energy` (the fenced UPDATE, its event and
 * webhook event, the receiver read again if saved, the stake moved on the
 * pool's snapshot), in the caller's transaction. On PostgreSQL the orders,
 * their events and their webhook owners are one statement, the stake one
 * statement a pool (the moves on a pool summed: one status change moves
 * every order's stake the same way, so the snapshot's floors at zero clamp
 * the sum as they would each move), the receivers one, the webhook events
 * one: a few statements however many orders, where each order was one of
 * its own, planned and run alone. On SQLite, in-process, one at a time.
 * The orders written, in the order given; undefined for one whose lease
 * was lost.
 */
export async function moveHeldOrdersMovingEnergy(db: DbHandle, to: OrderStatus, moves: readonly HeldEnergyMove[]): Promise<Array<MovedOrder | undefined>> {
  if (db.dialect !== 'postgres' || moves.length === 0) {
    const out: Array<MovedOrder | undefined> = [];
    for (const m of moves) {
      const moved = await moveHeldOrder(db, m.held, to, m.event, m.fields, { energy: { stake: m.stake } });
      out.push(moved === 'no_room' || moved === 'hooked' ? undefined : moved);
    }
    return out;
  }
  const [first] = moves as [HeldEnergyMove, ...HeldEnergyMove[]];
  const from = first.held.status;
  const together = oneStatementFor(togetherStatement, moves);
  if (together === undefined || moves.some((m) => m.event.reason !== first.event.reason)) {
    throw new Error('moves made together start from one status, for one reason, and write the same columns, as plain values');
  }
  const rows = await together.statement.all(db, [moveJson(moves), to, from, ...eventArrays(moves)]);
  const written = new Map(rows.map((row) => [row.id, row]));
  const kept = moves.filter((m) => written.has(m.held.id));
  // The pool's stake, summed over its orders' moves.
  const stakes = new Map<string, StakeMove>();
  for (const { stake } of kept) {
    if (stake === undefined) continue;
    const sum = stakes.get(stake.pool);
    stakes.set(stake.pool, sum === undefined ? { ...stake } : { pool: stake.pool, sun: sum.sun + stake.sun, energy: sum.energy + stake.energy });
  }
  for (const stake of stakes.values()) await moveOurStake(db, stake);
  const saved = await receiversChanged(db, [...new Set(kept.map((m) => m.held.receive_address))]);
  const owned: Array<{ order: Order; owner: Owner }> = [];
  const out = moves.map((m) => {
    const row = written.get(m.held.id);
    if (row === undefined) return undefined;
    const order = orderOf(row);
    if (row.webhook_tenant_id === null) hookedTenants.delete(order.tenant_id);
    else {
      hookedTenants.add(order.tenant_id);
      owned.push({ order, owner: { tenantId: row.webhook_tenant_id, externalId: BigInt(row.webhook_external_id!) } });
    }
    return { order, receiverSaved: saved.has(order.receive_address) };
  });
  const type = orderEventType(to, first.event.reason, from);
  if (type !== undefined) await recordOwnedOrderWebhooks(db, owned, type);
  return out;
}

/** One held order's part of reserveHeldOrdersTogether: its move to `delegating` as moveHeldOrder takes one with room, and the delegation signed for it. */
export interface HeldReservation {
  held: Order;
  event: OrderEventInput;
  /** Plain values only, the room's sun as `delegated_sun`; every reservation of one call writes the same columns. */
  fields: OrderFields;
  journal: NewChainTx;
}

/**
 * PostgreSQL: the reservations of many held orders on one pool as one
 * statement, each as heldOrderMove makes one with room and journal: its
 * fenced UPDATE renewing the lease (the fence and the fields from its own
 * row of JSON), its event row, its journal row. All or none as to room:
 * made only if what the pool's delegating orders have reserved, plus every
 * order's `delegated_sun`, is within what the pool's snapshot says it can
 * delegate, both read by the statement (ROOM_ON_POOL), and if no locked
 * delegation among them goes to a receiver the pool carries a locked rental
 * of ours to, or another of them locked to as well (PoolRoom's `lockedTo`);
 * `fits` says whether it was. Its `?`: the pool, the JSON rows, the new status, the
 * lease's length, the old status, the events' arrays (order, reason,
 * actor, detail), the journal's (newChainTxArrays). The reservation's last
 * statement: its COMMIT goes with it.
 */
const reservingStatement = preparedPerColumns<Order & { fits: boolean }>(
  (_, columns) => `with room as (${ROOM_ON_POOL}), ${movesFromJson(columns)},
     locking as (select l.id, o.receive_address from l join orders o on o.id = l.id where l.lock_blocks is not null),
     fits as (select (select total from room) + (select coalesce(sum(delegated_sun), 0) from l) <= (select delegatable from room)
       and not exists (select 1 from locking k where exists (${lockedRentalOn('k.receive_address', '(select address from room)')}))
       and (select count(*) from locking) = (select count(distinct receive_address) from locking)
       and ${feesFit('(select count(*) from l)')} as ok),
     ${movedWithEvents(columns, ['lease_until = $now + ?'], ' and (select ok from fits)')},
     journaled as (${journalRowsIf('moved')})
     select (select ok from fits) as fits, ${columnsOf(ORDER_COLUMN_LIST, 'moved')} from (select 1) as one left join moved on true`,
  { endsTransaction: true },
);

/**
 * Many held orders' reservations of room on one pool at once (PostgreSQL
 * only), in the caller's transaction, which holds the pool's lock
 * (lockPoolReservations) and ends with it: each as moveHeldOrder moves one
 * to `to` with room on `pool` and `journal`, renewing its lease. `no_room` when the
 * pool had no room for them all: nothing is written then. Else the orders
 * written, in the order given; undefined for one whose lease was lost.
 * `to`'s status change has no webhook event (a reservation's has none).
 */
export async function reserveHeldOrdersTogether(
  db: DbHandle,
  to: OrderStatus,
  pool: string,
  reservations: readonly HeldReservation[],
  renewLeaseMs: number,
): Promise<Array<Order | undefined> | 'no_room'> {
  const [first] = reservations as [HeldReservation, ...HeldReservation[]];
  const from = first.held.status;
  const together = oneStatementFor(reservingStatement, reservations);
  const roomless = reservations.some((r) => r.fields.delegated_sun === undefined || r.fields.lock_blocks === undefined);
  if (db.dialect !== 'postgres' || together === undefined || roomless || orderEventType(to, first.event.reason, from) !== undefined) {
    throw new Error('reservations made together, on PostgreSQL, start from one status, write the same columns as plain values, the room and the lock among them, and have no webhook event');
  }
  const rows = await together.statement.all(db, [
    pool,
    null,
    moveJson(reservations),
    to,
    BigInt(renewLeaseMs),
    from,
    ...eventArrays(reservations),
    ...newChainTxArrays(reservations.map((r) => r.journal)),
  ]);
  if (rows[0]?.fits !== true) return 'no_room';
  const written = new Map(rows.filter((row) => row.id !== null).map((row) => [row.id, orderOf(row)]));
  return reservations.map((r) => written.get(r.held.id));
}
