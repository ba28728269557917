import type { Order } from '../db/orders.js';
import { advanceClaimed, advanceOrder, type AdvanceResult } from './advance-order.js';
import type { EngineContext } from './context.js';

/** Retries further away than this are left to the sweeper. */
const MAX_TIMER_MS = 60_000;

/**
 * New orders held in memory at most. Past it a new order waits in the
 * database for the sweeper (which tops the runner up a batch at a time), so a
 * backlog of any size costs the process no memory: under a sustained burst
 * the list held every pending order's id.
 */
export const MAX_WAITING_NEW_ORDERS = 1_000;

/**
 * Runs advanceOrder for woken orders in this process, a few at a time. An
 * order woken while it runs is run once more afterwards; an order that must
 * wait is woken again by a timer when its time comes (the sweeper is the
 * backstop for everything, including what a crash forgot).
 */
export class OrderRunner {
  /** Orders already under way (a timer's wake: a confirmation to check) go before new ones. */
  private readonly urgent: string[] = [];
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly running = new Set<string>();
  private readonly again = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Orders a sweeper already claimed for us: run with that claim instead of claiming again. */
  private readonly claimed = new Map<string, Order>();
  /** Callers of advance() waiting for the next run of an order to finish. */
  private readonly waiters = new Map<string, Array<(result: AdvanceResult | undefined) => void>>();
  private active = 0;
  private closed = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly ctx: EngineContext,
    private readonly concurrency = 8,
    private readonly maxWaiting = MAX_WAITING_NEW_ORDERS,
  ) {}

  /** Asks for the order to be advanced soon. Cheap, idempotent, never throws. */
  wake(orderId: string, urgent = false): void {
    if (this.closed) return;
    if (this.running.has(orderId)) {
      this.again.add(orderId);
      return;
    }
    if (this.queued.has(orderId)) return;
    this.queued.add(orderId);
    (urgent ? this.urgent : this.queue).push(orderId);
    this.pump();
  }

  /**
   * Wakes the order and resolves once a run that starts after this call has
   * finished, within the same concurrency as every other run. The first
   * caller gets that run's result; callers folded into the same run get
   * undefined (their wake-up did no work of its own).
   */
  advance(orderId: string): Promise<AdvanceResult | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const list = this.waiters.get(orderId);
      if (list) list.push(() => resolve(undefined));
      else this.waiters.set(orderId, [resolve]);
      this.wake(orderId);
    });
  }

  /**
   * A new order: woken like any other unless MAX_WAITING_NEW_ORDERS are
   * already waiting, in which case it is left to the sweeper and this says
   * false.
   */
  offer(orderId: string): boolean {
    if (this.closed) return false;
    if (this.queue.length >= this.maxWaiting && !this.queued.has(orderId) && !this.running.has(orderId)) return false;
    this.wake(orderId);
    return true;
  }

  /** Runs an order this worker already holds (claimed in a batch). */
  runClaimed(held: Order): void {
    if (this.closed) return;
    this.claimed.set(held.id, held);
    this.wake(held.id);
  }

  /** Orders this runner will wake on a timer. */
  get timed(): number {
    return this.timers.size;
  }

  get busy(): number {
    return this.active + this.urgent.length + this.queue.length;
  }

  private pump(): void {
    while (!this.closed && this.active < this.concurrency && this.urgent.length + this.queue.length > 0) {
      const id = (this.urgent.length > 0 ? this.urgent : this.queue).shift()!;
      this.queued.delete(id);
      this.running.add(id);
      this.active++;
      void this.run(id);
    }
    if (this.active === 0 && this.busy === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  private async run(orderId: string): Promise<void> {
    const waiting = this.waiters.get(orderId) ?? [];
    this.waiters.delete(orderId);
    let result: AdvanceResult | undefined;
    try {
      const held = this.claimed.get(orderId);
      this.claimed.delete(orderId);
      result = held ? await advanceClaimed(this.ctx, { order: held }) : await advanceOrder(this.ctx, orderId);
      // The run just made decides when to look again: a timer an earlier run set is obsolete
      // (an accepted transaction's backstop would otherwise wake the order once it is active).
      if (result.retryInMs !== null) this.wakeIn(orderId, result.retryInMs);
      else this.clearTimer(orderId);
    } catch (err) {
      this.ctx.log.error({ err, orderId }, 'order run failed; the sweeper will pick it up');
    } finally {
      for (const resolve of waiting) resolve(result);
      this.running.delete(orderId);
      this.active--;
      if (this.again.delete(orderId)) this.wake(orderId);
      this.pump();
    }
  }

  /** Wakes the order after `ms` (instead of any wake set before); waits longer than a minute are left to the sweeper. */
  wakeIn(orderId: string, ms: number): void {
    this.clearTimer(orderId);
    if (this.closed || ms > MAX_TIMER_MS) return;
    this.timers.set(
      orderId,
      setTimeout(() => {
        this.timers.delete(orderId);
        this.wake(orderId, true);
      }, ms),
    );
  }

  private clearTimer(orderId: string): void {
    clearTimeout(this.timers.get(orderId));
    this.timers.delete(orderId);
  }

  /** Stops taking work and waits for what is running to finish. */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.queue.length = 0;
    this.urgent.length = 0;
    this.queued.clear();
    this.claimed.clear();
    // Waiters whose run had not started: it never will here; the sweeper has the order.
    for (const [id, list] of this.waiters) if (!this.running.has(id)) for (const resolve of list.splice(0)) resolve(undefined);
    if (this.active > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    for (const list of this.waiters.values()) for (const resolve of list) resolve(undefined);
    this.waiters.clear();
  }
}
