import { Worker, type Job } from 'bullmq';
import { redactRedisUrl, type QueueConfig } from '../config.js';
import type { Logger } from '../observability/logger.js';
import { Gauge, registry } from '../observability/metrics.js';
import { oldestPendingAgeMs } from '../db/order-counts.js';
import { advanceOrder } from './advance-order.js';
import type { EngineContext } from './context.js';
import type { OrderRunner } from './order-runner.js';
import { QUEUE_NAME, workerConnection } from './redis-connection.js';

const queueStuck = new Gauge({
  name: 'joule_queue_stuck',
  help: '1 when pending orders grow old while the queue completes nothing (see QUEUE_STUCK_AFTER_MS)',
  registers: [registry],
});

/**
 * The BullMQ consumer of a worker: wake-ups (jobId = order id) and reclaim
 * jobs (delayed to expires_at). Each job is one advanceOrder, i.e. a claim in
 * the database: a duplicate, a ghost or a stalled job run twice does nothing
 * the second time. Follow-ups (confirmation polls) are timed by the runner.
 */
export class QueueWorker {
  private readonly worker: Worker;
  private readonly connection: ReturnType<typeof workerConnection>;
  private readonly watchdog: NodeJS.Timeout;
  private lastCompletionAt = Date.now();
  private stuck = false;
  private readonly log: Logger;

  constructor(
    private readonly ctx: EngineContext,
    private readonly runner: OrderRunner,
    private readonly config: QueueConfig,
    concurrency: number,
  ) {
    this.log = ctx.log.child({ redis: redactRedisUrl(config.redisUrl) });
    this.connection = workerConnection(config.redisUrl);
    this.worker = new Worker(QUEUE_NAME, (job) => this.track(this.handle(job)), {
      connection: this.connection.seed,
      concurrency,
      // Jobs are ids only; the database knows whether there is work.
      removeOnComplete: { count: 0 },
      removeOnFail: { count: 0 },
    });
    this.worker.on('error', (err: Error) => this.log.debug({ err: err.message }, 'queue worker connection error'));
    this.worker.on('completed', () => {
      this.lastCompletionAt = Date.now();
    });
    this.worker.on('ready', () => this.log.info('queue worker connected'));
    const every = Math.max(1000, Math.min(10_000, config.stuckAfterMs / 4));
    this.watchdog = setInterval(() => void this.checkProgress(), every);
    this.watchdog.unref();
  }

  /** One delivery: advance the order if it is due; otherwise nothing. */
  async handle(job: Pick<Job, 'data' | 'id' | 'name'>): Promise<{ claimed: boolean; status: string | null }> {
    const orderId = (job.data as { orderId?: unknown })?.orderId;
    if (typeof orderId !== 'string') {
      this.log.warn({ jobId: job.id }, 'job without an order id; dropped');
      return { claimed: false, status: null };
    }
    const result = await advanceOrder(this.ctx, orderId);
    this.log.debug({ orderId, jobId: job.id, job: job.name, claimed: result.claimed }, 'queue job handled');
    if (result.retryInMs !== null) this.runner.wakeIn(orderId, result.retryInMs);
    return { claimed: result.claimed, status: result.status };
  }

  /**
   * Progress, not PING: pending orders growing old while no job completes
   * means the queue is not doing its work (Redis frozen, workers wedged…).
   * The sweeper still runs them after the grace period.
   */
  private async checkProgress(): Promise<void> {
    try {
      const age = await oldestPendingAgeMs(this.ctx.db);
      const idleMs = Date.now() - this.lastCompletionAt;
      const stuck = age !== null && age > this.config.stuckAfterMs && idleMs > this.config.stuckAfterMs;
      if (stuck !== this.stuck) {
        this.stuck = stuck;
        queueStuck.set(stuck ? 1 : 0);
        if (stuck) this.log.warn({ oldestPendingMs: age, msSinceLastCompletion: idleMs }, 'queue looks stuck; the sweeper is carrying the orders');
        else this.log.info('queue progressing again');
      }
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'progress check failed');
    }
  }

  /** Jobs being handled here: closing waits for them itself rather than asking BullMQ. */
  private readonly inFlight = new Set<Promise<unknown>>();

  private track<T>(handling: Promise<T>): Promise<T> {
    this.inFlight.add(handling);
    void handling.finally(() => this.inFlight.delete(handling)).catch(() => {});
    return handling;
  }

  /**
   * Lets the jobs running here finish (database steps and node calls, each
   * bounded by its timeout), then closes BullMQ with force. A graceful BullMQ
   * close waits on Redis for its bookkeeping, and a later forced close does
   * not replace one under way: cut off from Redis, the worker never finished
   * closing and its lock-renewal timer kept the process alive.
   */
  async close(): Promise<void> {
    clearInterval(this.watchdog);
    await Promise.allSettled([...this.inFlight]);
    await settlesWithin(this.worker.close(true), 3000);
    this.connection.disconnectAll();
  }
}

async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)));
  try {
    return await Promise.race([promise.then(() => true, () => true), late]);
  } finally {
    clearTimeout(timer);
  }
}
