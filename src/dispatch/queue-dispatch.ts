import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { redactRedisUrl, type QueueConfig } from '../config.js';
import type { Logger } from '../observability/logger.js';
import { metrics } from '../observability/metrics.js';
import { CircuitBreaker, type BreakerState } from './circuit-breaker.js';
import type { Dispatch, DispatchStatus, QueueDepth } from './dispatch.js';
import { RecentDispatches } from './recent-dispatches.js';
import { producerConnection, QUEUE_NAME } from './redis-connection.js';
import { within } from './within.js';

/** How often the queue depth is read, in the background. */
const DEPTH_POLL_MS = 2000;

/** Jobs are ids only; the database holds everything else. */
const JOB_OPTIONS = { removeOnComplete: true, removeOnFail: true, attempts: 1 } as const;

/** Most wake-ups and reclaims one round trip carries; a busier event-loop turn is sent in several, concurrently. */
export const MAX_BATCH = 500;

/** A reclaim waiting for the end of the event-loop turn: a delayed job of its own. */
export interface PendingReclaim {
  orderId: string;
  jobId: string;
  delay: number;
}

/** What one round trip carries. */
export interface Trip {
  wakes: string[];
  reclaims: PendingReclaim[];
}

/**
 * The BullMQ jobs that carry a trip: all the wake-ups in one job
 * (`orderIds`), each reclaim a delayed job of its own. A job per order cost
 * Redis a script run and the API about as much CPU as placing the order in
 * SQLite; a job per turn costs next to nothing. Nothing relied on a
 * wake-up's job id: the worker's claim in the database is what makes a
 * duplicate or a redelivery harmless.
 */
function bullJobsFor({ wakes, reclaims }: Trip) {
  return [
    ...(wakes.length === 0 ? [] : [{ name: 'wake', data: { orderIds: wakes }, opts: JOB_OPTIONS }]),
    ...reclaims.map((r) => ({ name: 'reclaim', data: { orderId: r.orderId }, opts: { ...JOB_OPTIONS, jobId: r.jobId, delay: r.delay } })),
  ];
}

/** The wake-ups first, then the reclaims, at most MAX_BATCH in a trip. */
export function tripsFor(wakes: string[], reclaims: PendingReclaim[]): Trip[] {
  if (wakes.length + reclaims.length <= MAX_BATCH) return [{ wakes, reclaims }];
  const trips: Trip[] = [];
  let w = 0;
  let r = 0;
  while (w < wakes.length || r < reclaims.length) {
    const takeWakes = Math.min(MAX_BATCH, wakes.length - w);
    const takeReclaims = Math.min(MAX_BATCH - takeWakes, reclaims.length - r);
    trips.push({ wakes: wakes.slice(w, (w += takeWakes)), reclaims: reclaims.slice(r, (r += takeReclaims)) });
  }
  return trips;
}

/**
 * Wake-ups through BullMQ that can never hurt order creation. `orderPlaced`
 * returns at once: the enqueue runs after it, and only while the connection
 * is `ready` and the breaker closed, bounded by the command timeout. Whatever
 * happens to it, the order is safe in the database and a sweeper finds it.
 * A timed-out enqueue that lands later ("ghost") is harmless: handling a job
 * is a claim in the database.
 *
 * Jobs are not sent one by one: every wake-up and reclaim asked for during
 * one turn of the event loop goes to Redis in one round trip at the end of
 * that turn (`setImmediate`), the wake-ups as one job (bullJobsFor), so the
 * loop serving HTTP pays one round trip per turn, not one per order. While a
 * round trip is under way, what is asked for waits for its answer and goes
 * in the next: a busier API sends bigger batches, not more of them (each
 * job costs BullMQ and ioredis about as much CPU as a round trip). Nor does
 * it send more than one round trip per REDIS_ENQUEUE_GAP_MS (50 ms): each
 * costs the API's loop a few tenths of a millisecond under load whatever it
 * carries, so at thousands of orders a second the pace of round trips is
 * what Redis costs an order: a round trip every 50 ms cost the API 3–8 %
 * less CPU an order than one every 10 ms (docs/BENCHMARKS.md). A busy API's
 * wake-up reaches a worker up to that much later (a rental waits seconds
 * for its block); an idle one's goes at the end of its turn.
 * The batch succeeds or fails as a whole: when it fails (timeout, lost
 * connection, an error answer), each of its orders takes the fallback path
 * and logs why, exactly as a failed single enqueue did; some of its jobs may
 * have landed all the same, which is the harmless ghost above. The breaker
 * counts a failed batch once: it judges Redis by its answers, and one
 * unanswered round trip is one failure whether it carried one order or fifty
 * (counted per order, a single slow answer under load would open it at once,
 * while the same blip at idle would not).
 */
export class QueueDispatch implements Dispatch {
  private readonly redis: Redis;
  private queue: Queue | undefined;
  private queueBroken = false;
  private readonly breaker: CircuitBreaker;
  private readonly depthTimer: NodeJS.Timeout;
  private depth: QueueDepth | null = null;
  private lastReadyAt: number | null = null;
  private lastErrorAt: number | null = null;
  private closed = false;
  private readonly log: Logger;
  private readonly recent = new RecentDispatches();
  /**
   * Wake-ups (order ids) and reclaims asked for during this event-loop turn,
   * sent together at its end. An order's own share of the work is this push:
   * its metric, its place in the recent list and its log line's fields are
   * settled once per trip (docs/BENCHMARKS.md).
   */
  private wakes: string[] = [];
  private reclaims: PendingReclaim[] = [];
  private flushScheduled = false;
  /** A round trip is under way: jobs asked for meanwhile wait for its answer. */
  private sending = false;
  /** When the last round trip was sent (performance.now()). */
  private lastSentAt = -Infinity;

  /** Between 'ready' and the first 'close' after it. */
  private connected = false;
  /** When the connection was lost, while it stays lost. */
  private lostAt: number | null = null;

  constructor(
    private readonly config: QueueConfig,
    log: Logger,
    /**
     * When Redis cannot take the wake-up: run it in this process (role
     * `all`; false when the runner is full), or leave it to a sweeper.
     */
    private readonly fallback?: (orderId: string) => boolean,
  ) {
    this.log = log.child({ redis: redactRedisUrl(config.redisUrl) });
    this.redis = producerConnection(config.redisUrl, config.commandTimeoutMs);
    this.breaker = new CircuitBreaker(
      config.breakerThreshold,
      config.breakerOpenMs,
      () => within(this.redis.ping(), config.commandTimeoutMs),
      (state) => this.log.warn({ breaker: state }, `redis circuit breaker ${state}`),
    );
    this.redis.on('ready', () => this.onReady());
    this.redis.on('error', (err: Error) => {
      // Expected while Redis is away; the state is logged on transitions only.
      this.lastErrorAt = Date.now();
      this.log.debug({ err: err.message }, 'redis connection error');
    });
    // 'close' comes again on every failed reconnect attempt: say the change of state once, and its end once.
    this.redis.on('close', () => {
      if (!this.connected || this.closed) return;
      this.connected = false;
      this.lostAt = Date.now();
      this.log.warn(`redis connection lost; new orders go ${this.fallback ? 'in-process' : 'to the sweeper'} until it returns`);
    });
    this.depthTimer = setInterval(() => void this.pollDepth(), DEPTH_POLL_MS);
    this.depthTimer.unref();
  }

  private onReady(): void {
    this.lastReadyAt = Date.now();
    this.connected = true;
    if (this.lostAt === null) this.log.info('redis connection ready; new orders go through the queue');
    else this.log.info({ downMs: this.lastReadyAt - this.lostAt }, 'redis connection back; new orders go through the queue again');
    this.lostAt = null;
    // Created only once the connection is ready: a Queue created while Redis
    // is unreachable can leave `add` waiting forever.
    if (this.queue === undefined || this.queueBroken) {
      const stale = this.queue;
      const queue = new Queue(QUEUE_NAME, { connection: this.redis });
      queue.on('error', (err: Error) => this.log.debug({ err: err.message }, 'queue error'));
      this.queue = queue;
      this.queueBroken = false;
      queue.waitUntilReady().catch(() => {
        if (this.queue === queue) this.queueBroken = true;
      });
      if (stale) void stale.close().catch(() => {});
    }
  }

  /** Usable now: connected, queue initialised, breaker closed. */
  private get usable(): Queue | undefined {
    if (this.closed || this.redis.status !== 'ready' || this.queueBroken || !this.breaker.allows) return undefined;
    return this.queue;
  }

  orderPlaced(orderId: string): void {
    if (!this.usable) {
      this.unavailable(orderId, this.unusableReason());
      return;
    }
    this.wakes.push(orderId);
    this.asked();
  }

  /** In role `all` the worker beside us looks now; otherwise the sweeper finds the order (it is due in the database). */
  orderDue(orderId: string): void {
    this.fallback?.(orderId);
  }

  /** Schedules the reclaim of an active rental at its expiry; the sweeper covers it if this fails. */
  scheduleReclaim(orderId: string, expiresAtMs: number): void {
    if (!this.usable) return;
    const delay = Math.max(0, expiresAtMs - Date.now());
    this.reclaims.push({ orderId, jobId: `reclaim-${orderId}`, delay });
    this.asked();
  }

  private unusableReason(): string {
    return this.closed ? 'closed' : this.redis.status !== 'ready' ? `redis ${this.redis.status}` : this.queueBroken ? 'queue not initialised' : `breaker ${this.breaker.state}`;
  }

  /** Something was asked for: it goes with the next round trip, scheduled now unless one is under way (its answer schedules the next). */
  private asked(): void {
    if (!this.sending) this.scheduleFlush();
  }

  /**
   * At the end of this turn, or once REDIS_ENQUEUE_GAP_MS has passed since the
   * last round trip was sent, whichever is later.
   */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    const wait = this.lastSentAt + this.config.enqueueGapMs - performance.now();
    if (wait > 0) setTimeout(() => this.flush(), wait);
    else setImmediate(() => this.flush());
  }

  /**
   * End of the turn, or the gap after the last round trip: everything asked
   * for since, in as few round trips as MAX_BATCH allows.
   */
  private flush(): void {
    this.flushScheduled = false;
    const { wakes, reclaims } = this;
    if (wakes.length === 0 && reclaims.length === 0) return;
    this.wakes = [];
    this.reclaims = [];
    // The state may have changed since the jobs were asked for (connection lost, breaker opened, closing).
    const queue = this.usable;
    if (!queue) {
      this.notSent({ wakes, reclaims }, this.unusableReason());
      return;
    }
    this.sending = true;
    this.lastSentAt = performance.now();
    // send() settles every outcome itself and never rejects. Nothing was scheduled
    // meanwhile (a wake-up waits while sending): what came in goes next, once the gap has passed.
    void Promise.all(tripsFor(wakes, reclaims).map((trip) => this.send(queue, trip))).then(() => {
      this.sending = false;
      if (this.wakes.length > 0 || this.reclaims.length > 0) this.scheduleFlush();
    });
  }

  private async send(queue: Queue, trip: Trip): Promise<void> {
    const size = trip.wakes.length + trip.reclaims.length;
    try {
      const bullJobs = bullJobsFor(trip);
      // A lone job goes by `add`: an ioredis pipeline costs about as much CPU to set up as a job (it copies every script BullMQ defines).
      const only = bullJobs.length === 1 ? bullJobs[0]! : undefined;
      await within<unknown>(only ? queue.add(only.name, only.data, only.opts) : queue.addBulk(bullJobs), this.config.commandTimeoutMs);
    } catch (err) {
      this.breaker.failure();
      metrics.enqueueBatches.observe({ outcome: 'failed' }, size);
      this.notSent(trip, err instanceof Error ? err.message : String(err));
      return;
    }
    this.breaker.success();
    metrics.enqueueBatches.observe({ outcome: 'sent' }, size);
    for (const r of trip.reclaims) this.log.debug({ orderId: r.orderId, delay: r.delay }, 'reclaim scheduled');
    if (trip.wakes.length === 0) return;
    metrics.dispatchPath.inc({ path: 'queue' }, trip.wakes.length);
    this.recent.recordAll(trip.wakes, 'queue');
    // Each order still has its line; what they share is bound once for the trip.
    const queued = this.log.child({ path: 'queue', batch: size });
    for (const orderId of trip.wakes) queued.info({ orderId }, 'queued');
  }

  private notSent({ wakes, reclaims }: Trip, reason: string): void {
    for (const orderId of wakes) this.unavailable(orderId, reason);
    for (const r of reclaims) this.log.debug({ orderId: r.orderId, err: reason }, 'reclaim not scheduled; the sweeper will find it');
  }

  private unavailable(orderId: string, reason: string): void {
    if (this.fallback?.(orderId)) {
      metrics.dispatchPath.inc({ path: 'in-process' });
      this.recent.record(orderId, 'in-process');
      this.log.info({ orderId, path: 'in-process', reason }, 'queue unavailable -> in-process');
      return;
    }
    metrics.dispatchPath.inc({ path: 'sweeper' });
    this.recent.record(orderId, 'sweeper');
    this.log.info({ orderId, path: 'sweeper', reason }, 'queue unavailable -> sweeper');
  }

  private async pollDepth(): Promise<void> {
    const queue = this.usable;
    if (!queue) return;
    try {
      const c = await within(queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized'), this.config.commandTimeoutMs);
      this.depth = {
        waiting: (c.waiting ?? 0) + (c.prioritized ?? 0),
        active: c.active ?? 0,
        delayed: c.delayed ?? 0,
        observedAt: new Date().toISOString(),
      };
    } catch {
      // Left as last observed; the breaker learns from enqueues and probes.
    }
  }

  status(): DispatchStatus {
    return {
      mode: 'queue',
      redis: {
        state: this.redis.status,
        up: this.redis.status === 'ready',
        breaker: this.breaker.state as BreakerState,
        lastReadyAt: this.lastReadyAt === null ? null : new Date(this.lastReadyAt).toISOString(),
        lastErrorAt: this.lastErrorAt === null ? null : new Date(this.lastErrorAt).toISOString(),
      },
      queueDepth: this.depth,
      recent: this.recent.list(),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.breaker.stop();
    clearInterval(this.depthTimer);
    if (this.queue) await within(this.queue.close(), this.config.commandTimeoutMs).catch(() => {});
    this.redis.disconnect();
  }
}
