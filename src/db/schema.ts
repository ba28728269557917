import type { Generated } from 'kysely';
import type { OrderStatus } from '../domain/order-status.js';

/**
 * Table types. Every integer column is BIGINT and arrives as bigint on both
 * dialects (SQLite safe integers, PostgreSQL int8 parser), so sun amounts and
 * int64 user ids stay exact. Times are epoch milliseconds from the database clock.
 */
export interface UsersTable {
  id: bigint;
  balance_sun: bigint;
  created_at: bigint;
  updated_at: bigint;
}

export const LEDGER_KINDS = ['deposit', 'order_debit', 'refund'] as const;
export type LedgerKind = (typeof LEDGER_KINDS)[number];

export interface LedgerEntriesTable {
  id: Generated<bigint>;
  user_id: bigint;
  kind: LedgerKind;
  /** Signed: deposits and refunds positive, debits negative. */
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
  status: OrderStatus;
  energy_amount: bigint;
  duration: string;
  duration_seconds: bigint;
  receive_address: string;
  price_sun: bigint;
  rate_sun_per_energy_day: bigint;
  idempotency_key: string | null;
  /** sha256 of the canonical request, to tell a replay from a conflicting reuse of a key. */
  request_hash: string;
  pool_address: string | null;
  delegated_sun: bigint | null;
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

export interface Database {
  users: UsersTable;
  ledger_entries: LedgerEntriesTable;
  orders: OrdersTable;
  order_events: OrderEventsTable;
}
