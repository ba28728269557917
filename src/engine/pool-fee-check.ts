import { cannotPayFor, findPoolSnapshot, lowerDelegatable, snapshotCanPayFee } from '../db/pool-snapshots.js';
import { TX_BYTES } from '../domain/pool-fees.js';
import type { EngineContext } from './context.js';

/**
 * What every transaction a pool signs (a delegation, a reclaim, a flash-rent
 * refund) asks of the pool's snapshot, and what a node's refusal of one
 * writes to it. In one place so that each kind behaves alike: nothing is
 * signed that the snapshot says the pool cannot pay, nothing more is planned
 * on a pool the node refused, and either way the pool is read again soon
 * (funded meanwhile, it must not wait for its periodic read, POOL_REFRESH_MS,
 * while energy stays with a receiver or a payer waits for a refund).
 */

/** The node's answer when a pool has no bandwidth left and less TRX than the transaction would burn. */
export const isCannotPay = (refusalCode: string): boolean => refusalCode === 'BANDWITH_ERROR';

/**
 * Whether the pool's snapshot says it can pay for one more transaction; when
 * not, its read is asked for (at most once per few block intervals: every
 * try of every reclaim and refund waiting on a dry pool asks).
 */
export async function poolCanPayNow(ctx: EngineContext, pool: string): Promise<boolean> {
  if (snapshotCanPayFee(await findPoolSnapshot(ctx.db, pool))) return true;
  ctx.hooks?.poolsWaitedOn?.(pool);
  return false;
}

/**
 * A node refused the pool's transaction: it cannot pay for one (`fee`), or
 * it has less to delegate than its snapshot said. The snapshot says so until
 * the pool's next read, asked for here: a snapshot read before the operator
 * swept the pool's TRX, or before its stake went elsewhere, would otherwise
 * let every choice take the pool, and every try sign on it again.
 */
export async function poolFellShort(ctx: EngineContext, pool: string, short: 'fee' | { delegatable: bigint }): Promise<void> {
  if (short === 'fee') await cannotPayFor(ctx.db, pool, TX_BYTES);
  else await lowerDelegatable(ctx.db, pool, short.delegatable);
  ctx.hooks?.poolsNeedReading?.(pool);
}
