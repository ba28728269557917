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

/**
 * Wake-ups through BullMQ that can never hurt order creation. `orderPlaced`
 * returns at once: the enqueue runs after it, and only while the connection
 * is `ready` and the breaker closed, bounded by the command timeout. Whatever
 * happens to it, the order is safe in the database and a sweeper finds it.
 * A timed-out enqueue that lands later ("ghost") is harmless: handling a job
 * is a claim in the database.
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

  /** Between 'ready' and the first 'close' after it. */
  private connected = false;
  /** When the connection was lost, while it stays lost. */
  private lostAt: number | null = null;

  constructor(
    private readonly config: QueueConfig,
    log: Logger,
    /** When Redis cannot take the wake-up: run it in this process (role `all`), or leave it to a sweeper. */
    private readonly fallback?: (orderId: string) => void,
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
    const queue = this.usable;
    if (!queue) {
      this.unavailable(orderId, this.closed ? 'closed' : this.redis.status !== 'ready' ? `redis ${this.redis.status}` : `breaker ${this.breaker.state}`);
      return;
    }
    void this.add(queue, 'wake', orderId, { jobId: orderId }).then(
      () => {
        metrics.dispatchPath.inc({ path: 'queue' });
        this.recent.record(orderId, 'queue');
        this.log.info({ orderId, path: 'queue' }, 'queued');
      },
      (err: Error) => this.unavailable(orderId, err.message),
    );
  }

  /** In role `all` the worker beside us looks now; otherwise the sweeper finds the order (it is due in the database). */
  orderDue(orderId: string): void {
    this.fallback?.(orderId);
  }

  /** Schedules the reclaim of an active rental at its expiry; the sweeper covers it if this fails. */
  scheduleReclaim(orderId: string, expiresAtMs: number): void {
    const queue = this.usable;
    if (!queue) return;
    const delay = Math.max(0, expiresAtMs - Date.now());
    void this.add(queue, 'reclaim', orderId, { jobId: `reclaim-${orderId}`, delay }).then(
      () => this.log.debug({ orderId, delay }, 'reclaim scheduled'),
      (err: Error) => this.log.debug({ orderId, err: err.message }, 'reclaim not scheduled; the sweeper will find it'),
    );
  }

  private async add(queue: Queue, name: 'wake' | 'reclaim', orderId: string, opts: { jobId: string; delay?: number }): Promise<void> {
    try {
      await within(queue.add(name, { orderId }, { ...JOB_OPTIONS, ...opts }), this.config.commandTimeoutMs);
      this.breaker.success();
    } catch (err) {
      this.breaker.failure();
      throw err;
    }
  }

  private unavailable(orderId: string, reason: string): void {
    if (this.fallback) {
      metrics.dispatchPath.inc({ path: 'in-process' });
      this.recent.record(orderId, 'in-process');
      this.log.info({ orderId, path: 'in-process', reason }, 'queue unavailable -> in-process');
      this.fallback(orderId);
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
