import type { InsertObject, Kysely, Selectable } from 'kysely';
import type { OrderStatus } from '../domain/order-status.js';
import type { Database, OrderEventsTable, OrdersTable } from './schema.js';

export type Order = Selectable<OrdersTable>;
export type OrderEvent = Selectable<OrderEventsTable>;

export async function insertOrder(db: Kysely<Database>, order: InsertObject<Database, 'orders'>): Promise<Order> {
  return db.insertInto('orders').values(order).returningAll().executeTakeFirstOrThrow();
}

export function findOrder(db: Kysely<Database>, id: string): Promise<Order | undefined> {
  return db.selectFrom('orders').selectAll().where('id', '=', id).executeTakeFirst();
}

export function findOrderByIdempotencyKey(db: Kysely<Database>, key: string): Promise<Order | undefined> {
  return db.selectFrom('orders').selectAll().where('idempotency_key', '=', key).executeTakeFirst();
}

export interface OrderFilter {
  userId?: bigint | undefined;
  status?: OrderStatus | undefined;
  receiveAddress?: string | undefined;
  /** Keyset cursor: only orders with an id below this one (ids are time-ordered). */
  beforeId?: string | undefined;
  limit: number;
}

/** Newest first. */
export function listOrders(db: Kysely<Database>, f: OrderFilter): Promise<Order[]> {
  let q = db.selectFrom('orders').selectAll();
  if (f.userId !== undefined) q = q.where('user_id', '=', f.userId);
  if (f.status !== undefined) q = q.where('status', '=', f.status);
  if (f.receiveAddress !== undefined) q = q.where('receive_address', '=', f.receiveAddress);
  if (f.beforeId !== undefined) q = q.where('id', '<', f.beforeId);
  return q.orderBy('id', 'desc').limit(f.limit).execute();
}

export async function insertOrderEvent(db: Kysely<Database>, event: InsertObject<Database, 'order_events'>): Promise<void> {
  await db.insertInto('order_events').values(event).execute();
}

export function listOrderEvents(db: Kysely<Database>, orderId: string): Promise<OrderEvent[]> {
  return db.selectFrom('order_events').selectAll().where('order_id', '=', orderId).orderBy('id', 'asc').execute();
}
