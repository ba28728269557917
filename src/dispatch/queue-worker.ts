import { Worker, type Job } from 'bullmq';
import { redactRedisUrl, type QueueConfig } from '../config.js';
import type { Logger } from '../observability/logger.js';
import { Gauge, registry } from '../observability/metrics.js';
import type { Db } from '../db/connect.js';
import { oldestPendingAgeMs } from '../db/order-counts.js';
import { QUEUE_NAME, workerConnection } from './redis-connection.js';
import { within } from './within.js';

/**
 * Advances one order and says whether this delivery got to claim it. The
 * engine's runner does the work, so one WORKER_CONCURRENCY bounds a worker
 * whichever way its orders arrive.
 */
export type JobHandler = (orderId: string) => Promise<{ claimed: boolean; status: string | null }>;

const queueStuck = new Gauge({
  name: 'joule_queue_stuck',
  help: '1 when pending orders grow old while the queue completes nothing (see QUEUE_STUCK_AFTER_MS)',
  registers: [registry],
});

/**
 * The BullMQ consumer of a worker: wake-ups (the orders an API placed in one
 * turn of its event loop) and reclaim jobs (delayed to expires_at). Each job is handed to the engine, where it is
 * a claim in the database: a duplicate, a ghost or a stalled job run twice
 * does nothing the second time. Follow-ups (confirmation polls) are timed by
 * the engine's runner.
 */
export class QueueWorker {
  private readonly worker: Worker;
  private readonly connection: ReturnType<typeof workerConnection>;
  private readonly watchdog: NodeJS.Timeout;
  private lastCompletionAt = Date.now();
  private stuck = false;
  private readonly log: Logger;

  constructor(
    private readonly db: Db,
    private readonly advance: JobHandler,
    private readonly config: QueueConfig,
    /** Deliveries taken at once; the engine's runner bounds how many run. */
    concurrency: number,
    log: Logger,
  ) {
    this.log = log.child({ redis: redactRedisUrl(config.redisUrl) });
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

  /**
   * One delivery: advance its orders if they are due; otherwise nothing. A
   * wake-up job carries the orders of one turn of an API's event loop
   * (`orderIds`), handed to the runner together (it bounds how many run); a
   * reclaim, and a wake-up sent by an older Joule, carries one (`orderId`).
   * Claimed: whether any of them was.
   */
  async handle(job: Pick<Job, 'data' | 'id' | 'name'>): Promise<{ claimed: boolean; status: string | null }> {
    const data = job.data as { orderId?: unknown; orderIds?: unknown } | undefined;
    const ids = Array.isArray(data?.orderIds) ? data.orderIds : [data?.orderId];
    if (ids.length === 0 || !ids.every((id): id is string => typeof id === 'string')) {
      this.log.warn({ jobId: job.id }, 'job without order ids; dropped');
      return { claimed: false, status: null };
    }
    // Every order runs its course before the job ends, even when one of them throws.
    const settled = await Promise.allSettled(
      ids.map(async (orderId) => {
        const result = await this.advance(orderId);
        this.log.debug({ orderId, jobId: job.id, job: job.name, claimed: result.claimed }, 'queue job handled');
        return result;
      }),
    );
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    const results = settled.map((r) => (r as PromiseFulfilledResult<{ claimed: boolean; status: string | null }>).value);
    return results.length === 1 ? results[0]! : { claimed: results.some((r) => r.claimed), status: null };
  }

  /**
   * Progress, not PING: pending orders growing old while no job completes
   * means the queue is not doing its work (Redis frozen, workers wedged…).
   * The sweeper still runs them after the grace period.
   */
  private async checkProgress(): Promise<void> {
    try {
      const age = await oldestPendingAgeMs(this.db);
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
    await within(this.worker.close(true), 3000).catch(() => {});
    this.connection.disconnectAll();
  }
}
