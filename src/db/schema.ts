import type { ColumnType, Generated } from 'kysely';
import type { Currency } from '../domain/currency.js';
import type { OrderStatus } from '../domain/order-status.js';
import type { WebhookDeliveryStatus, WebhookEventType } from '../domain/webhook-events.js';

/**
 * Table types. Every integer column is BIGINT and arrives as bigint on both
 * dialects (SQLite safe integers, PostgreSQL int8 parser), so sun amounts and
 * int64 user ids stay exact. Times are epoch milliseconds from the database clock.
 */
export interface UsersTable {
  id: bigint;
  /** TRX balance, in sun. */
  balance_sun: bigint;
  /** USDT balance, in micro-USDT (migration 007). */
  balance_micro_usdt: ColumnType<bigint, bigint | undefined, bigint>;
  created_at: bigint;
  updated_at: bigint;
}

export const LEDGER_KINDS = ['deposit', 'order_debit', 'refund'] as const;
export type LedgerKind = (typeof LEDGER_KINDS)[number];

export interface LedgerEntriesTable {
  id: Generated<bigint>;
  user_id: bigint;
  kind: LedgerKind;
  /** What amount_sun and balance_after_sun are in; rows from before migration 007 are TRX. */
  currency: ColumnType<Currency, Currency | undefined, Currency>;
  /**
   * Signed: deposits and refunds positive, debits negative. In the smallest
   * unit of `currency` (sun or micro-USDT): the names predate USDT (see 007).
   */
  amount_sun: bigint;
  balance_after_sun: bigint;
  order_id: string | null;
  /** Deposit reference (unique per deposit), for idempotent top-ups. */
  reference: string | null;
  created_at: bigint;
}

export interface OrdersTable {
  id: string;
  user_id: bigint;
  /**
   * The tenant whose key placed it (its user's tenant), for listing a
   * tenant's orders by one index (see 015). Optional to an insert only for
   * rows written before 015 (the default tenant's); Joule's inserts name it
   * (NewOrder).
   */
  tenant_id: ColumnType<string, string | undefined, string>;
  status: OrderStatus;
  energy_amount: bigint;
  duration: string;
  duration_seconds: bigint;
  receive_address: string;
  /** What the order was paid in; price_sun, rate_sun_per_energy_day and refunded_sun are in its smallest unit (see 007). */
  pay_currency: ColumnType<Currency, Currency | undefined, Currency>;
  price_sun: bigint;
  rate_sun_per_energy_day: bigint;
  idempotency_key: string | null;
  /** sha256 of the canonical request, to tell a replay from a conflicting reuse of a key; '' for an order placed without a key, which nothing replays (older such orders hold a hash, never read). */
  request_hash: string;
  pool_address: string | null;
  delegated_sun: bigint | null;
  /** Energy the delegation was worth when it was confirmed (live network totals, rounded down as the chain does). */
  delivered_energy: ColumnType<bigint | null, bigint | null | undefined, bigint | null>;
  delegate_txid: string | null;
  reclaim_txid: string | null;
  lease_owner: string | null;
  lease_until: bigint | null;
  lease_version: Generated<bigint>;
  attempts: Generated<bigint>;
  next_attempt_at: bigint | null;
  error_code: string | null;
  error_message: string | null;
  refunded_sun: bigint | null;
  created_at: bigint;
  updated_at: bigint;
  delegated_at: bigint | null;
  expires_at: bigint | null;
  reclaimed_at: bigint | null;
  completed_at: bigint | null;
  failed_at: bigint | null;
  delegate_tx_status: ChainTxStatus | null;
  reclaim_tx_status: ChainTxStatus | null;
  /** Lock period (blocks) the delegation was made with; null when unlocked. */
  lock_blocks: bigint | null;
  /** Why a pending or active order is waiting (e.g. no pool capacity, lock not yet expired). */
  wait_reason: string | null;
  reclaim_attempts: Generated<bigint>;
  /** The flash-rent transfer that paid for this order (migration 008); null for orders paid from a balance. */
  payment_txid: ColumnType<string | null, string | null | undefined, string | null>;
  /** When an early cancel of the active order was asked for (migration 009); the engine reclaims it then. */
  cancel_requested_at: ColumnType<bigint | null, bigint | null | undefined, bigint | null>;
  /**
   * When a cancel took effect (migration 009): a pending order cancelled, or
   * an active one's early reclaim completed; refunded_sun says what went back.
   */
  cancelled_at: ColumnType<bigint | null, bigint | null | undefined, bigint | null>;
}

/** delegate and reclaim are an order's; refund (TRX back to a flash-rent payer) is a flash payment's (migration 008). */
export const CHAIN_TX_KINDS = ['delegate', 'reclaim', 'refund'] as const;
export type ChainTxKind = (typeof CHAIN_TX_KINDS)[number];

/**
 * signed     journaled, maybe broadcast (a crash may have hit in between): outcome unknown
 * broadcast  the node accepted it: outcome unknown until solidified
 * confirmed  in a solidified block with a successful result
 * failed     in a solidified block with a failed result, or refused by the node
 *            and now past its expiration: it will never land
 * expired    never seen on chain and past its expiration: it will never land
 */
export const CHAIN_TX_STATUSES = ['signed', 'broadcast', 'confirmed', 'failed', 'expired'] as const;
export type ChainTxStatus = (typeof CHAIN_TX_STATUSES)[number];

export interface ChainTransactionsTable {
  txid: string;
  /** The order it is for; null for the refund of a flash payment that never became an order. */
  order_id: string | null;
  /** The flash payment a refund gives back (migration 008); null for an order's delegate and reclaim. */
  payment_txid: ColumnType<string | null, string | null | undefined, string | null>;
  kind: ChainTxKind;
  pool_address: string;
  receiver: string;
  amount_sun: bigint;
  lock_blocks: bigint | null;
  /** The signed transaction, re-broadcast verbatim when its outcome is in doubt. Never logged. */
  signed_json: string;
  /** Chain time (ms) after which it can never be included. */
  expiration: bigint;
  status: ChainTxStatus;
  result_code: string | null;
  result_message: string | null;
  block_number: bigint | null;
  broadcasts: Generated<bigint>;
  created_at: bigint;
  updated_at: bigint;
  confirmed_at: bigint | null;
}

export interface OrderEventsTable {
  id: Generated<bigint>;
  order_id: string;
  from_status: OrderStatus | null;
  to_status: OrderStatus;
  reason: string;
  actor: string;
  detail: string | null;
  at: bigint;
}

/**
 * A pool account as the chain last showed it (head view), kept by the workers'
 * pool monitor. Zero amounts and a null observed_at until a first read succeeds.
 */
/**
 * Where the block follower stands on the solidified chain (one row, name
 * `solid`), and which worker follows it now.
 */
export interface ChainCursorsTable {
  name: string;
  /** The last block settled from, and its timestamp (chain time, ms). */
  block_number: bigint;
  block_time: bigint;
  /**
   * When following began (database clock). Transactions journaled before it
   * may sit in blocks the follower never read: those are looked up by id.
   */
  started_at: bigint;
  lease_owner: string | null;
  lease_until: bigint | null;
  updated_at: bigint;
  /** The FLASH_RENT_ADDRESS the lease's holder watches; null when it watches none (migration 022). */
  lease_flash_address: string | null;
  /** Until when a worker that watches flash-rent payments is taken to be about: none other follows before (database clock). */
  flash_watched_until: bigint | null;
}

export interface PoolSnapshotsTable {
  address: string;
  /** TRX staked for energy (FreezeBalanceV2), including what is delegated out. */
  staked_sun: bigint;
  /** Staked for energy and delegated to others. */
  delegated_sun: bigint;
  /** getcandelegatedmaxsize for ENERGY on the head view. */
  delegatable_sun: bigint;
  /** The account's own EnergyLimit. */
  energy_limit: bigint;
  /** Network totals at that read: TotalEnergyWeight (whole TRX) and TotalEnergyLimit. */
  total_energy_weight: bigint;
  total_energy_limit: bigint;
  /** What the pool pays transaction fees with: its TRX, and its free and staked bandwidth (bytes). */
  balance_sun: ColumnType<bigint, bigint | undefined, bigint>;
  free_net_limit: ColumnType<bigint, bigint | undefined, bigint>;
  free_net_used: ColumnType<bigint, bigint | undefined, bigint>;
  net_limit: ColumnType<bigint, bigint | undefined, bigint>;
  net_used: ColumnType<bigint, bigint | undefined, bigint>;
  /** getTransactionFee at that read: sun burnt per byte no bandwidth pays for. */
  transaction_fee_sun: ColumnType<bigint, bigint | undefined, bigint>;
  /** When the figures above were read (database clock); null until a first success. */
  observed_at: bigint | null;
  /** The head block when they were read: our transactions up to it are in the figures. */
  observed_block: ColumnType<bigint | null, bigint | null | undefined, bigint | null>;
  /** Why the last refresh failed; null once one succeeds. */
  error: string | null;
  updated_at: bigint;
}

/** One address per user, derived from DEPOSIT_XPUB at .../0/<derivation_index>; indexes have no gaps. */
export interface DepositAddressesTable {
  user_id: bigint;
  derivation_index: bigint;
  address: string;
  created_at: bigint;
}

/**
 * A solidified transfer to a deposit address, once per (txid, event_index).
 * credited 1: its ledger entry is ledger_entry_id; 0: below the minimum for
 * its currency, recorded only.
 */
export interface ChainDepositsTable {
  id: Generated<bigint>;
  txid: string;
  event_index: bigint;
  address: string;
  user_id: bigint;
  currency: Currency;
  /** In the currency's smallest unit. */
  amount: bigint;
  block_number: bigint;
  /** Chain time of the block, ms. */
  block_time: bigint;
  credited: bigint;
  ledger_entry_id: bigint | null;
  created_at: bigint;
}

export const REFUND_STATUSES = ['due', 'refunded'] as const;
export type RefundStatus = (typeof REFUND_STATUSES)[number];

/**
 * A solidified TRX transfer to FLASH_RENT_ADDRESS, once per txid: it paid
 * the order whose payment_txid names it, or it is owed back (refund_status
 * 'due' until the refund transfer is confirmed, then 'refunded'). While a
 * refund is owed the row is worked like an order: leased, retried.
 */
export interface FlashPaymentsTable {
  txid: string;
  sender: string;
  /** The transfer's memo (raw_data.data) as UTF-8, if any. */
  memo: string | null;
  amount_sun: bigint;
  block_number: bigint;
  /** Chain time of the block, ms. */
  block_time: bigint;
  refund_status: RefundStatus | null;
  /** Why it is refunded: an order failure code, or why it never became an order. */
  refund_reason: string | null;
  /** What goes back: the amount paid minus FLASH_RENT_REFUND_FEE_SUN. */
  refund_sun: bigint | null;
  /** FLASH_RENT_REFUND_FEE_SUN when the payment was served: kept if it is sent back (migration 023; null before). */
  refund_fee_sun: bigint | null;
  refund_txid: string | null;
  refund_tx_status: ChainTxStatus | null;
  lease_owner: string | null;
  lease_until: bigint | null;
  lease_version: Generated<bigint>;
  attempts: Generated<bigint>;
  next_attempt_at: bigint | null;
  wait_reason: string | null;
  created_at: bigint;
  updated_at: bigint;
}

/** A user's saved receiver, with its label (migration 010). */
export interface SavedAddressesTable {
  user_id: bigint;
  address: string;
  label: string;
  created_at: bigint;
  updated_at: bigint;
}

/**
 * The latest read of a saved address's energy (getaccountresource), and when
 * to read it next: due_at null while nobody has asked since the last read.
 */
export interface ReceiverEnergyTable {
  address: string;
  /** 1: the account exists on chain; 0: never activated; null until a first read. */
  activated: bigint | null;
  energy_limit: bigint | null;
  /** Recovered as the chain recovers it, at the read. */
  energy_used: bigint | null;
  observed_at: bigint | null;
  due_at: bigint | null;
  error: string | null;
  updated_at: bigint;
}

/** A business on top of Joule (migration 011); `default` owns every row from before tenants. */
export interface TenantsTable {
  id: string;
  name: string;
  created_at: bigint;
  updated_at: bigint;
  /** Where its webhook events go (migration 012); null: none are recorded. */
  webhook_url: ColumnType<string | null, string | null | undefined, string | null>;
  /** The HMAC key its webhooks are signed with; made with its first URL or on rotation, shown once. */
  signing_secret: ColumnType<string | null, string | null | undefined, string | null>;
}

/** An API key of a tenant: only its sha256 is kept. */
export interface ApiKeysTable {
  id: string;
  tenant_id: string;
  name: string;
  key_hash: string;
  /** The key's first characters, to tell keys apart in a list. */
  key_prefix: string;
  created_at: bigint;
  rotated_at: bigint | null;
  last_used_at: bigint | null;
  revoked_at: bigint | null;
  /** Requests a minute this key may make; null: RATE_LIMIT_PER_MIN. */
  rate_limit_per_min: bigint | null;
}

/** Requests of one credential in one wall-clock minute, shared by the api processes (without Redis). */
export interface RateLimitCountsTable {
  /** `key:<api key id>` or `env:<hash of an API_KEYS key>`. */
  credential: string;
  window_start: bigint;
  count: bigint;
}

/** A non-default tenant's user: its own id, and the users row (id below zero) that holds its balances. */
export interface TenantUsersTable {
  tenant_id: string;
  external_id: bigint;
  user_id: bigint;
  created_at: bigint;
}

/** An event of the outbox and its delivery state (migration 012). */
export interface WebhookEventsTable {
  /** Also the receiver's deduplication key (Joule-Event-Id). */
  id: string;
  tenant_id: string;
  type: WebhookEventType;
  /** The JSON body sent, byte for byte the same at every attempt. */
  payload: string;
  created_at: bigint;
  status: WebhookDeliveryStatus;
  attempts: ColumnType<bigint, bigint | undefined, bigint>;
  /** When a pending delivery is due; null once settled. */
  next_attempt_at: bigint | null;
  /** After this, a failed attempt gives up (24 h after the event, or after a redelivery). */
  deadline_at: bigint;
  lease_owner: string | null;
  lease_until: bigint | null;
  lease_version: ColumnType<bigint, bigint | undefined, bigint>;
  last_attempt_at: bigint | null;
  last_status_code: bigint | null;
  last_error: string | null;
  last_duration_ms: bigint | null;
  delivered_at: bigint | null;
  updated_at: bigint;
}

/** One request to a webhook URL, as the delivery log shows it. */
export interface WebhookAttemptsTable {
  id: Generated<bigint>;
  event_id: string;
  url: string;
  worker: string;
  started_at: bigint;
  duration_ms: bigint;
  /** The HTTP status answered; null when none was (timeout, refused connection, private address). */
  status_code: bigint | null;
  error: string | null;
}

export interface Database {
  users: UsersTable;
  ledger_entries: LedgerEntriesTable;
  orders: OrdersTable;
  order_events: OrderEventsTable;
  chain_transactions: ChainTransactionsTable;
  pool_snapshots: PoolSnapshotsTable;
  chain_cursors: ChainCursorsTable;
  deposit_addresses: DepositAddressesTable;
  chain_deposits: ChainDepositsTable;
  flash_payments: FlashPaymentsTable;
  saved_addresses: SavedAddressesTable;
  receiver_energy: ReceiverEnergyTable;
  tenants: TenantsTable;
  api_keys: ApiKeysTable;
  tenant_users: TenantUsersTable;
  rate_limit_counts: RateLimitCountsTable;
  webhook_events: WebhookEventsTable;
  webhook_attempts: WebhookAttemptsTable;
}
