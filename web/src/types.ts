// Generated from the API's schemas (src/api/schemas.ts) by scripts/web-types.ts: do not edit.
// Regenerate with `npm run web-types`; test/web/types-generated.test.ts fails while this file is stale.
// The JSON the API answers with (see /openapi.json): what the dashboard reads.

export type OrderStatus = 'pending' | 'delegating' | 'active' | 'reclaiming' | 'completed' | 'failed' | 'cancelled';

/** signed (journaled), broadcast (accepted by the node), confirmed (solidified), failed, expired */
export type TxStatus = 'signed' | 'broadcast' | 'confirmed' | 'failed' | 'expired';

/** in-process (run right after its commit), queue (a Redis wake-up) or sweeper (found in the database by a worker) */
export type DispatchPath = 'in-process' | 'queue' | 'sweeper';

export interface Order {
  id: string;
  /** the tenant's own user id */
  user_id: number;
  /** the tenant the order belongs to */
  tenant_id: string;
  status: OrderStatus;
  energy_amount: number;
  duration: string;
  duration_seconds: number;
  /** compatibility: the rental length in hours */
  duration_hours: number;
  receive_address: string;
  /** TRX (amounts in sun, 10^-6 TRX) or USDT (amounts in micro-USDT, 10^-6 USDT) */
  pay_currency: 'TRX' | 'USDT';
  /** what the user was charged, in the smallest unit of the currency (sun or micro-USDT) */
  price: string;
  /** the rate per energy per day the price was computed with, in the smallest unit of the currency (sun or micro-USDT) */
  rate_per_energy_day: string;
  /** what the user was charged, in sun; null when paid in USDT */
  price_sun: string | null;
  /** compatibility: price_sun as a decimal TRX string; null when paid in USDT */
  cost_trx: string | null;
  /** the rate the price was computed with; null when paid in USDT */
  rate_sun_per_energy_day: string | null;
  client_order_id: string | null;
  /** flash rent: the TRX transfer that paid for this order (see GET /api/flash-rent/payments/{txid}); null for an order paid from a balance */
  payment_txid: string | null;
  /** the pool account that delegated */
  pool_address: string | null;
  /** TRX (in sun) staked for the delegated energy: the ordered energy plus ENERGY_MARGIN_BPS, at the network totals when the pool was chosen */
  delegated_sun: string | null;
  /** energy the delegation was worth when it was confirmed, at the live network totals, rounded down as the chain does; null until then */
  delivered_energy: number | null;
  delegate_txid: string | null;
  reclaim_txid: string | null;
  delegate_tx_status: TxStatus | null;
  reclaim_tx_status: TxStatus | null;
  /** lock period of the delegation, in blocks (3 s each); null when unlocked */
  lock_blocks: number | null;
  /** why the order is waiting, e.g. waiting_for_pool_capacity, awaiting_confirmation, lock_not_expired, chain_unavailable, reclaim_retrying (an alert: reclaim keeps failing and is retried) */
  wait_reason: string | null;
  /** compatibility: the delegation transaction id */
  tx_hash: string | null;
  /** failures in a row in the current status (node errors, refusals), each retried with backoff */
  attempts: number;
  /** failed reclaims in a row; from 5 the order shows wait_reason reclaim_retrying, an alert */
  reclaim_attempts: number;
  /** why the order failed (it was refunded): receiver_is_contract, receiver_not_activated, no_pool_capacity, delegation_refused, pool_removed */
  error_code: string | null;
  error_message: string | null;
  /** refunded to the balance it was paid from when the order failed or was cancelled (the whole price; an early cancel: by CANCEL_REFUND_POLICY, 0 with none); flash rent: sent back on chain, minus the refund fee, in the smallest unit of the currency (sun or micro-USDT) */
  refunded: string | null;
  /** refunded to the TRX balance when the order failed or was cancelled; null when paid in USDT */
  refunded_sun: string | null;
  created_at: string;
  updated_at: string;
  /** when the delegation was confirmed */
  delegated_at: string | null;
  /** when the rental ends and the energy is reclaimed */
  expires_at: string | null;
  /** when the reclaim was confirmed (an early cancel: the time of the block that holds it, if earlier) */
  reclaimed_at: string | null;
  /** when the order completed */
  completed_at: string | null;
  /** when the order failed */
  failed_at: string | null;
  /** when an early cancel of the active rental was asked for (POST /api/orders/{order_id}/cancel answered 202); the energy is being reclaimed */
  cancel_requested_at: string | null;
  /** when the order was cancelled: a pending order at once, an active one once its early reclaim completed with its refund */
  cancelled_at: string | null;
}

export interface OrderEvent {
  from_status: OrderStatus | null;
  to_status: OrderStatus;
  reason: string;
  actor: string;
  /** what the change was about (txid, block, pool, message, …), as an object */
  detail: Record<string, unknown> | null;
  at: string;
}

export interface ChainTransaction {
  txid: string;
  /** delegate (DelegateResourceContract) or reclaim (UnDelegateResourceContract) */
  kind: 'delegate' | 'reclaim' | 'refund';
  status: TxStatus;
  pool_address: string;
  receiver: string;
  /** TRX (in sun) delegated or undelegated */
  amount_sun: string;
  /** lock period of a delegation, in blocks; null when unlocked */
  lock_blocks: number | null;
  /** how many times it was sent to the node */
  broadcasts: number;
  /** the block that included it */
  block_number: string | null;
  /** the node's refusal code, if it refused a broadcast */
  result_code: string | null;
  result_message: string | null;
  /** chain time after which it can never be included */
  expiration: string;
  /** when it was signed and journaled */
  created_at: string;
  updated_at: string;
  /** time of the solidified block that confirmed it (chain time) */
  confirmed_at: string | null;
}

export interface Pool {
  /** the pool account */
  address: string;
  /** TRX staked for energy (Stake 2.0), including what is delegated out */
  staked_sun: string;
  /** staked for energy and delegated to receivers */
  delegated_sun: string;
  /** held by our orders whose delegation is not confirmed yet (read live from the database) */
  reserved_sun: string;
  /** getcandelegatedmaxsize for ENERGY, as last read from the chain */
  delegatable_sun: string;
  /** room for new orders: delegatable_sun - reserved_sun, never below 0 */
  available_sun: string;
  /** TotalEnergyLimit / TotalEnergyWeight, rounded to 4 decimals; 0 when unknown */
  energy_per_trx: number;
  /** energy available_sun yields at energy_per_trx, rounded down */
  available_energy: number;
  /** the pool account's own EnergyLimit */
  energy_limit: string;
  /** network TotalEnergyWeight (whole TRX) at that read */
  total_energy_weight: string;
  /** network TotalEnergyLimit at that read */
  total_energy_limit: string;
  /** when the chain figures were read (database clock); null until a first read succeeds */
  observed_at: string | null;
  /** why the last read failed (the figures are the last good ones); null once one succeeds */
  error: string | null;
  /** the last read attempt, successful or not */
  updated_at: string;
  /** TRX balance: what fees burn once bandwidth runs out */
  balance_sun: string;
  /** free daily bandwidth left (bytes), as last read; it recovers over 24 h */
  free_bandwidth_left: number;
  /** bandwidth from TRX staked for bandwidth left (bytes), as last read */
  staked_bandwidth_left: number;
  /** about how many more delegations or reclaims the pool can pay for (bandwidth left, then TRX to burn at the chain fee per byte) */
  transactions_payable: number;
  /** transactions our orders on the pool will still make: a delegation and a reclaim for each order delegating, a reclaim for each rental under way (read live from the database). A new rental is planned on the pool only while transactions_payable covers these and its own two */
  transactions_owed: number;
  /** fewer than 20 transactions payable beyond transactions_owed: give the pool TRX or staked bandwidth */
  running_dry: boolean;
  /** true when no worker has read this pool for 5 x POOL_REFRESH_MS (at least a minute): it is most likely no longer configured; its figures are left out of totals */
  retired: boolean;
}

export interface User {
  user_id: number;
  /** the tenant the user belongs to (user ids are unique within a tenant) */
  tenant_id: string;
  /** prepaid balance in sun */
  balance_sun: string;
  /** balance_sun as a decimal TRX string */
  balance_trx: string;
  /** prepaid USDT balance in micro-USDT (1 USDT = 1000000) */
  balance_micro_usdt: string;
  /** balance_micro_usdt as a decimal USDT string */
  balance_usdt: string;
  created_at: string;
  updated_at: string;
}

export interface LedgerEntry {
  id: string;
  kind: 'deposit' | 'order_debit' | 'refund';
  /** TRX (amounts in sun, 10^-6 TRX) or USDT (amounts in micro-USDT, 10^-6 USDT) */
  currency: 'TRX' | 'USDT';
  /** signed: deposits and refunds positive, order debits negative, in the smallest unit of the currency (sun or micro-USDT) */
  amount: string;
  /** the balance in this entry's currency right after it, in the smallest unit of the currency (sun or micro-USDT) */
  balance_after: string;
  /** compatibility: amount when the currency is TRX; null for USDT */
  amount_sun: string | null;
  /** compatibility: balance_after when the currency is TRX; null for USDT */
  balance_after_sun: string | null;
  order_id: string | null;
  reference: string | null;
  /** a deposit seen on chain: the transaction that brought it */
  txid: string | null;
  /** a deposit seen on chain: the solidified block that holds its transaction */
  block_number: string | null;
  created_at: string;
}

export interface Status {
  orders: {
    /** orders in each status */
    by_status: Record<OrderStatus, number>;
    /** age of the oldest pending order (database clock); null when none is pending */
    oldest_pending_ms: number | null;
  };
  dispatch: {
    mode: DispatchPath;
    /** new orders by the path that first took them, since this process started */
    paths: Record<DispatchPath, number>;
    /** as last observed in the background; null without ENABLE_BACKGROUND_TASKS */
    redis: {
      /** the queue connection: ready, connecting, reconnecting, … */
      state: string;
      up: boolean;
      breaker: 'closed' | 'open' | 'half-open';
      /** when the connection was last ready */
      last_ready_at: string | null;
      /** when the connection last failed */
      last_error_at: string | null;
    } | null;
    /** BullMQ jobs by state, as last polled in the background; null without ENABLE_BACKGROUND_TASKS */
    queue_depth: {
      waiting: number;
      active: number;
      delayed: number;
      observed_at: string;
    } | null;
    /** the last orders this process dispatched, newest first */
    recent: Array<{
      order_id: string;
      path: DispatchPath;
      /** this process's clock */
      at: string;
    }>;
  };
  /** chain calls that failed because the node was unavailable */
  chain_errors: number;
  process: {
    uptime_s: number;
    rss_bytes: number;
    heap_used_bytes: number;
    pid: number;
  };
}

export interface DelayBucket {
  /** start of the minute */
  at: string;
  /** orders created in that minute */
  created: number;
  /** orders whose delegation was confirmed in that minute */
  activated: number;
  /** orders that failed in that minute */
  failed: number;
  /** mean created -> active of the orders activated in that minute */
  avg_ms_to_active: number | null;
  /** longest created -> active of those orders */
  max_ms_to_active: number | null;
}

export interface Delays {
  bucket_seconds: number;
  /** start of the first minute */
  from: string;
  /** now, on the database clock */
  to: string;
  buckets: DelayBucket[];
}

export interface OrderPage {
  orders: Order[];
  next_cursor: string | null;
}

export interface OrderEvents {
  order_id: string;
  events: OrderEvent[];
}

export interface OrderTransactions {
  order_id: string;
  transactions: ChainTransaction[];
}

export interface PoolList {
  pools: Pool[];
}

export interface UserPage {
  users: User[];
  next_cursor: string | null;
}

export interface LedgerPage {
  user_id: number;
  entries: LedgerEntry[];
  next_cursor: string | null;
}

export interface FlashRent {
  /** false: this Joule takes no payments by transfer (FLASH_RENT_ADDRESS is not set) */
  enabled: boolean;
  /** where to send TRX */
  address: string | null;
  offers: Array<{
    /** send exactly this many sun */
    amount_sun: string;
    /** the same amount in TRX */
    amount_trx: string;
    /** energy delegated for it */
    energy_amount: number;
    /** for this long */
    duration: string;
  }>;
  /** kept from every refund */
  refund_fee_sun: string | null;
  /** how a transfer is served, in words */
  rules: string[];
}

export interface FlashPayment {
  /** the payment transfer */
  txid: string;
  sender: string;
  memo: string | null;
  /** what was paid */
  amount_sun: string;
  block_number: number;
  block_time: string;
  /** ordered: it paid order_id; refunding: being given back on chain; refunded: given back (refund_txid); kept: too small to give back */
  status: 'ordered' | 'refunding' | 'refunded' | 'kept';
  /** the order it paid for */
  order_id: string | null;
  /** why it is refunded: flash_amount_not_listed, flash_memo_not_an_address, or the failure code of its order */
  reason: string | null;
  /** what goes back: the amount minus the refund fee */
  refund_sun: string | null;
  refund_txid: string | null;
  refund_tx_status: string | null;
  /** why a refund is waiting (awaiting_refund_confirmation, pool_cannot_pay_fee, …) */
  wait_reason: string | null;
  /** when Joule saw it on the solidified chain */
  created_at: string;
}

export interface Tenant {
  id: string;
  name: string;
  /** keys not revoked */
  live_keys: number;
  /** where its webhook events go (never its signing secret) */
  webhook_url: string | null;
  created_at: string;
}

export interface ApiKey {
  id: string;
  /** the tenant it speaks for: its users, orders, balances and saved addresses */
  tenant_id: string;
  name: string;
  /** the key's first characters, to tell keys apart (the key itself is never shown again) */
  key_prefix: string;
  created_at: string;
  /** when its secret was last replaced */
  rotated_at: string | null;
  /** when it was last used, to the minute */
  last_used_at: string | null;
  /** when it was revoked: it no longer works */
  revoked_at: string | null;
  /** the key's own limit in requests a minute; null: RATE_LIMIT_PER_MIN */
  rate_limit: number | null;
}
