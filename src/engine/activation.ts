import type { NetworkEnergy } from '../chain/gateway.js';
import type { OrderEventInput } from '../db/order-writes.js';
import type { Order } from '../db/orders.js';
import { energyForSun } from '../domain/energy.js';
import { metrics, secondsSince } from '../observability/metrics.js';
import type { EngineContext } from './context.js';
import type { Landed } from './journaled-step.js';
import type { OrderFields } from './transition.js';

/**
 * An order's move to active, decided from its landed delegation. The same
 * whoever makes it: the order's holder (delegate.ts's activate) or the
 * block follower for the delegations of a block it has just settled
 * (landed-delegations.ts).
 */
export interface Activation {
  /** What the move writes beside the status, its lease aside (each maker gives it back its own way). */
  fields: OrderFields;
  event: OrderEventInput;
  expiresAt: bigint;
  /**
   * Nothing needs the order before its expiry: it is given back, due then.
   * Otherwise (a cancel asked for, a rental already over) its active step
   * runs now.
   */
  giveBack: boolean;
}

/**
 * The rental runs from the block that holds the delegation, not from when
 * we saw it solidified (a minute later on mainnet): the customer pays for
 * no time they did not have. Never later than `now`, the database clock as
 * the maker holds the order, which only matters when the node's clock runs
 * ahead of the database's (a devnet on a fast clock). `network`: what a
 * TRX of stake is worth in energy as it lands (networkTotals), for what the
 * delegation delivered, recorded for the customer and the operator to see.
 */
export function activationOf(ctx: EngineContext, held: Order, landed: Landed, now: bigint, network: NetworkEnergy): Activation {
  const { block } = landed;
  const startsAt = block.time !== null && block.time < now ? block.time : now;
  const expiresAt = startsAt + held.duration_seconds * 1000n;
  const delivered = energyForSun(held.delegated_sun!, network.totalEnergyWeight, network.totalEnergyLimit);
  return {
    fields: {
      delegate_tx_status: 'confirmed',
      delivered_energy: delivered,
      delegated_at: startsAt,
      expires_at: expiresAt,
      wait_reason: null,
      error_code: null,
      error_message: null,
    },
    event: {
      reason: 'delegation_confirmed',
      actor: ctx.workerId,
      detail: { txid: landed.tx.txid, block: block.number?.toString() ?? null, delivered_energy: delivered.toString() },
    },
    expiresAt,
    giveBack: held.cancel_requested_at === null && expiresAt > now,
  };
}

/**
 * What follows an activation once it has committed: the pool read again
 * when its snapshot may not show the stake moved (`refreshPool`), a saved
 * receiver's energy read again, the log line, the delay metric and the
 * engine's hook (the reclaim's job with a queue).
 */
export function activated(ctx: EngineContext, active: Order, txid: string, moved: { receiverSaved: boolean; refreshPool: boolean }): void {
  if (moved.refreshPool) ctx.hooks?.poolsNeedReading?.(active.pool_address!);
  if (moved.receiverSaved) ctx.hooks?.receiverEnergyMoved?.();
  ctx.log.info({ orderId: active.id, txid, expiresAt: new Date(Number(active.expires_at)).toISOString() }, 'energy delegated');
  metrics.activeDelay.observe(secondsSince(active.created_at));
  ctx.hooks?.orderActive?.(active);
}
