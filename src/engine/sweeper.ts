import { claimDueOrders } from '../db/order-leases.js';
import type { EngineContext } from './context.js';
import type { OrderRunner } from './order-runner.js';

/**
 * Looks in the database for due work every interval — pending orders nobody
 * holds, expired leases, rentals due for reclaim, transactions in doubt —
 * and wakes the runner for them. The database is the queue: this alone is
 * enough for every order to be processed eventually, after any crash.
 */
export class Sweeper {
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<unknown> | undefined;

  constructor(
    private readonly ctx: EngineContext,
    private readonly runner: OrderRunner,
    private readonly intervalMs: number,
    private readonly batch = 200,
    /** With a queue, fresh pending orders are left to their wake-up this long. */
    private readonly pendingGraceMs = 0,
  ) {}

  start(): void {
    const tick = () => {
      this.sweeping = this.sweep().finally(() => {
        this.sweeping = undefined;
        // Jittered, so the sweepers of many workers do not hit the database in step.
        if (this.timer !== undefined) this.timer = setTimeout(tick, this.intervalMs * (0.75 + Math.random() * 0.5));
      });
    };
    this.timer = setTimeout(tick, 0);
  }

  async sweep(): Promise<number> {
    try {
      // Leave room for what the runner already has, so a backlog is taken a batch at a time.
      const room = this.batch - this.runner.busy;
      if (room <= 0) return 0;
      const { db, workerId, settings } = this.ctx;
      // Claimed here in one statement: concurrent sweepers split the backlog instead of racing for it.
      const claimed = await claimDueOrders(db, workerId, settings.leaseMs, room, this.pendingGraceMs);
      for (const held of claimed) {
        if (held.status === 'pending' && held.lease_version === 1n) this.ctx.log.info({ orderId: held.id, path: 'sweeper' }, 'picked up by sweeper');
        this.runner.runClaimed(held);
      }
      if (claimed.length > 0) this.ctx.log.debug({ count: claimed.length }, 'sweeper claimed due orders');
      return claimed.length;
    } catch (err) {
      this.ctx.log.error({ err }, 'sweep failed; trying again next interval');
      return 0;
    }
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.sweeping;
  }
}
