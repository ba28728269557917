import { Kind, Type, type IntegerOptions, type Static, type TSchema, type TUnion, type TNull } from '@sinclair/typebox';
import { CURRENCIES } from '../domain/currency.js';
import type { Duration } from '../domain/durations.js';
import { ORDER_STATUSES } from '../domain/order-status.js';
import { CHAIN_TX_KINDS, CHAIN_TX_STATUSES, LEDGER_KINDS } from '../db/schema.js';
import { BREAKER_STATES } from '../dispatch/circuit-breaker.js';
import { DISPATCH_PATHS } from '../observability/metrics.js';

/**
 * Route schemas: what the server validates and serialises with, and what
 * the API reference is generated from. Amounts of sun travel as decimal
 * strings (exact beyond 2^53); user ids as JSON integers written exactly.
 */
const SCALAR_TYPES = new Set(['string', 'integer', 'number', 'boolean']);

/**
 * A value or null: one definition for every route's schema. A scalar becomes
 * `type: [T, "null"]` (a list of Words gets null among its values), which
 * the serialiser writes by looking at the value; an `anyOf` made it run the
 * validator on every nullable field of every answer (an order has twenty),
 * half the cost of writing an order. Anything else (objects) stays a union.
 */
export const Nullable = <T extends TSchema>(t: T): TUnion<[T, TNull]> =>
  typeof t.type === 'string' && SCALAR_TYPES.has(t.type)
    ? (Type.Unsafe<Static<T> | null>({
        ...t,
        [Kind]: 'Unsafe',
        type: [t.type, 'null'],
        ...(Array.isArray(t.enum) ? { enum: [...(t.enum as unknown[]), null] } : {}),
      }) as unknown as TUnion<[T, TNull]>)
    : Type.Union([t, Type.Null()]);

/**
 * One of a list of the code's own words (statuses, kinds, currencies), as
 * `{type: "string", enum}`. The serialiser writes it as the string it is; a
 * union of literals (anyOf) made it run the validator to find the member,
 * and a null one (an order's tx statuses until it has a transaction) first
 * failed every member, building the validator's errors, on every answer.
 * Requests are checked the same, and a wrong value is named with the
 * accepted ones (errors.ts).
 */
export const Words = <T extends string>(words: readonly T[], options: { description?: string } = {}) =>
  Type.Unsafe<T>({ type: 'string', enum: [...words], ...options });

const Sun = (description: string) => Type.String({ pattern: '^-?[0-9]+$', description });
/** A moment as ISO 8601, or null when it has not happened. */
export const Time = (description: string) => Nullable(Type.String({ format: 'date-time', description }));

/**
 * An integer the handler holds as a bigint (every integer column is BIGINT):
 * a JSON integer, which the serialiser writes digit for digit, exact past
 * 2^53. Not inside a union (Nullable): the serialiser picks a union's member
 * with the validator, which knows no bigint; views send those as numbers.
 */
export const Int64 = (options?: IntegerOptions) => Type.Unsafe<bigint>(Type.Integer(options));

export const ErrorBody = Type.Object(
  {
    error: Type.Object(
      {
        code: Type.String({ description: 'stable machine-readable code' }),
        message: Type.String({ description: 'what went wrong, for people' }),
      },
      { additionalProperties: true },
    ),
  },
  { $id: 'Error' },
);

/** A currency, described for the field that takes or shows it. */
export const currencyField = (description: string) => Words(CURRENCIES, { description });

/** One of the rental lengths this Joule offers (ALLOWED_DURATIONS), as its text: "1h", "1d". */
export const durationField = (durations: readonly Duration[], options: { description?: string } = {}) =>
  Words(durations.map((d) => d.text), options);

/** An amount in a currency's smallest unit, from 1: a decimal string (exact), or a JSON integer up to 2^53. */
export const AmountInput = (description: string) =>
  Type.Union([Type.String({ pattern: '^[1-9][0-9]{0,17}$' }), Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })], {
    description: `${description}; a decimal string keeps it exact`,
  });

export const CurrencySchema = currencyField('TRX (amounts in sun, 10^-6 TRX) or USDT (amounts in micro-USDT, 10^-6 USDT)');

/** An amount in the smallest unit of the currency beside it. */
const Amount = (description: string) => Type.String({ pattern: '^-?[0-9]+$', description: `${description}, in the smallest unit of the currency (sun or micro-USDT)` });

export const UserIdParam = Type.String({ pattern: '^[1-9][0-9]{0,18}$', description: 'positive int64 user id' });

export const UserIdInput = Type.Union(
  [
    Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
    Type.String({ pattern: '^[1-9][0-9]{0,18}$', description: 'decimal string, for ids past 2^53' }),
  ],
  { description: 'your user id: a positive integer up to int64 (as a string past 2^53)' },
);

export const ClientOrderId = Type.String({
  minLength: 1,
  maxLength: 128,
  pattern: '^[\\x21-\\x7e]+$',
  description: 'your own id for this order; a replay with the same id returns the first order',
});

export const TxStatus = Words(CHAIN_TX_STATUSES, {
  description: 'signed (journaled), broadcast (accepted by the node), confirmed (solidified), failed, expired',
});

export const OrderStatusSchema = Words(ORDER_STATUSES);

export const OrderBody = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    user_id: Int64({ description: "the tenant's own user id" }),
    tenant_id: Type.String({ description: 'the tenant the order belongs to' }),
    status: OrderStatusSchema,
    energy_amount: Int64(),
    duration: Type.String(),
    duration_seconds: Int64(),
    duration_hours: Type.Number({ description: 'compatibility: the rental length in hours' }),
    receive_address: Type.String(),
    pay_currency: CurrencySchema,
    price: Amount('what the user was charged'),
    rate_per_energy_day: Amount('the rate per energy per day the price was computed with'),
    price_sun: Nullable(Sun('what the user was charged, in sun; null when paid in USDT')),
    cost_trx: Nullable(Type.String({ description: 'compatibility: price_sun as a decimal TRX string; null when paid in USDT' })),
    rate_sun_per_energy_day: Nullable(Sun('the rate the price was computed with; null when paid in USDT')),
    client_order_id: Nullable(Type.String()),
    payment_txid: Nullable(Type.String({ description: 'flash rent: the TRX transfer that paid for this order (see GET /api/flash-rent/payments/{txid}); null for an order paid from a balance' })),
    pool_address: Nullable(Type.String({ description: 'the pool account that delegated' })),
    delegated_sun: Nullable(Sun('TRX (in sun) staked for the delegated energy: the ordered energy plus ENERGY_MARGIN_BPS, at the network totals when the pool was chosen')),
    delivered_energy: Nullable(
      Type.Integer({ description: 'energy the delegation was worth when it was confirmed, at the live network totals, rounded down as the chain does; null until then' }),
    ),
    delegate_txid: Nullable(Type.String()),
    reclaim_txid: Nullable(Type.String()),
    delegate_tx_status: Nullable(TxStatus),
    reclaim_tx_status: Nullable(TxStatus),
    lock_blocks: Nullable(Type.Integer({ description: 'lock period of the delegation, in blocks (3 s each); null when unlocked' })),
    wait_reason: Nullable(
      Type.String({
        description:
          'why the order is waiting, e.g. waiting_for_pool_capacity, awaiting_confirmation, lock_not_expired, chain_unavailable, reclaim_retrying (an alert: reclaim keeps failing and is retried)',
      }),
    ),
    tx_hash: Nullable(Type.String({ description: 'compatibility: the delegation transaction id' })),
    attempts: Int64({ description: 'failures in a row in the current status (node errors, refusals), each retried with backoff' }),
    reclaim_attempts: Int64({ description: 'failed reclaims in a row; from 5 the order shows wait_reason reclaim_retrying, an alert' }),
    error_code: Nullable(
      Type.String({
        description:
          'why the order failed (it was refunded): receiver_is_contract, receiver_not_activated, no_pool_capacity, delegation_refused, pool_removed',
      }),
    ),
    error_message: Nullable(Type.String()),
    refunded: Nullable(
      Amount(
        'refunded to the balance it was paid from when the order failed or was cancelled (the whole price; an early cancel: by CANCEL_REFUND_POLICY, 0 with none); flash rent: sent back on chain, minus the refund fee',
      ),
    ),
    refunded_sun: Nullable(Sun('refunded to the TRX balance when the order failed or was cancelled; null when paid in USDT')),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
    delegated_at: Time('when the delegation was confirmed'),
    expires_at: Time('when the rental ends and the energy is reclaimed'),
    reclaimed_at: Time('when the reclaim was confirmed (an early cancel: the time of the block that holds it, if earlier)'),
    completed_at: Time('when the order completed'),
    failed_at: Time('when the order failed'),
    cancel_requested_at: Time('when an early cancel of the active rental was asked for (POST /api/orders/{order_id}/cancel answered 202); the energy is being reclaimed'),
    cancelled_at: Time('when the order was cancelled: a pending order at once, an active one once its early reclaim completed with its refund'),
  },
  { $id: 'Order' },
);

export const OrderEventBody = Type.Object({
  from_status: Nullable(OrderStatusSchema),
  to_status: OrderStatusSchema,
  reason: Type.String(),
  actor: Type.String(),
  detail: Nullable(Type.Object({}, { additionalProperties: true, description: 'what the change was about (txid, block, pool, message, …), as an object' })),
  at: Type.String({ format: 'date-time' }),
});

export const LedgerEntryBody = Type.Object({
  id: Type.String(),
  kind: Words(LEDGER_KINDS),
  currency: CurrencySchema,
  amount: Amount('signed: deposits and refunds positive, order debits negative'),
  balance_after: Amount("the balance in this entry's currency right after it"),
  amount_sun: Nullable(Sun('compatibility: amount when the currency is TRX; null for USDT')),
  balance_after_sun: Nullable(Sun('compatibility: balance_after when the currency is TRX; null for USDT')),
  order_id: Nullable(Type.String()),
  reference: Nullable(Type.String()),
  txid: Nullable(Type.String({ description: 'a deposit seen on chain: the transaction that brought it' })),
  block_number: Nullable(Type.String({ description: 'a deposit seen on chain: the solidified block that holds its transaction' })),
  created_at: Type.String({ format: 'date-time' }),
});

export const UserBody = Type.Object({
  user_id: Int64(),
  tenant_id: Type.String({ description: 'the tenant the user belongs to (user ids are unique within a tenant)' }),
  balance_sun: Sun('prepaid balance in sun'),
  balance_trx: Type.String({ description: 'balance_sun as a decimal TRX string' }),
  balance_micro_usdt: Sun('prepaid USDT balance in micro-USDT (1 USDT = 1000000)'),
  balance_usdt: Type.String({ description: 'balance_micro_usdt as a decimal USDT string' }),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
});

export const DepositAddressBody = Type.Object({
  user_id: Int64(),
  address: Type.String({ description: 'TRON address (base58check) that credits this user' }),
  index: Type.Integer({ description: "its derivation index: the address is at m/44'/195'/0'/0/<index> under DEPOSIT_XPUB" }),
  currencies: Type.Array(CurrencySchema, { description: 'what is credited when sent to it: TRX, and USDT (TRC-20)' }),
});

export const Limit = Type.Integer({ minimum: 1, maximum: 200, default: 50 });

export const PoolBody = Type.Object(
  {
    address: Type.String({ description: 'the pool account' }),
    staked_sun: Sun('TRX staked for energy (Stake 2.0), including what is delegated out'),
    delegated_sun: Sun('staked for energy and delegated to receivers'),
    reserved_sun: Sun('held by our orders whose delegation is not confirmed yet (read live from the database)'),
    delegatable_sun: Sun('getcandelegatedmaxsize for ENERGY, as last read from the chain'),
    available_sun: Sun('room for new orders: delegatable_sun - reserved_sun, never below 0'),
    energy_per_trx: Type.Number({ description: 'TotalEnergyLimit / TotalEnergyWeight, rounded to 4 decimals; 0 when unknown' }),
    available_energy: Int64({ description: 'energy available_sun yields at energy_per_trx, rounded down' }),
    energy_limit: Sun("the pool account's own EnergyLimit"),
    total_energy_weight: Sun('network TotalEnergyWeight (whole TRX) at that read'),
    total_energy_limit: Sun('network TotalEnergyLimit at that read'),
    observed_at: Time('when the chain figures were read (database clock); null until a first read succeeds'),
    error: Nullable(Type.String({ description: 'why the last read failed (the figures are the last good ones); null once one succeeds' })),
    updated_at: Type.String({ format: 'date-time', description: 'the last read attempt, successful or not' }),
    balance_sun: Sun('TRX balance: what fees burn once bandwidth runs out'),
    free_bandwidth_left: Int64({ description: 'free daily bandwidth left (bytes), as last read; it recovers over 24 h' }),
    staked_bandwidth_left: Int64({ description: 'bandwidth from TRX staked for bandwidth left (bytes), as last read' }),
    transactions_payable: Int64({
      description: 'about how many more delegations or reclaims the pool can pay for (bandwidth left, then TRX to burn at the chain fee per byte)',
    }),
    transactions_owed: Int64({
      description:
        'transactions our orders on the pool will still make: a delegation and a reclaim for each order delegating, a reclaim for each rental under way (read live from the database). ' +
        'A new rental is planned on the pool only while transactions_payable covers these and its own two',
    }),
    running_dry: Type.Boolean({ description: 'fewer than 20 transactions payable beyond transactions_owed: give the pool TRX or staked bandwidth' }),
    retired: Type.Boolean({
      description:
        'true when no worker has read this pool for 5 x POOL_REFRESH_MS (at least a minute): it is most likely no longer configured; its figures are left out of totals',
    }),
  },
  { $id: 'Pool' },
);

export const ChainTransactionBody = Type.Object(
  {
    txid: Type.String(),
    kind: Words(CHAIN_TX_KINDS, { description: 'delegate (DelegateResourceContract) or reclaim (UnDelegateResourceContract)' }),
    status: TxStatus,
    pool_address: Type.String(),
    receiver: Type.String(),
    amount_sun: Sun('TRX (in sun) delegated or undelegated'),
    lock_blocks: Nullable(Type.Integer({ description: 'lock period of a delegation, in blocks; null when unlocked' })),
    broadcasts: Int64({ description: 'how many times it was sent to the node' }),
    block_number: Nullable(Type.String({ description: 'the block that included it' })),
    result_code: Nullable(Type.String({ description: "the node's refusal code, if it refused a broadcast" })),
    result_message: Nullable(Type.String()),
    expiration: Type.String({ format: 'date-time', description: 'chain time after which it can never be included' }),
    created_at: Type.String({ format: 'date-time', description: 'when it was signed and journaled' }),
    updated_at: Type.String({ format: 'date-time' }),
    confirmed_at: Time('time of the solidified block that confirmed it (chain time)'),
  },
  { $id: 'ChainTransaction' },
);

export const DelayBucketBody = Type.Object({
  at: Type.String({ format: 'date-time', description: 'start of the minute' }),
  created: Type.Integer({ description: 'orders created in that minute' }),
  activated: Type.Integer({ description: 'orders whose delegation was confirmed in that minute' }),
  failed: Type.Integer({ description: 'orders that failed in that minute' }),
  avg_ms_to_active: Nullable(Type.Integer({ description: 'mean created -> active of the orders activated in that minute' })),
  max_ms_to_active: Nullable(Type.Integer({ description: 'longest created -> active of those orders' })),
});

/** The lists: keyset pages (pass next_cursor back as cursor; null means no more) and an order's history. */
const NextCursor = Nullable(Type.String());

export const OrderPageBody = Type.Object({ orders: Type.Array(OrderBody), next_cursor: NextCursor });

export const OrderEventsBody = Type.Object({ order_id: Type.String(), events: Type.Array(OrderEventBody) });

export const OrderTransactionsBody = Type.Object({ order_id: Type.String(), transactions: Type.Array(ChainTransactionBody) });

export const UserPageBody = Type.Object({ users: Type.Array(UserBody), next_cursor: NextCursor });

export const LedgerPageBody = Type.Object({ user_id: Int64(), entries: Type.Array(LedgerEntryBody), next_cursor: NextCursor });

export const PoolListBody = Type.Object({ pools: Type.Array(PoolBody) });

export const DelayReportBody = Type.Object({
  bucket_seconds: Type.Integer(),
  from: Type.String({ format: 'date-time', description: 'start of the first minute' }),
  to: Type.String({ format: 'date-time', description: 'now, on the database clock' }),
  buckets: Type.Array(DelayBucketBody),
});

export const HealthBody = Type.Object({ status: Type.Literal('ok') });

export const ReadyBody = Type.Object({
  status: Type.Literal('ready'),
  database: Type.String({ description: 'the dialect that answered: sqlite or postgres' }),
});

export const DispatchPathSchema = Words(DISPATCH_PATHS, {
  description: 'in-process (run right after its commit), queue (a Redis wake-up) or sweeper (found in the database by a worker)',
});

export const BreakerStateSchema = Words(BREAKER_STATES);

/** A count for each of `keys`, every one present (typed by hand: TypeBox's Record over a union built from a list types as {}). */
const CountsBy = <K extends string>(keys: readonly K[], description: string) =>
  Type.Unsafe<Record<K, number>>(Type.Record(Type.Union(keys.map((k) => Type.Literal(k))), Type.Integer(), { description }));

export const StatusBody = Type.Object({
  orders: Type.Object({
    by_status: CountsBy(ORDER_STATUSES, 'orders in each status'),
    oldest_pending_ms: Nullable(Type.Integer({ description: 'age of the oldest pending order (database clock); null when none is pending' })),
  }),
  dispatch: Type.Object({
    mode: DispatchPathSchema,
    paths: CountsBy(DISPATCH_PATHS, 'new orders by the path that first took them, since this process started'),
    redis: Nullable(
      Type.Object(
        {
          state: Type.String({ description: 'the queue connection: ready, connecting, reconnecting, …' }),
          up: Type.Boolean(),
          breaker: BreakerStateSchema,
          last_ready_at: Time('when the connection was last ready'),
          last_error_at: Time('when the connection last failed'),
        },
        { description: 'as last observed in the background; null without ENABLE_BACKGROUND_TASKS' },
      ),
    ),
    queue_depth: Nullable(
      Type.Object(
        {
          waiting: Type.Integer(),
          active: Type.Integer(),
          delayed: Type.Integer(),
          observed_at: Type.String({ format: 'date-time' }),
        },
        { description: 'BullMQ jobs by state, as last polled in the background; null without ENABLE_BACKGROUND_TASKS' },
      ),
    ),
    recent: Type.Array(
      Type.Object({
        order_id: Type.String(),
        path: DispatchPathSchema,
        at: Type.String({ format: 'date-time', description: "this process's clock" }),
      }),
      { description: 'the last orders this process dispatched, newest first' },
    ),
  }),
  chain_errors: Type.Integer({ description: 'chain calls that failed because the node was unavailable' }),
  process: Type.Object({
    uptime_s: Type.Integer(),
    rss_bytes: Type.Integer(),
    heap_used_bytes: Type.Integer(),
    pid: Type.Integer(),
  }),
});

/** Text or bytes sent as they are: a string on the wire; a string or a Buffer (a built file held in memory) in the handler. */
const Bytes = Type.Unsafe<Buffer | string>(Type.String());

/**
 * A response that is not JSON (a page, Prometheus text, a built file):
 * Fastify sends the string or Buffer as it is, and the reference says which
 * media type it is.
 */
export function notJson<M extends string>(mediaType: M, description: string) {
  return { description, content: { [mediaType]: { schema: Bytes } } as Record<M, { schema: typeof Bytes }> };
}

/** A redirect: a Location header and no body. */
export const Redirect = (description: string) => Type.Null({ description });
