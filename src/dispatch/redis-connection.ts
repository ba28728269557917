import { Redis, type RedisOptions } from 'ioredis';
import { backoffMs } from '../domain/backoff.js';

/** Name of the BullMQ queue carrying wake-ups and reclaim jobs. */
export const QUEUE_NAME = 'joule-orders';

/** Reconnect delay with equal jitter (backoffMs): processes that lost Redis together do not come back in step. */
export const jitteredRetry = (times: number): number => backoffMs(times, 100, 5000);

/**
 * The producer's own connection: it never queues a command while
 * disconnected, bounds each command, retries a command at most once, and
 * connects in the background (the constructor never waits for Redis).
 */
export function producerConnection(url: string, commandTimeoutMs: number): Redis {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    commandTimeout: commandTimeoutMs,
    connectTimeout: Math.max(commandTimeoutMs, 1000),
    maxRetriesPerRequest: 1,
    retryStrategy: jitteredRetry,
  });
  redis.connect().catch(() => {
    // Reconnects on its own (retryStrategy); state is read from `redis.status`.
  });
  return redis;
}

/**
 * The connection handed to a BullMQ Worker, per BullMQ's production guide
 * (`maxRetriesPerRequest: null`, offline queue on), with jittered reconnects.
 * BullMQ duplicates it for its main and blocking connections; we keep the
 * copies so that closing can cut them even when Redis never answered (a
 * graceful close then waits forever).
 */
export function workerConnection(url: string): { seed: Redis; disconnectAll(): void } {
  const seed = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    retryStrategy: jitteredRetry,
  });
  const copies: Redis[] = [];
  const duplicate = seed.duplicate.bind(seed);
  seed.duplicate = ((override?: Partial<RedisOptions>) => {
    const copy = duplicate(override);
    copies.push(copy);
    return copy;
  }) as typeof seed.duplicate;
  return {
    seed,
    disconnectAll() {
      for (const c of [seed, ...copies]) c.disconnect();
    },
  };
}
