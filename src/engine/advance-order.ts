import { ChainUnavailableError } from '../chain/gateway.js';
import { isUniqueViolation } from '../db/errors.js';
import type { ClaimedOrder } from '../db/order-journal.js';
import { claimWokenOrder } from '../db/woken-claims.js';
import { notYetDueInMs, releaseOrder } from '../db/order-leases.js';
import type { Order } from '../db/orders.js';
import { backoffMs } from '../domain/backoff.js';
import { RECLAIM_ALERT_AFTER, type WaitReason } from '../domain/order-reasons.js';
import type { WorkingStatus } from '../domain/order-status.js';
import { metrics } from '../observability/metrics.js';
import type { Logger } from '../observability/logger.js';
import type { EngineContext } from './context.js';
import { stepDelegating, stepPending } from './delegate.js';
import { LeaseLostError } from './errors.js';
import { renewLease } from './lease.js';
import { stepActive, stepReclaiming } from './reclaim.js';
import { MAX_BACKOFF_MS, type StepFn, type Unsent } from './step.js';

/** Steps one claim may take before giving the order back (a guard against a loop). */
const MAX_STEPS = 8;

/**
 * The lifecycle as a worker runs it: one step per status that has work
 * left (domain/order-status.ts has the transitions each may make).
 * Terminal statuses have no step.
 */
const STEPS: Readonly<Record<WorkingStatus, StepFn>> = {
  pending: stepPending,
  delegating: stepDelegating,
  active: stepActive,
  reclaiming: stepReclaiming,
};

const stepFor = (order: Order): StepFn | undefined => (STEPS as Partial<Record<Order['status'], StepFn>>)[order.status];

/**
 * Gives a held order back after a failure: one more attempt counted (the
 * reclaim's own count while it is being reclaimed), the wait backed off from
 * `baseMs` by that count, and after RECLAIM_ALERT_AFTER failed reclaims in a
 * row the alert `reclaim_retrying` instead of the failure's own reason.
 * Counts are cleared by the next status change.
 */
async function releaseAfterFailure(ctx: EngineContext, held: Order, reason: WaitReason | null, baseMs: number, log: Logger): Promise<AdvanceResult> {
  const reclaiming = held.status === 'reclaiming' || held.status === 'active';
  const attempts = (reclaiming ? held.reclaim_attempts : held.attempts) + 1n;
  const retryInMs = backoffMs(Number(attempts), baseMs, MAX_BACKOFF_MS);
  const alert = reclaiming && attempts >= RECLAIM_ALERT_AFTER;
  if (alert) log.error({ attempts: Number(attempts), cause: reason }, 'ALERT: reclaim keeps failing; retrying with backoff');
  else log.info({ attempts: Number(attempts), reason, retryInMs }, 'will retry');
  const counted = reclaiming ? { reclaimAttempts: attempts } : { attempts };
  await releaseOrder(ctx.db, held, ctx.settings.leaseMs, { retryInMs, waitReason: alert ? 'reclaim_retrying' : reason, ...counted });
  return { claimed: true, retryInMs, status: held.status };
}

export interface AdvanceResult {
  /** The order was not due, or another worker holds it. */
  claimed: boolean;
  /** When to look at it again, if it is waiting (or, not claimed, when it will be due). */
  retryInMs: number | null;
  status: Order['status'] | null;
}

/**
 * Moves one order as far as it can go now: claim it (a lease on the database
 * clock, fenced by version), run its steps until it must wait for the chain
 * or time, then give it back with the time to look again. Safe to call for
 * any order id, any number of times, from any number of workers at once.
 */
export async function advanceOrder(ctx: EngineContext, orderId: string): Promise<AdvanceResult> {
  const claimed = await claimWokenOrder(ctx.db, orderId, ctx.workerId, ctx.settings.leaseMs, ctx.settings.delegateLock);
  // Not due yet (woken early): look again when it is. Held by another worker, or done: theirs, or nothing.
  if (!claimed) return { claimed: false, retryInMs: await notYetDueInMs(ctx.db, orderId), status: null };
  return advanceClaimed(ctx, claimed);
}

/** The same, for an order this worker has already claimed (a sweeper's batch claim, which reads nothing beside the order). */
export async function advanceClaimed(ctx: EngineContext, claimed: ClaimedOrder): Promise<AdvanceResult> {
  let held = claimed.order;
  const orderId = held.id;
  const log = ctx.log.child({ orderId });
  try {
    let fresh = true;
    let unsent: Unsent | undefined;
    for (let i = 0; i < MAX_STEPS; i++) {
      const step = stepFor(held);
      if (!step) return { claimed: true, retryInMs: null, status: held.status };
      // Each further step starts with a fresh lease (and a fresh `now` on the database clock).
      if (!fresh) held = await renewLease(ctx.db, held, ctx.settings.leaseMs);
      // What the claim read is the first step's: later ones start from what the steps before them wrote.
      const result = await step(ctx, held, i === 0 ? claimed : undefined, unsent);
      if ('next' in result) {
        // A status change renews the lease in its own UPDATE (transition.ts); any other step's order is renewed here.
        fresh = result.next.lease_until !== held.lease_until;
        held = result.next;
        unsent = result.unsent;
        continue;
      }
      if ('done' in result) return { claimed: true, retryInMs: null, status: result.done.status };
      if ('released' in result) return { claimed: true, retryInMs: result.released.retryInMs, status: result.released.order.status };
      if (!result.wait.failed) {
        const { retryInMs, reason } = result.wait;
        await releaseOrder(ctx.db, held, ctx.settings.leaseMs, { retryInMs, waitReason: reason });
        return { claimed: true, retryInMs, status: held.status };
      }
      return await releaseAfterFailure(ctx, held, result.wait.reason, result.wait.retryInMs, log);
    }
    await releaseOrder(ctx.db, held, ctx.settings.leaseMs, { retryInMs: 0, waitReason: held.wait_reason });
    return { claimed: true, retryInMs: 0, status: held.status };
  } catch (err) {
    if (err instanceof LeaseLostError) {
      log.warn('lease lost to another worker; leaving the order to it');
      return { claimed: true, retryInMs: null, status: null };
    }
    const transient = err instanceof ChainUnavailableError;
    if (transient) metrics.chainErrors.inc();
    // Another order journaled a byte-identical transaction first (built in the same millisecond
    // by another process): nothing was written for this one; build again.
    const clash = isUniqueViolation(err);
    const reason: WaitReason = transient ? 'chain_unavailable' : clash ? 'txid_clash' : 'internal_error';
    if (transient) log.warn({ err: (err as Error).message }, 'chain unavailable; will retry');
    else if (clash) log.warn('transaction id already journaled by another order; building again');
    else log.error({ err }, 'order step failed; will retry');
    // The poll interval is the unit: an in-doubt transaction must be looked at again well before it expires.
    return releaseAfterFailure(ctx, held, reason, ctx.settings.confirmPollMs, log).catch((e: unknown) => {
      log.error({ err: e }, 'could not release the order; its lease will expire');
      return { claimed: true, retryInMs: null, status: held.status };
    });
  }
}
