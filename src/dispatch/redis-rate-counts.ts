import type { Redis } from 'ioredis';
import { redactRedisUrl, type QueueConfig } from '../config.js';
import { RATE_WINDOW_MS, type RateCount, type RateCounts } from '../domain/rate-limit.js';
import type { Logger } from '../observability/logger.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { producerConnection } from './redis-connection.js';
import { within } from './within.js';

/** The key of one credential's count in one window. */
export const rateKey = (credential: string, window: number) => `joule:rate:${credential}:${window}`;

/** Why a batch was not sent: the caller then counts on its own. */
export class RateCountsUnavailable extends Error {
  constructor(reason: string) {
    super(`rate-limit counts unavailable: ${reason}`);
    this.name = 'RateCountsUnavailable';
  }
}

/**
 * Rate-limit counts on Redis, shared by every api process: one INCRBY and
 * one PEXPIRE per credential per batch, all in one pipeline (one round
 * trip). Like the queue producer, it never waits for a connection: while
 * Redis is not `ready` or the breaker is open a batch is refused at once,
 * and one in flight is bounded by REDIS_COMMAND_TIMEOUT_MS.
 */
export class RedisRateCounts implements RateCounts {
  readonly name = 'redis' as const;
  private readonly redis: Redis;
  private readonly breaker: CircuitBreaker;
  private closed = false;

  constructor(private readonly config: QueueConfig, log: Logger) {
    const logger = log.child({ redis: redactRedisUrl(config.redisUrl) });
    this.redis = producerConnection(config.redisUrl, config.commandTimeoutMs);
    this.redis.on('error', (err: Error) => logger.debug({ err: err.message }, 'rate-limit redis connection error'));
    this.breaker = new CircuitBreaker(
      config.breakerThreshold,
      config.breakerOpenMs,
      () => within(this.redis.ping(), config.commandTimeoutMs),
      (state) => logger.warn({ breaker: state }, `rate-limit redis circuit breaker ${state}`),
    );
  }

  async add(batch: readonly RateCount[]): Promise<number[]> {
    if (this.closed) throw new RateCountsUnavailable('closed');
    if (this.redis.status !== 'ready') throw new RateCountsUnavailable(`redis ${this.redis.status}`);
    if (!this.breaker.allows) throw new RateCountsUnavailable(`breaker ${this.breaker.state}`);
    const pipeline = this.redis.pipeline();
    for (const b of batch) {
      const key = rateKey(b.credential, b.window);
      pipeline.incrby(key, b.delta);
      // Kept a window past its own: a late batch still finds it; then it goes by itself.
      pipeline.pexpire(key, b.window + 2 * RATE_WINDOW_MS - Date.now());
    }
    try {
      const results = await within(pipeline.exec(), this.config.commandTimeoutMs);
      if (results === null) throw new RateCountsUnavailable('pipeline not run');
      const totals = batch.map((_, i) => {
        const [err, total] = results[2 * i]!;
        if (err) throw err;
        return Number(total);
      });
      this.breaker.success();
      return totals;
    } catch (err) {
      this.breaker.failure();
      throw err;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.breaker.stop();
    this.redis.disconnect();
  }
}
