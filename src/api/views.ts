import type { Static } from '@sinclair/typebox';
import type { LedgerEntry, User } from '../db/users.js';
import type { ChainDepositRow } from '../db/chain-deposits.js';
import type { ChainTransactionView } from '../db/chain-transactions.js';
import type { DelayReport } from '../db/order-delays.js';
import type { HeldOnPool, Order, OrderEvent } from '../db/orders.js';
import { feeMeansOf, type PoolSnapshot } from '../db/pool-snapshots.js';
import { bandwidthLeft, RUNNING_DRY_BELOW, transactionsPayable } from '../domain/pool-fees.js';
import { sunToTrx } from '../domain/amounts.js';
import { refundFields } from '../domain/currency.js';
import { clientKey } from '../use-cases/tenants.js';
import type { Owner } from '../domain/tenant.js';
import { durationHours } from '../domain/durations.js';
import { poolCapacity } from '../domain/pool-capacity.js';
import type { ChainTransactionBody, DelayReportBody, LedgerEntryBody, OrderBody, OrderEventBody, PoolBody, UserBody } from './schemas.js';

/**
 * Database rows -> the JSON the API promises (see schemas.ts). Each view is
 * typed by its schema, so a field the schema lacks (which the serialiser
 * would silently drop) does not compile.
 */
// The last moment written, and its text: toISOString is most of a view's cost, and an
// order's created_at and updated_at are one moment, as often are the orders of one commit.
let lastMs: bigint | undefined;
let lastIso = '';
export const iso = (ms: bigint): string => {
  if (ms !== lastMs) {
    lastIso = new Date(Number(ms)).toISOString();
    lastMs = ms;
  }
  return lastIso;
};
const isoOrNull = (ms: bigint | null) => (ms === null ? null : iso(ms));
const str = (n: bigint | null) => (n === null ? null : n.toString());


export function orderView(o: Order, owner: Owner): Static<typeof OrderBody> {
  const trx = o.pay_currency === 'TRX';
  return {
    id: o.id,
    user_id: owner.externalId,
    tenant_id: owner.tenantId,
    status: o.status,
    energy_amount: o.energy_amount,
    duration: o.duration,
    duration_seconds: o.duration_seconds,
    duration_hours: durationHours(o.duration_seconds),
    receive_address: o.receive_address,
    pay_currency: o.pay_currency,
    price: o.price_sun.toString(),
    rate_per_energy_day: o.rate_sun_per_energy_day.toString(),
    // The columns hold the pay currency's smallest unit; under a _sun name only when that is sun.
    price_sun: trx ? o.price_sun.toString() : null,
    cost_trx: trx ? sunToTrx(o.price_sun) : null,
    rate_sun_per_energy_day: trx ? o.rate_sun_per_energy_day.toString() : null,
    // As the tenant sent it; a flash-rent order's key is derived from its transfer, not a client's.
    client_order_id: clientKey(o.idempotency_key),
    payment_txid: o.payment_txid,
    pool_address: o.pool_address,
    delegated_sun: str(o.delegated_sun),
    delivered_energy: o.delivered_energy === null ? null : Number(o.delivered_energy),
    delegate_txid: o.delegate_txid,
    reclaim_txid: o.reclaim_txid,
    delegate_tx_status: o.delegate_tx_status,
    reclaim_tx_status: o.reclaim_tx_status,
    // A number, not a bigint: the serialiser checks nullable fields with the validator, which knows no bigint.
    lock_blocks: o.lock_blocks === null ? null : Number(o.lock_blocks),
    wait_reason: o.wait_reason,
    tx_hash: o.delegate_txid,
    attempts: o.attempts,
    reclaim_attempts: o.reclaim_attempts,
    error_code: o.error_code,
    error_message: o.error_message,
    ...refundFields(o.refunded_sun, o.pay_currency),
    created_at: iso(o.created_at),
    updated_at: iso(o.updated_at),
    delegated_at: isoOrNull(o.delegated_at),
    expires_at: isoOrNull(o.expires_at),
    reclaimed_at: isoOrNull(o.reclaimed_at),
    completed_at: isoOrNull(o.completed_at),
    failed_at: isoOrNull(o.failed_at),
    cancel_requested_at: isoOrNull(o.cancel_requested_at),
    cancelled_at: isoOrNull(o.cancelled_at),
  };
}

export function orderEventView(e: OrderEvent): Static<typeof OrderEventBody> {
  return {
    from_status: e.from_status,
    to_status: e.to_status,
    reason: e.reason,
    actor: e.actor,
    detail: e.detail === null ? null : (JSON.parse(e.detail) as Record<string, unknown>),
    at: iso(e.at),
  };
}

/** `chain`: the deposit seen on chain behind the entry, if any (chainDepositsBehind). */
export function ledgerEntryView(e: LedgerEntry, chain?: ChainDepositRow): Static<typeof LedgerEntryBody> {
  return {
    id: e.id.toString(),
    kind: e.kind,
    currency: e.currency,
    amount: e.amount_sun.toString(),
    balance_after: e.balance_after_sun.toString(),
    amount_sun: e.currency === 'TRX' ? e.amount_sun.toString() : null,
    balance_after_sun: e.currency === 'TRX' ? e.balance_after_sun.toString() : null,
    order_id: e.order_id,
    // As the tenant sent it (another tenant's keys are stored behind its id).
    reference: clientKey(e.reference),
    txid: chain?.txid ?? null,
    block_number: chain?.block_number.toString() ?? null,
    created_at: iso(e.created_at),
  };
}

export function userView(u: User, owner: Owner): Static<typeof UserBody> {
  return {
    user_id: owner.externalId,
    tenant_id: owner.tenantId,
    balance_sun: u.balance_sun.toString(),
    balance_trx: sunToTrx(u.balance_sun),
    balance_micro_usdt: u.balance_micro_usdt.toString(),
    // Six decimals, as TRX has: the same exact formatting.
    balance_usdt: sunToTrx(u.balance_micro_usdt),
    created_at: iso(u.created_at),
    updated_at: iso(u.updated_at),
  };
}

export function poolView(p: PoolSnapshot, held: HeldOnPool, retired: boolean): Static<typeof PoolBody> {
  const { reservedSun } = held;
  const c = poolCapacity({
    delegatableSun: p.delegatable_sun,
    totalEnergyWeight: p.total_energy_weight,
    totalEnergyLimit: p.total_energy_limit,
    reservedSun,
  });
  return {
    address: p.address,
    staked_sun: p.staked_sun.toString(),
    delegated_sun: p.delegated_sun.toString(),
    reserved_sun: reservedSun.toString(),
    delegatable_sun: p.delegatable_sun.toString(),
    available_sun: c.availableSun.toString(),
    energy_per_trx: c.energyPerTrx,
    available_energy: c.availableEnergy,
    energy_limit: p.energy_limit.toString(),
    total_energy_weight: p.total_energy_weight.toString(),
    total_energy_limit: p.total_energy_limit.toString(),
    observed_at: isoOrNull(p.observed_at),
    error: p.error,
    updated_at: iso(p.updated_at),
    ...feeView(p, held.owedTransactions),
    retired,
  };
}

/** How the pool pays transaction fees, from its snapshot, and what our orders on it still owe (`owed`). */
function feeView(p: PoolSnapshot, owed: bigint) {
  const means = feeMeansOf(p);
  const payable = transactionsPayable(means, p.transaction_fee_sun);
  const { free, staked } = bandwidthLeft(means);
  return {
    balance_sun: p.balance_sun.toString(),
    free_bandwidth_left: free,
    staked_bandwidth_left: staked,
    transactions_payable: payable,
    transactions_owed: owed,
    // Only once a read succeeded: an unread pool is not known to be dry. What is owed is spoken for already.
    running_dry: p.observed_at !== null && payable < owed + RUNNING_DRY_BELOW,
  };
}

export function chainTransactionView(t: ChainTransactionView): Static<typeof ChainTransactionBody> {
  return {
    txid: t.txid,
    kind: t.kind,
    status: t.status,
    pool_address: t.pool_address,
    receiver: t.receiver,
    amount_sun: t.amount_sun.toString(),
    lock_blocks: t.lock_blocks === null ? null : Number(t.lock_blocks),
    broadcasts: t.broadcasts,
    block_number: str(t.block_number),
    result_code: t.result_code,
    result_message: t.result_message,
    expiration: iso(t.expiration),
    created_at: iso(t.created_at),
    updated_at: iso(t.updated_at),
    confirmed_at: isoOrNull(t.confirmed_at),
  };
}

export function delayReportView(r: DelayReport): Static<typeof DelayReportBody> {
  return {
    bucket_seconds: 60,
    from: iso(r.fromMs),
    to: iso(r.toMs),
    buckets: r.buckets.map((b) => ({
      at: iso(b.atMs),
      created: b.created,
      activated: b.activated,
      failed: b.failed,
      avg_ms_to_active: b.avgMsToActive,
      max_ms_to_active: b.maxMsToActive,
    })),
  };
}
