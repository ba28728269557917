import { unheldOnLandedDelegations } from '../db/order-leases.js';
import type { Order } from '../db/orders.js';
import { listPoolSnapshots } from '../db/pool-snapshots.js';
import { activated, activationOf } from './activation.js';
import type { EngineContext } from './context.js';
import type { Landed } from './journaled-step.js';
import { totalsFromSnapshots } from './network-totals.js';
import { ourStakeMove } from './pool-stake.js';
import { transitionMovingEnergyTogether } from './transition.js';

/** A delegation of an order's that the block follower has just settled as confirmed. */
export interface LandedDelegation extends Landed {
  orderId: string;
}

/** An order moved to active here, and when it is next due (its expiry; 0: at once, its active step has work now). */
export interface ActivatedHere {
  order: Order;
  dueInMs: number;
}

/**
 * Moves to active, in one transaction, the orders of delegations that have
 * just landed and that nobody holds: what each order's holder would do once
 * woken (delegate.ts's activate), without a claim and a transaction of its
 * own for each. On PostgreSQL an order woken to be activated cost a claim
 * and a move, each a statement its server plans and commits alone; here a
 * block's orders share one read, one move (transitionMovingEnergyTogether)
 * and one commit. Each order is given back by its move: due at its expiry,
 * or at once when its active step has work now (a cancel asked for, a
 * rental already over).
 *
 * An order someone holds (or is writing) is left out, to be woken as
 * before: its holder activates it. So is every order when no pool's
 * snapshot is fresh enough to tell what a TRX of stake is worth (the node
 * is not asked while these rows are kept from others), and when this
 * transaction fails: the caller wakes them, and nothing here was written.
 */
export async function activateLandedDelegations(ctx: EngineContext, landings: readonly LandedDelegation[]): Promise<ActivatedHere[]> {
  if (landings.length === 0) return [];
  const landed = new Map(landings.map((l) => [l.orderId, l]));
  const moved = await ctx.db.transaction(async (tx) => {
    const { orders, now } = await unheldOnLandedDelegations(tx, landings.map((l) => ({ orderId: l.orderId, txid: l.tx.txid })));
    if (orders.length === 0) return [];
    // Every pool's snapshot, read once: the network's totals come from the freshest, and each
    // stake move decides from what its pool's has seen (its block), which the moves do not change.
    const snapshots = await listPoolSnapshots(tx);
    // Not fresh enough: the node is not asked while these rows are held. Their holders activate them.
    const network = totalsFromSnapshots(ctx, now, snapshots);
    if (network === undefined) {
      ctx.log.debug({ orders: orders.length }, 'no pool snapshot fresh enough to price the energy; the orders are left to their holders');
      return [];
    }
    const byPool = new Map(snapshots.map((p) => [p.address, p]));
    const planned = orders.map((held) => {
      const landing = landed.get(held.id)!;
      const stake = ourStakeMove(byPool.get(landing.tx.pool_address), landing, 'delegated');
      const activation = activationOf(ctx, held, landing, now, network);
      const dueAt = activation.giveBack ? activation.expiresAt : now;
      return { held, landing, stake, activation, dueAt };
    });
    const moved = await transitionMovingEnergyTogether(
      tx,
      'active',
      planned.map(({ held, stake, activation, dueAt }) => ({
        held,
        event: activation.event,
        fields: { ...activation.fields, lease_owner: null, lease_until: null, next_attempt_at: dueAt },
        stake: stake.move,
      })),
    );
    return moved.map(({ order, receiverSaved }, i) => {
      const { landing, stake, dueAt } = planned[i]!;
      return { order, txid: landing.tx.txid, receiverSaved, refreshPool: stake.refresh, dueInMs: Number(dueAt - now) };
    });
  });
  for (const m of moved) activated(ctx, m.order, m.txid, m);
  return moved.map(({ order, dueInMs }) => ({ order, dueInMs }));
}
