import { sql, type Selectable } from 'kysely';
import { refundFields } from '../domain/currency.js';
import { DEFAULT_TENANT, clientKey, type Owner } from '../domain/tenant.js';
import { WEBHOOK_RETRY_WINDOW_MS, webhookBody, type WebhookDeliveryStatus, type WebhookEventType } from '../domain/webhook-events.js';
import { dbNow } from './clock.js';
import { columnsOf, everyColumn } from './columns.js';
import { afterCommit, type DbHandle } from './connect.js';
import { preparedClaim, TAKE_LEASE } from './due-claims.js';
import { newestFirst, type Match } from './newest-first.js';
import { literalList, prepared, unnestArrays } from './prepared.js';
import { uuidv7 } from './ids.js';
import type { Order } from './orders.js';
import type { WebhookAttemptsTable, WebhookEventsTable } from './schema.js';
import type { LedgerEntry } from './users.js';

export type WebhookEvent = Selectable<WebhookEventsTable>;
export type WebhookAttempt = Selectable<WebhookAttemptsTable>;

/**
 * The outbox: an event is written in the transaction of the change it tells
 * about (so it exists exactly when the change does), and only for a tenant
 * that has a webhook URL at that moment. Workers deliver it afterwards.
 */

const iso = (ms: bigint | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

/** What a receiver learns of an order: the fields a client needs, as the API's order view names them, under the tenant's own user id. */
export function orderWebhookData(o: Order, owner: Owner): Record<string, unknown> {
  return {
    id: o.id,
    user_id: owner.externalId,
    tenant_id: owner.tenantId,
    status: o.status,
    energy_amount: o.energy_amount,
    duration: o.duration,
    duration_seconds: o.duration_seconds,
    receive_address: o.receive_address,
    pay_currency: o.pay_currency,
    price: o.price_sun.toString(),
    client_order_id: clientKey(o.idempotency_key),
    payment_txid: o.payment_txid,
    delegate_txid: o.delegate_txid,
    reclaim_txid: o.reclaim_txid,
    delivered_energy: o.delivered_energy,
    error_code: o.error_code,
    error_message: o.error_message,
    // Why a working order waits, and what was given back, named as the API's order view names them.
    wait_reason: o.wait_reason,
    ...refundFields(o.refunded_sun, o.pay_currency),
    created_at: iso(o.created_at),
    delegated_at: iso(o.delegated_at),
    expires_at: iso(o.expires_at),
    completed_at: iso(o.completed_at),
    failed_at: iso(o.failed_at),
    cancelled_at: iso(o.cancelled_at),
  };
}

// Asked in every transaction that writes an order event: prepared once.
const defaultTenantHook = prepared<{ id: string }>('select id from tenants where id = ? and webhook_url is not null');
const tenantUserHook = prepared<{ tenant_id: string; external_id: bigint }>(
  `select tu.tenant_id, tu.external_id from tenant_users tu join tenants t on t.id = tu.tenant_id
   where tu.user_id = ? and t.webhook_url is not null`,
);

/**
 * The tenant owning a users row, with its own id for the user, if that tenant
 * has a webhook URL: the default tenant owns the rows of ids ≥ 0, a tenant
 * its own users' (negative ids, tenant_users). webhookOwnersStatement asks
 * the same for many rows at once.
 */
async function webhookOwner(db: DbHandle, userRow: bigint): Promise<Owner | undefined> {
  if (userRow >= 0n) {
    const t = await defaultTenantHook.first(db, [DEFAULT_TENANT]);
    return t === undefined ? undefined : { tenantId: DEFAULT_TENANT, externalId: userRow };
  }
  const row = await tenantUserHook.first(db, [userRow]);
  return row === undefined ? undefined : { tenantId: row.tenant_id, externalId: BigInt(row.external_id) };
}

/**
 * PostgreSQL: webhookOwner's rule as joins, for the users row `${alias}.user_id`
 * of the enclosing statement: `hook.tenant_id` is its owner when that tenant
 * has a webhook URL (null otherwise), `hook.external_id` the tenant's own id
 * for the user. For a statement that learns it along with what it writes,
 * without a query of its own. (It names its joins `tu` and `hook`.) LIMIT 1
 * keeps the LATERAL a seek per row: as a join it could be planned to read
 * tenant_users whole.
 */
export const webhookOwnerJoins = (alias: string): string => `
  left join lateral (select tenant_id, external_id from tenant_users where user_id = ${alias}.user_id limit 1) tu on true
  left join lateral (
    select t.id as tenant_id, case when ${alias}.user_id >= 0 then ${alias}.user_id else tu.external_id end as external_id
    from tenants t
    where t.id = case when ${alias}.user_id >= 0 then ${literalList([DEFAULT_TENANT])} else tu.tenant_id end and t.webhook_url is not null
  ) hook on true`;

/**
 * The tenants whose orders' latest writes on PostgreSQL found a webhook URL.
 * A write that must add an event for such a tenant's order takes the way
 * that writes the event from the start (a status change asked to be its
 * transaction's last, MoveOptions.last; a placement, PlacementBatches)
 * instead of being refused first by the way that writes none. Only a guess,
 * for the one database a process serves (every statement still checks),
 * learnt from every answer that tells.
 */
export const hookedTenants = new Set<string>();

/**
 * A users row's webhook owner, if its tenant has a webhook URL, as a
 * statement (its `?`: the users row) that a larger statement can use as a
 * CTE: no row when none.
 */
export const WEBHOOK_OWNER_OF_USER = `select hook.tenant_id from (select ?::bigint as user_id) w ${webhookOwnerJoins('w')} where hook.tenant_id is not null`;

// PostgreSQL only: webhookOwner for many users rows in one statement (webhookOwners).
const webhookOwnersStatement = prepared<{ user_id: bigint; tenant_id: string; external_id: bigint }>(
  `select u.user_id, hook.tenant_id, hook.external_id from ${unnestArrays('bigint')} as u(user_id) ${webhookOwnerJoins('u')}
   where hook.tenant_id is not null`,
);

const insertEventStatement = prepared(
  `insert into webhook_events (id, tenant_id, type, payload, created_at, status, next_attempt_at, deadline_at, updated_at)
   values (?, ?, ?, ?, $now, 'pending', $now, $now + ?, $now)`,
);

// PostgreSQL only: many events of one type in one statement (recordOwnedOrderWebhooks).
const INSERT_EVENTS = `insert into webhook_events (id, tenant_id, type, payload, created_at, status, next_attempt_at, deadline_at, updated_at)
   select e.id, e.tenant_id, ?, e.payload, $now, 'pending', $now, $now + ?, $now
   from ${unnestArrays('text', 'text', 'text')} as e(id, tenant_id, payload)`;
const insertEventsStatement = prepared(INSERT_EVENTS);
// The same as its transaction's last statement (a text of its own: the text is what marks it).
const insertEventsLastStatement = prepared(`${INSERT_EVENTS} -- last`, { endsTransaction: true });

/** A new event's id and the body its deliveries send. */
function eventBody(type: WebhookEventType, data: Record<string, unknown>): { id: string; payload: string } {
  const now = BigInt(Date.now());
  const id = uuidv7(Number(now));
  return { id, payload: webhookBody({ id, type, createdAtMs: now, data }) };
}

/** One event's row, its body already made (eventBody). */
function insertEventRow(db: DbHandle, type: WebhookEventType, e: { id: string; tenantId: string; payload: string }): Promise<void> {
  return insertEventStatement.run(db, [e.id, e.tenantId, type, e.payload, BigInt(WEBHOOK_RETRY_WINDOW_MS)]);
}

async function insertEvent(db: DbHandle, tenantId: string, type: WebhookEventType, data: Record<string, unknown>): Promise<string> {
  const { id, payload } = eventBody(type, data);
  await insertEventRow(db, type, { id, tenantId, payload });
  afterCommit(db, announceWritten);
  return id;
}

const writtenListeners = new Set<() => void>();
const announceWritten = () => writtenListeners.forEach((listener) => listener());

/**
 * Calls `listener` whenever this process commits a new webhook event, so
 * the deliveries of the same process (role all, or a worker's own engine)
 * can look at once instead of at their next interval; deliveries in other
 * processes still find it at theirs. Returns the way to stop listening.
 */
export function onWebhookWritten(listener: () => void): () => void {
  writtenListeners.add(listener);
  return () => writtenListeners.delete(listener);
}

/**
 * In the transaction that changed the order (after the change): its event,
 * when its tenant has a webhook URL. `owner`: when the caller's statement
 * already learnt it (webhookOwnerJoins), null for none; looked up otherwise.
 */
export async function recordOrderWebhook(db: DbHandle, orderOrId: Order | string, type: WebhookEventType, owner?: Owner | null): Promise<void> {
  const order = typeof orderOrId === 'string' ? await db.kysely.selectFrom('orders').selectAll().where('id', '=', orderOrId).executeTakeFirst() : orderOrId;
  if (order === undefined) throw new Error(`webhook ${type}: order ${String(orderOrId)} not found in its own transaction`);
  const hook = owner === undefined ? await webhookOwner(db, order.user_id) : owner;
  if (hook) await insertEvent(db, hook.tenantId, type, orderWebhookData(order, hook));
}

/**
 * The same for orders written together in one transaction (orders placed
 * together). PostgreSQL: their owners are looked up in one statement, and
 * their events written in one more. SQLite, in-process: an owner per user,
 * the default tenant's asked once for all its users, and an event per order
 * heard of.
 */
export async function recordOrderWebhooks(db: DbHandle, orders: readonly Order[], type: WebhookEventType): Promise<void> {
  if (orders.length === 0) return;
  const owners = await webhookOwners(db, orders.map((o) => o.user_id));
  const owned = orders.flatMap((order) => {
    const owner = owners.get(order.user_id);
    return owner === undefined ? [] : [{ order, owner }];
  });
  await recordOwnedOrderWebhooks(db, owned, type);
}

/**
 * recordOrderWebhooks for orders whose owners the caller's statement has
 * already learnt (webhookOwnerJoins): only those with a webhook URL. `last`
 * (PostgreSQL): the events' statement is the transaction's last, and takes
 * its COMMIT along (prepared's endsTransaction); with no event to write the
 * caller's COMMIT goes as usual.
 */
export async function recordOwnedOrderWebhooks(
  db: DbHandle,
  owned: ReadonlyArray<{ order: Order; owner: Owner }>,
  type: WebhookEventType,
  opts: { last?: boolean } = {},
): Promise<void> {
  if (owned.length === 0) return;
  const events = owned.map(({ order, owner }) => ({ tenantId: owner.tenantId, ...eventBody(type, orderWebhookData(order, owner)) }));
  if (db.dialect === 'postgres') {
    await (opts.last === true ? insertEventsLastStatement : insertEventsStatement).run(db, [
      type,
      BigInt(WEBHOOK_RETRY_WINDOW_MS),
      events.map((e) => e.id),
      events.map((e) => e.tenantId),
      events.map((e) => e.payload),
    ]);
  } else {
    for (const e of events) await insertEventRow(db, type, e);
  }
  afterCommit(db, announceWritten);
}

/** webhookOwner for many users rows: those whose tenant has a webhook URL. */
async function webhookOwners(db: DbHandle, userRows: readonly bigint[]): Promise<Map<bigint, Owner>> {
  const distinct = [...new Set(userRows)];
  if (db.dialect === 'postgres') {
    const rows = await webhookOwnersStatement.all(db, [distinct.map(String)]);
    return new Map(rows.map((r) => [BigInt(r.user_id), { tenantId: r.tenant_id, externalId: BigInt(r.external_id) }]));
  }
  const owners = new Map<bigint, Owner>();
  let defaultHooked: boolean | undefined;
  for (const row of distinct) {
    if (row >= 0n) {
      defaultHooked ??= (await defaultTenantHook.first(db, [DEFAULT_TENANT])) !== undefined;
      if (defaultHooked) owners.set(row, { tenantId: DEFAULT_TENANT, externalId: row });
    } else {
      const owner = await webhookOwner(db, row);
      if (owner !== undefined) owners.set(row, owner);
    }
  }
  return owners;
}

/** In the transaction that credited a deposit: deposit.credited, when its tenant has a webhook URL. */
export async function recordDepositWebhook(db: DbHandle, entry: LedgerEntry, chain?: { txid: string; eventIndex: number; address: string }): Promise<void> {
  const owner = await webhookOwner(db, entry.user_id);
  if (owner === undefined) return;
  await insertEvent(db, owner.tenantId, 'deposit.credited', {
    entry_id: entry.id.toString(),
    user_id: owner.externalId,
    tenant_id: owner.tenantId,
    currency: entry.currency,
    amount: entry.amount_sun.toString(),
    balance_after: entry.balance_after_sun.toString(),
    // As the tenant sent it; a transfer seen on chain is named by its txid instead.
    reference: chain === undefined ? clientKey(entry.reference) : null,
    txid: chain?.txid ?? null,
    event_index: chain?.eventIndex ?? null,
    deposit_address: chain?.address ?? null,
    created_at: iso(entry.created_at),
  });
}

// --- tenants' webhook settings ---

/** Sets (or, with null, clears) a tenant's webhook URL; a secret given is stored only when the tenant has none. */
export function setTenantWebhook(db: DbHandle, tenantId: string, url: string | null, secretIfNone: string | null) {
  return db.kysely
    .updateTable('tenants')
    .set({
      webhook_url: url,
      ...(secretIfNone === null ? {} : { signing_secret: sql<string>`coalesce(signing_secret, ${secretIfNone})` }),
      updated_at: dbNow(db.dialect),
    })
    .where('id', '=', tenantId)
    .returningAll()
    .executeTakeFirst();
}

export function setSigningSecret(db: DbHandle, tenantId: string, secret: string) {
  return db.kysely.updateTable('tenants').set({ signing_secret: secret, updated_at: dbNow(db.dialect) }).where('id', '=', tenantId).returningAll().executeTakeFirst();
}

/** Where a tenant's events go now, and with which key. */
export function findTenantWebhook(db: DbHandle, tenantId: string): Promise<{ webhook_url: string | null; signing_secret: string | null } | undefined> {
  return db.kysely.selectFrom('tenants').select(['webhook_url', 'signing_secret']).where('id', '=', tenantId).executeTakeFirst();
}

// --- delivery: claims fenced on a lease, as orders are ---

/** A delivery is due when it is pending, its retry time has come, and nobody holds it. */
const DUE = "status = 'pending' and next_attempt_at <= $now and (lease_until is null or lease_until < $now)";

const WEBHOOK_EVENT_COLUMNS = columnsOf(
  everyColumn<WebhookEventsTable>()([
    'id',
    'tenant_id',
    'type',
    'payload',
    'created_at',
    'status',
    'attempts',
    'next_attempt_at',
    'deadline_at',
    'lease_owner',
    'lease_until',
    'lease_version',
    'last_attempt_at',
    'last_status_code',
    'last_error',
    'last_duration_ms',
    'delivered_at',
    'updated_at',
  ]),
);

/** Its `?`: the limit. Polled whether or not anything is due, so prepared once (see preparedClaim). */
const dueTenantsStatement = prepared<{ tenant_id: string }>(`select tenant_id from (select t.id as tenant_id, (select e.next_attempt_at from webhook_events e
    where e.tenant_id = t.id and ${DUE} order by e.next_attempt_at limit 1) as first from tenants t) due
  where first is not null order by first limit ?`);

/**
 * Tenants with deliveries due, the longest-waiting first: each tenant's
 * oldest due delivery is read from the top of webhook_events_tenant_due
 * (016), passing over only those held under a lease, so the cost follows
 * the number of tenants, not of events waiting.
 */
export async function dueWebhookTenants(db: DbHandle, limit: number): Promise<string[]> {
  return (await dueTenantsStatement.all(db, [limit])).map((r) => r.tenant_id);
}

/** Its `?`: the tenant, the limit; the owner, the lease's length. */
const claimDueStatement = preparedClaim<WebhookEvent>(
  `select id from webhook_events where tenant_id = ? and ${DUE} order by next_attempt_at, id limit ?`,
  `update webhook_events set ${TAKE_LEASE} where id in (select id from due) and ${DUE} returning ${WEBHOOK_EVENT_COLUMNS}`,
);

/** Claims up to `limit` due deliveries of one tenant, oldest first, each with a lease and a version bump (preparedClaim). */
export function claimDueWebhooks(db: DbHandle, tenantId: string, owner: string, leaseMs: number, limit: number): Promise<WebhookEvent[]> {
  return claimDueStatement.all(db, [tenantId, limit, owner, BigInt(leaseMs)]);
}

export interface AttemptOutcome {
  url: string;
  worker: string;
  startedAt: bigint;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
  /** delivered, or pending again after `retryInMs` (failed when that passes the deadline), or failed now. */
  next: { status: 'delivered' } | { status: 'pending'; retryInMs: number } | { status: 'failed' };
}

/**
 * Records an attempt in the log and settles the delivery we hold, fenced on
 * its lease (a redelivery or another worker that took it over wins: the
 * attempt is logged all the same). Returns the row, or undefined when the
 * lease was lost.
 */
export async function recordAttempt(db: DbHandle, held: WebhookEvent, a: AttemptOutcome): Promise<WebhookEvent | undefined> {
  await db.kysely
    .insertInto('webhook_attempts')
    .values({
      event_id: held.id,
      url: a.url,
      worker: a.worker,
      started_at: a.startedAt,
      duration_ms: BigInt(a.durationMs),
      status_code: a.statusCode === null ? null : BigInt(a.statusCode),
      error: a.error,
    })
    .execute();
  const now = dbNow(db.dialect);
  const retryAt = a.next.status === 'pending' ? sql<bigint>`${now} + ${BigInt(a.next.retryInMs)}` : null;
  const status =
    a.next.status === 'pending' ? sql<WebhookDeliveryStatus>`case when ${now} + ${BigInt(a.next.retryInMs)} > deadline_at then 'failed' else 'pending' end` : a.next.status;
  return db.kysely
    .updateTable('webhook_events')
    .set((eb) => ({
      status,
      attempts: eb('attempts', '+', 1n),
      // Released with a new version: whoever held it before can no longer write it.
      lease_version: eb('lease_version', '+', 1n),
      next_attempt_at: retryAt === null ? null : sql<bigint | null>`case when ${retryAt} > deadline_at then null else ${retryAt} end`,
      lease_owner: null,
      lease_until: null,
      last_attempt_at: a.startedAt,
      last_status_code: a.statusCode === null ? null : BigInt(a.statusCode),
      last_error: a.error,
      last_duration_ms: BigInt(a.durationMs),
      delivered_at: a.next.status === 'delivered' ? now : null,
      updated_at: now,
    }))
    .where('id', '=', held.id)
    .where('lease_version', '=', held.lease_version)
    .returningAll()
    .executeTakeFirst();
}

// --- the delivery log ---

export interface DeliveryFilter {
  tenantId?: string | undefined;
  status?: WebhookDeliveryStatus | undefined;
  type?: WebhookEventType | undefined;
  /** Only events older than this one (paging newest first: ids sort by time). */
  before?: string | undefined;
  limit: number;
}

export function listWebhookEvents(db: DbHandle, f: DeliveryFilter): Promise<WebhookEvent[]> {
  let q = db.kysely.selectFrom('webhook_events').selectAll();
  if (f.before !== undefined) q = q.where('id', '<', f.before);
  const also: Match[] = [];
  if (f.status !== undefined) also.push(['status', f.status]);
  if (f.type !== undefined) also.push(['type', f.type]);
  // A tenant's from its (tenant_id, id) index, however its events lie among other tenants'.
  if (f.tenantId !== undefined) return newestFirst(db.dialect, q, ['tenant_id', f.tenantId], also).limit(f.limit).execute();
  for (const [column, value] of also) q = q.where(sql.ref(column), '=', value);
  return q.orderBy('id', 'desc').limit(f.limit).execute();
}

export function findWebhookEvent(db: DbHandle, id: string): Promise<WebhookEvent | undefined> {
  return db.kysely.selectFrom('webhook_events').selectAll().where('id', '=', id).executeTakeFirst();
}

export function listWebhookAttempts(db: DbHandle, eventId: string): Promise<WebhookAttempt[]> {
  return db.kysely.selectFrom('webhook_attempts').selectAll().where('event_id', '=', eventId).orderBy('id').execute();
}

/**
 * Sends an event again, whatever became of it: due now, with a new retry
 * window from now; a lease in flight is broken (its outcome is still logged).
 */
export function redeliverWebhookEvent(db: DbHandle, id: string): Promise<WebhookEvent | undefined> {
  const now = dbNow(db.dialect);
  return db.kysely
    .updateTable('webhook_events')
    .set((eb) => ({
      status: 'pending',
      attempts: 0n,
      next_attempt_at: now,
      deadline_at: sql<bigint>`${now} + ${BigInt(WEBHOOK_RETRY_WINDOW_MS)}`,
      lease_owner: null,
      lease_until: null,
      lease_version: eb('lease_version', '+', 1n),
      updated_at: now,
    }))
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

/**
 * Deletes up to `limit` settled events (delivered or given up) created more
 * than `ageMs` ago, with their attempts. Pending ones are never deleted.
 * Returns how many events went.
 */
export async function pruneWebhookEvents(db: DbHandle, ageMs: number, limit: number): Promise<number> {
  const old = await db.kysely
    .selectFrom('webhook_events')
    .select('id')
    .where('status', 'in', ['delivered', 'failed'])
    .where('created_at', '<', sql<bigint>`${dbNow(db.dialect)} - ${BigInt(ageMs)}`)
    .orderBy('created_at')
    .limit(limit)
    .execute();
  if (old.length === 0) return 0;
  const ids = old.map((r) => r.id);
  await db.kysely.deleteFrom('webhook_attempts').where('event_id', 'in', ids).execute();
  await db.kysely.deleteFrom('webhook_events').where('id', 'in', ids).where('status', 'in', ['delivered', 'failed']).execute();
  return ids.length;
}
