import type { Selectable, Updateable } from 'kysely';
import { dbNow } from './clock.js';
import { columnsOf, everyColumn } from './columns.js';
import type { DbHandle } from './connect.js';
import { preparedClaim, TAKE_LEASE } from './due-claims.js';
import { retryOnRelease } from './order-leases.js';
import type { FlashPaymentsTable } from './schema.js';

export type FlashPayment = Selectable<FlashPaymentsTable>;

export interface NewFlashPayment {
  txid: string;
  sender: string;
  memo: string | null;
  amountSun: bigint;
  blockNumber: bigint;
  blockTime: bigint;
  /** Why it did not become an order (an amount not in the table, a memo that is not an address); null when it did. */
  reason: string | null;
  /** What is owed back from the start; null when nothing is (an order, or too little to refund). */
  refundSun: bigint | null;
  /** FLASH_RENT_REFUND_FEE_SUN now: what is kept should it be sent back, then or later. */
  refundFeeSun: bigint;
}

/**
 * Records a payment once per txid. Returns false when it was recorded
 * before (the block read again after a restart, or by another worker): the
 * caller then does nothing else with it.
 */
export async function insertFlashPayment(db: DbHandle, p: NewFlashPayment): Promise<boolean> {
  const now = dbNow(db.dialect);
  const row = await db.kysely
    .insertInto('flash_payments')
    .values({
      txid: p.txid,
      sender: p.sender,
      memo: p.memo,
      amount_sun: p.amountSun,
      block_number: p.blockNumber,
      block_time: p.blockTime,
      refund_status: p.refundSun === null ? null : 'due',
      refund_reason: p.reason,
      refund_sun: p.refundSun,
      refund_fee_sun: p.refundFeeSun,
      next_attempt_at: p.refundSun === null ? null : now,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.column('txid').doNothing())
    .returning('txid')
    .executeTakeFirst();
  return row !== undefined;
}

/** The refund fee a payment was taken under; null when it was served before that was kept (or is unknown). */
export async function refundFeeOf(db: DbHandle, txid: string): Promise<bigint | null> {
  const row = await db.kysely.selectFrom('flash_payments').select('refund_fee_sun').where('txid', '=', txid).executeTakeFirst();
  return row?.refund_fee_sun ?? null;
}

/**
 * The payment of an order that could not be delivered is owed back, in the
 * transaction that fails the order. Only a payment not yet owed back moves.
 */
export async function markRefundDue(db: DbHandle, txid: string, reason: string, sun: bigint): Promise<boolean> {
  const row = await db.kysely
    .updateTable('flash_payments')
    .set({ refund_status: 'due', refund_reason: reason, refund_sun: sun, next_attempt_at: dbNow(db.dialect), updated_at: dbNow(db.dialect) })
    .where('txid', '=', txid)
    .where('refund_status', 'is', null)
    .returning('txid')
    .executeTakeFirst();
  return row !== undefined;
}

/** A refund is due when it is owed, nobody holds it, and its retry time has come. */
const DUE = `refund_status = 'due'
    and (lease_until is null or lease_until < $now)
    and (next_attempt_at is null or next_attempt_at <= $now)`;

const FLASH_PAYMENT_COLUMNS = columnsOf(
  everyColumn<FlashPaymentsTable>()([
    'txid',
    'sender',
    'memo',
    'amount_sun',
    'block_number',
    'block_time',
    'refund_status',
    'refund_reason',
    'refund_sun',
    'refund_fee_sun',
    'refund_txid',
    'refund_tx_status',
    'lease_owner',
    'lease_until',
    'lease_version',
    'attempts',
    'next_attempt_at',
    'wait_reason',
    'created_at',
    'updated_at',
  ]),
);

/** Its `?`: the limit; the owner, the lease's length. */
const claimDueStatement = preparedClaim<FlashPayment>(
  `select txid from flash_payments where ${DUE} order by next_attempt_at limit ?`,
  `update flash_payments set ${TAKE_LEASE} where txid in (select txid from due) and ${DUE} returning ${FLASH_PAYMENT_COLUMNS}`,
);

/** Claims up to `limit` due refunds, oldest first, each with a lease and a version bump, as orders are claimed (preparedClaim). */
export function claimDueRefunds(db: DbHandle, owner: string, leaseMs: number, limit: number): Promise<FlashPayment[]> {
  return claimDueStatement.all(db, [limit, owner, BigInt(leaseMs)]);
}

/** Writes a payment we hold, fenced on its lease; undefined when the lease was lost. */
export function updateHeldPayment(
  db: DbHandle,
  held: FlashPayment,
  fields: Omit<Updateable<FlashPaymentsTable>, 'txid' | 'lease_version' | 'updated_at'>,
): Promise<FlashPayment | undefined> {
  return db.kysely
    .updateTable('flash_payments')
    .set({ ...fields, updated_at: dbNow(db.dialect) })
    .where('txid', '=', held.txid)
    .where('lease_version', '=', held.lease_version)
    .returningAll()
    .executeTakeFirst();
}

/** Gives a held payment back, to be looked at again after `retryInMs` (null: only when woken). Fenced. */
export async function releasePayment(
  db: DbHandle,
  held: FlashPayment,
  leaseMs: number,
  retryInMs: number | null,
  waitReason: string | null,
  attempts: bigint,
): Promise<void> {
  await db.kysely
    .updateTable('flash_payments')
    .set({
      lease_owner: null,
      lease_until: null,
      // Made due while held (its refund settled): it stays due, as an order does.
      next_attempt_at: retryOnRelease(db.dialect, leaseMs, retryInMs),
      wait_reason: waitReason,
      attempts,
    })
    .where('txid', '=', held.txid)
    .where('lease_version', '=', held.lease_version)
    .execute();
}

/** Payments whose refund settled on chain are due now (leases left alone, as for orders). */
export async function makePaymentsDue(db: DbHandle, txids: readonly string[]): Promise<void> {
  if (txids.length === 0) return;
  await db.kysely.updateTable('flash_payments').set({ next_attempt_at: dbNow(db.dialect) }).where('txid', 'in', txids).where('refund_status', '=', 'due').execute();
}

export function findFlashPayment(db: DbHandle, txid: string): Promise<FlashPayment | undefined> {
  return db.kysely.selectFrom('flash_payments').selectAll().where('txid', '=', txid).executeTakeFirst();
}

/** A payment as shown: the row without its lease, with the order it paid for. */
export type FlashPaymentView = Omit<FlashPayment, 'lease_owner' | 'lease_until' | 'lease_version' | 'refund_fee_sun'> & { order_id: string | null };

/** The newest payments first, with the order each paid for (if any). */
export function recentFlashPayments(db: DbHandle, limit: number): Promise<FlashPaymentView[]> {
  return db.kysely
    .selectFrom('flash_payments as p')
    .leftJoin('orders as o', 'o.payment_txid', 'p.txid')
    .select([
      'p.txid',
      'p.sender',
      'p.memo',
      'p.amount_sun',
      'p.block_number',
      'p.block_time',
      'p.refund_status',
      'p.refund_reason',
      'p.refund_sun',
      'p.refund_txid',
      'p.refund_tx_status',
      'p.attempts',
      'p.next_attempt_at',
      'p.wait_reason',
      'p.created_at',
      'p.updated_at',
      'o.id as order_id',
    ])
    .orderBy('p.created_at', 'desc')
    .orderBy('p.txid')
    .limit(limit)
    .execute();
}
