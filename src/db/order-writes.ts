import { sql, type UpdateObject } from 'kysely';
import type { OrderStatus } from '../domain/order-status.js';
import { dbNow } from './clock.js';
import type { DbHandle } from './connect.js';
import { insertOrderEvent, recordOrderEventWebhook, type Order } from './orders.js';
import { preparedPerColumns } from './prepared.js';
import type { Database } from './schema.js';
import { webhookOwnerJoins } from './webhook-outbox.js';

export type OrderFields = Omit<UpdateObject<Database, 'orders'>, 'id' | 'status' | 'lease_version'>;

/**
 * The fenced UPDATE of a held order, prepared once per list of fields
 * written: the engine writes an order three to five times on its way to
 * active, and Kysely's building of each cost more than SQLite's work on it.
 * `also`: assignments of the statement's own after the fields' (their `?`
 * come after the fields' values).
 */
/** The fence of every write to a held order (its `?`: heldFence's values): still in the status we read, and claimed by nobody since. */
export const HELD_FENCE = 'where id = ? and status = ? and lease_version = ?';
export const heldFence = (held: Order) => [held.id, held.status, held.lease_version];

const fencedUpdate = (assignments: string[], also: string[]) =>
  `update orders set ${[...assignments, ...also, 'updated_at = $now'].join(', ')} ${HELD_FENCE} returning *`;
const heldOrderUpdate = (also: string[]) => preparedPerColumns<Order>((assignments) => fencedUpdate(assignments, also));
const plainUpdate = heldOrderUpdate([]);
/** The same, renewing the lease as well: its `?` is the lease's length. */
const renewingUpdate = heldOrderUpdate(['lease_until = $now + ?']);

/** The order as a move wrote it, and its webhook owner (webhookOwnerJoins: null when it has no webhook URL). */
type MovedRow = Order & { webhook_tenant_id: string | null; webhook_external_id: bigint | string | null };

/**
 * PostgreSQL only: a status change as one statement, the fenced UPDATE and
 * its event row (written only if the UPDATE found the order), instead of two
 * round trips, answering with the order's webhook owner too, which the
 * outbox would otherwise look up in a third. The event's `?` (from status,
 * reason, actor, detail) follow the UPDATE's. SQLite, which runs statements
 * in-process, keeps them apart.
 */
const heldOrderMove = (also: string[]) =>
  preparedPerColumns<MovedRow>(
    (assignments) => `with moved as (${fencedUpdate(assignments, also)}),
      event as (
        insert into order_events (order_id, from_status, to_status, reason, actor, detail, at)
        select id, ?::text, status, ?::text, ?::text, ?::text, $now from moved
      )
      select moved.*, hook.tenant_id as webhook_tenant_id, hook.external_id as webhook_external_id from moved ${webhookOwnerJoins('moved')}`,
  );
const plainMove = heldOrderMove([]);
const renewingMove = heldOrderMove(['lease_until = $now + ?']);

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

/**
 * A status change of a held order: the fenced UPDATE and its event row, in
 * the caller's transaction (on PostgreSQL one statement: heldOrderMove).
 * Undefined when the lease was lost (no event is written then).
 * `renewLeaseMs`: as updateHeldOrder's.
 */
export async function moveHeldOrder(
  db: DbHandle,
  held: Order,
  to: OrderStatus,
  event: OrderEventInput,
  fields: OrderFields,
  renewLeaseMs?: number,
): Promise<Order | undefined> {
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
  const merged = db.dialect === 'postgres' ? (renew.length === 0 ? plainMove : renewingMove)({ ...set, updated_at: undefined }) : undefined;
  if (merged !== undefined) {
    const moved = await merged.statement.first(db, [...merged.values, ...renew, ...heldFence(held), eventRow.from_status, eventRow.reason, eventRow.actor, eventRow.detail]);
    if (!moved) return undefined;
    const { webhook_tenant_id: tenantId, webhook_external_id: externalId, ...row } = moved;
    await recordOrderEventWebhook(db, eventRow, row, tenantId === null ? null : { tenantId, externalId: BigInt(externalId!) });
    return row;
  }
  const row = await updateHeldOrder(db, held, set, renewLeaseMs);
  if (!row) return undefined;
  // The row as this UPDATE left it, for the webhook event: no need to read it back.
  await insertOrderEvent(db, eventRow, row);
  return row;
}
