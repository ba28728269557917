import type { OrderStatus } from '../../src/domain/order-status.js';

/** The JSON the API answers with (see /openapi.json): what the dashboard reads. */
export interface Order {
  id: string;
  user_id: number | string;
  status: OrderStatus;
  energy_amount: number;
  duration: string;
  receive_address: string;
  price_sun: string;
  pool_address: string | null;
  delegated_sun: string | null;
  delegate_txid: string | null;
  reclaim_txid: string | null;
  lock_blocks: number | null;
  wait_reason: string | null;
  error_code: string | null;
  error_message: string | null;
  refunded_sun: string | null;
  created_at: string;
  updated_at: string;
  delegated_at: string | null;
  expires_at: string | null;
  completed_at: string | null;
  failed_at: string | null;
}

export interface OrderEvent {
  from_status: OrderStatus | null;
  to_status: OrderStatus;
  reason: string;
  actor: string;
  detail: Record<string, unknown> | null;
  at: string;
}

export interface ChainTransaction {
  txid: string;
  kind: 'delegate' | 'reclaim';
  status: 'signed' | 'broadcast' | 'confirmed' | 'failed' | 'expired';
  pool_address: string;
  receiver: string;
  amount_sun: string;
  lock_blocks: number | null;
  broadcasts: number;
  block_number: string | null;
  result_code: string | null;
  result_message: string | null;
  created_at: string;
  confirmed_at: string | null;
}

export interface Pool {
  address: string;
  staked_sun: string;
  delegated_sun: string;
  reserved_sun: string;
  delegatable_sun: string;
  available_sun: string;
  energy_per_trx: number;
  available_energy: number;
  observed_at: string | null;
  error: string | null;
}

export interface User {
  user_id: number | string;
  balance_sun: string;
  created_at: string;
  updated_at: string;
}

export interface LedgerEntry {
  id: string;
  kind: 'deposit' | 'order_debit' | 'refund';
  amount_sun: string;
  balance_after_sun: string;
  order_id: string | null;
  reference: string | null;
  created_at: string;
}

export type DispatchPath = 'in-process' | 'queue' | 'sweeper';

export interface Status {
  orders: { by_status: Record<OrderStatus, number>; oldest_pending_ms: number | null };
  dispatch: {
    mode: DispatchPath;
    paths: Record<DispatchPath, number>;
    recent?: Array<{ order_id: string; path: DispatchPath; at: string }>;
    redis: null | { state: string; up: boolean; breaker: 'closed' | 'open' | 'half-open'; last_ready_at: string | null; last_error_at: string | null };
    queue_depth: null | { waiting: number; active: number; delayed: number; observed_at: string };
  };
  chain_errors: number;
  process: { uptime_s: number; rss_bytes: number; heap_used_bytes: number; pid: number };
}

export interface DelayBucket {
  at: string;
  created: number;
  activated: number;
  failed: number;
  avg_ms_to_active: number | null;
  max_ms_to_active: number | null;
}

export interface Delays {
  bucket_seconds: number;
  from: string;
  to: string;
  buckets: DelayBucket[];
}
