import { byCurrency, type Currency } from '../domain/currency.js';
import type { Owner } from '../domain/tenant.js';
import { orderEventType } from '../domain/webhook-events.js';
import type { Db } from './connect.js';
import type { PaidOrder, Placement } from './order-placement.js';
import { columnsOf } from './columns.js';
import { ORDER_COLUMN_LIST, ORDER_COLUMNS, orderOf, type Order } from './orders.js';
import { prepared, unnestArrays } from './prepared.js';
import { PlacementQueue, type Waiting } from './placement-queue.js';
import { balanceColumn } from './users.js';
import { hookedTenants, recordOwnedOrderWebhooks, webhookOwnerJoins } from './webhook-outbox.js';

/** Orders in one statement at most: bounds the statement's size and the rows one commit locks. */
const MAX_BATCH = 256;

/**
 * Batches in flight at once per process, each holding one of the pool's ten
 * connections at a time: the rest stay free for the process's other queries.
 */
const MAX_IN_FLIGHT = 4;

/**
 * The orders of one batch in one PostgreSQL statement, all or nothing.
 * Parameters: an array per column of `input` (an element per order), then
 * whether the caller writes order.created beside the orders it places.
 *
 * - `found`: an order whose idempotency key an earlier order took is not
 *   written; its answer is that order (`replay`). Only such an order is
 *   answered by its key: two fresh orders of one batch may bring the same
 *   new key (two users of one tenant), and one of them that is not placed
 *   (its balance short) must not be answered with the other's order.
 * - `locked`: the users rows are locked first, in id order, so that two
 *   batches sharing users, in this process or another, wait for each other
 *   instead of deadlocking. Every order of a batch has its own user
 *   (PlacementBatches.take), so the debit's join touches each row once.
 * - `hooked`: unless the caller writes order.created (`hooksWritten`), an
 *   order whose tenant has a webhook URL is not written
 *   (PlacementBatches.sendHooked sends those again, in a transaction that
 *   writes their events). With `hooksWritten` every row also answers its
 *   user's webhook owner (webhookOwnerJoins), for those events.
 * - `found` and `locked` look up order by order (LATERAL), which only an
 *   index seek can answer: as joins, a plan made while the tables were small
 *   scanned them whole for every batch, and a connection keeps its plan.
 *
 * Answers a row per order: whether it was hooked or a replay, its user's
 * balance before, and the columns of the order placed or found (null when
 * neither).
 */
function batchStatement(currency: Currency, hooksWritten: boolean): string {
  const column = balanceColumn(currency);
  return `with input as (
      select * from ${unnestArrays('text', 'bigint', 'text', 'bigint', 'text', 'bigint', 'text', 'bigint', 'bigint', 'text', 'text', 'text')}
        as i(id, user_id, tenant_id, energy_amount, duration, duration_seconds, receive_address, price_sun, rate_sun_per_energy_day, idempotency_key, request_hash, actor)
    ), found as (
      select ${columnsOf(ORDER_COLUMN_LIST, 'o')}
      from input i cross join lateral (
        select ${ORDER_COLUMNS} from orders where idempotency_key = i.idempotency_key limit 1
      ) o
    ), fresh as (
      select i.id from input i where not exists (select 1 from found f where f.idempotency_key = i.idempotency_key)
    ), hooked as (
      select i.id from input i join tenants t on t.id = i.tenant_id where t.webhook_url is not null
    ), locked as materialized (
      select u.id from (select user_id from input order by user_id) i
      cross join lateral (select id from users where id = i.user_id for update) u
    ), debit as (
      update users u set ${column} = u.${column} - i.price_sun, updated_at = $now
      from input i
      where u.id = i.user_id and u.id in (select id from locked) and u.${column} >= i.price_sun
        and i.id in (select id from fresh)${hooksWritten ? '' : ' and i.id not in (select id from hooked)'}
      returning i.id, u.${column} as balance
    ), placed as (
      insert into orders (id, user_id, tenant_id, status, energy_amount, duration, duration_seconds, receive_address, pay_currency, price_sun,
        rate_sun_per_energy_day, idempotency_key, request_hash, created_at, updated_at)
      select i.id, i.user_id, i.tenant_id, 'pending', i.energy_amount, i.duration, i.duration_seconds, i.receive_address, '${currency}', i.price_sun,
        i.rate_sun_per_energy_day, i.idempotency_key, i.request_hash, $now, $now
      from input i join debit d on d.id = i.id
      returning ${ORDER_COLUMNS}
    ), ledger as (
      insert into ledger_entries (user_id, kind, currency, amount_sun, balance_after_sun, order_id, reference, created_at)
      select i.user_id, 'order_debit', '${currency}', -i.price_sun, d.balance, i.id, null, $now from input i join debit d on d.id = i.id
    ), event as (
      insert into order_events (order_id, from_status, to_status, reason, actor, detail, at)
      select i.id, null, 'pending', 'created', i.actor, null, $now from input i join debit d on d.id = i.id
    ), answer as (
      select ${ORDER_COLUMNS} from placed union all select ${ORDER_COLUMNS} from found
    )
    select i.id as placing, i.id not in (select id from fresh) as replay,
      ${hooksWritten ? 'false' : 'exists (select 1 from hooked h where h.id = i.id) and i.id in (select id from fresh)'} as hooked,
      (select u.${column} from users u where u.id = i.user_id) as held, ${columnsOf(ORDER_COLUMN_LIST, 'a')}
      ${hooksWritten ? ', hook.tenant_id as webhook_tenant_id, hook.external_id as webhook_external_id' : ''}
    from input i left join answer a on a.id = i.id or (i.id not in (select id from fresh) and a.idempotency_key = i.idempotency_key)
    ${hooksWritten ? webhookOwnerJoins('i') : ''}`;
}

type BatchRow = { [K in keyof Order]: Order[K] | null } & {
  placing: string;
  replay: boolean;
  hooked: boolean;
  held: bigint | null;
  /** With hooks written: the user's webhook owner, null when its tenant has no webhook URL. */
  webhook_tenant_id?: string | null;
  webhook_external_id?: bigint | string | null;
};

/** The batch's statement by currency, without the events (`plain`) and with them (`hooked`). */
const batchStatements = {
  plain: byCurrency((c) => prepared<BatchRow>(batchStatement(c, false))),
  hooked: byCurrency((c) => prepared<BatchRow>(batchStatement(c, true))),
};

const batchParams = (batch: ReadonlyArray<{ order: PaidOrder; actor: string }>) => {
  const each = (f: (o: PaidOrder) => unknown) => batch.map((w) => f(w.order));
  const text = (n: bigint | number) => n.toString();
  return [
    each((o) => o.id),
    each((o) => text(o.user_id)),
    each((o) => o.tenant_id),
    each((o) => text(o.energy_amount)),
    each((o) => o.duration),
    each((o) => text(o.duration_seconds)),
    each((o) => o.receive_address),
    each((o) => text(o.price_sun)),
    each((o) => text(o.rate_sun_per_energy_day)),
    each((o) => o.idempotency_key),
    each((o) => o.request_hash),
    batch.map((w) => w.actor),
  ];
};

// The event an order's creation writes for its tenant's webhook.
const CREATED = orderEventType('pending', 'created', null)!;

function placementOf(row: BatchRow): Placement {
  const { replay, held } = row;
  const order = orderOf(row);
  if (replay) return { existing: order };
  return order.id === null ? { balance: held === null ? undefined : BigInt(held) } : { order };
}

/**
 * Group commit for PostgreSQL. There a round trip, not the rows, is what an
 * order costs most: the process's socket writes and the server's wake-up for
 * each statement. So the orders that arrive in one turn of the event loop go
 * in one statement (batchStatement), which PostgreSQL runs all or nothing,
 * and while MAX_IN_FLIGHT batches run the next ones gather. A caller learns
 * its outcome only once its batch has committed.
 *
 * When a batch's statement fails, nothing of it was written, and one order
 * may be the cause (an idempotency key another request placed meanwhile):
 * then each of its orders is sent again alone, and learns its own outcome.
 * They go again under the same order ids, so an order whose batch did commit,
 * though its answer was lost with the connection, cannot be written twice.
 * The orders of tenants with a webhook URL take one round more: their rows
 * and order.created in one transaction per batch.
 */
export class PlacementBatches extends PlacementQueue {
  /** The users with an order in a batch in flight: their next order waits for it. */
  private readonly usersInFlight = new Set<bigint>();

  constructor(db: Db) {
    super(db, MAX_IN_FLIGHT);
  }

  protected override started(batch: readonly Waiting[]): void {
    for (const w of batch) this.usersInFlight.add(w.order.user_id);
  }

  protected override finished(batch: readonly Waiting[]): void {
    for (const w of batch) this.usersInFlight.delete(w.order.user_id);
  }

  /**
   * The next batch, in arrival order: one order per user, and none of a user
   * whose earlier order is in a batch in flight, so that a user's orders are
   * placed in the order they came (the first can take the balance the next
   * one needed); all in one currency, the balance column the statement debits.
   */
  protected take(): Waiting[] {
    let currency: Waiting['order']['pay_currency'] | undefined;
    const batch: Waiting[] = [];
    const rest: Waiting[] = [];
    const users = new Set<bigint>();
    for (const w of this.queue) {
      const free = !users.has(w.order.user_id) && !this.usersInFlight.has(w.order.user_id);
      // A user who waits keeps the user's later orders waiting too.
      users.add(w.order.user_id);
      if (free && batch.length < MAX_BATCH && (currency ??= w.order.pay_currency) === w.order.pay_currency) {
        batch.push(w);
      } else {
        rest.push(w);
      }
    }
    this.queue = rest;
    return batch;
  }

  /** The orders of tenants known to have a webhook URL (hookedTenants) go the way that writes their events at once. */
  protected async send(batch: Waiting[]): Promise<void> {
    const known: Waiting[] = [];
    const plain: Waiting[] = [];
    for (const w of batch) (hookedTenants.has(w.order.tenant_id) ? known : plain).push(w);
    await Promise.all([plain.length > 0 ? this.sendPlain(plain) : undefined, known.length > 0 ? this.sendHooked(known) : undefined]);
  }

  /** The batch's statement alone; the orders it leaves unwritten for their webhook go on to sendHooked. */
  private sendPlain(batch: Waiting[]): Promise<void> {
    return this.writeOrEachAlone(
      batch,
      (b) => batchStatements.plain[b[0]!.order.pay_currency].all(this.db, batchParams(b)),
      async (b, rows) => {
        const hooked: Waiting[] = [];
        settle(b, rows, (w, row) => {
          if (row.hooked) hooked.push(w);
          else w.resolve(placementOf(row));
        });
        for (const w of hooked) hookedTenants.add(w.order.tenant_id);
        if (hooked.length > 0) await this.sendHooked(hooked);
      },
    );
  }

  /**
   * Orders of tenants with a webhook URL: the statement that writes them and
   * answers their users' webhook owners, then their order.created, which
   * takes the COMMIT along: one transaction, two round trips (and, should it
   * fail, each order in one of its own).
   */
  private sendHooked(batch: Waiting[]): Promise<void> {
    return this.writeOrEachAlone(
      batch,
      (b) =>
        this.db.transaction(async (trx) => {
          const written = await batchStatements.hooked[b[0]!.order.pay_currency].all(trx, batchParams(b));
          const owned: Array<{ order: Order; owner: Owner }> = [];
          for (const row of written) {
            const { order } = placementOf(row);
            if (order === undefined) continue;
            if (row.webhook_tenant_id == null) {
              hookedTenants.delete(order.tenant_id);
            } else {
              hookedTenants.add(order.tenant_id);
              owned.push({ order, owner: { tenantId: row.webhook_tenant_id, externalId: BigInt(row.webhook_external_id!) } });
            }
          }
          await recordOwnedOrderWebhooks(trx, owned, CREATED, { last: true });
          return written;
        }),
      (b, rows) => settle(b, rows, (w, row) => w.resolve(placementOf(row))),
    );
  }
}

/** Hands each waiting order its row of the statement's answer. */
function settle(batch: readonly Waiting[], rows: readonly BatchRow[], each: (w: Waiting, row: BatchRow) => void): void {
  const byId = new Map(rows.map((row) => [row.placing, row]));
  for (const w of batch) {
    const row = byId.get(w.order.id);
    if (row === undefined) w.reject(new Error(`order ${w.order.id}: its batch's statement returned no row for it`));
    else each(w, row);
  }
}
