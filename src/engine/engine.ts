import type { EngineConfig, QueueConfig } from '../config.js';
import type { ChainGateway, PoolAccount } from '../chain/gateway.js';
import type { Db } from '../db/connect.js';
import type { Logger } from '../observability/logger.js';
import type { EngineContext } from './context.js';
import { OrderRunner } from './order-runner.js';
import type { QueueDispatch } from './queue-dispatch.js';
import { QueueWorker } from './queue-worker.js';
import { Sweeper } from './sweeper.js';

export interface Engine {
  ctx: EngineContext;
  runner: OrderRunner;
  sweeper: Sweeper;
  /** With ENABLE_BACKGROUND_TASKS: the BullMQ consumer. */
  queueWorker: QueueWorker | undefined;
  close(): Promise<void>;
}

/** The worker's heart: a runner that advances orders, and the sweeper that feeds it from the database. */
export function startEngine(opts: {
  db: Db;
  chain: ChainGateway;
  pools: readonly PoolAccount[];
  config: EngineConfig;
  log: Logger;
  workerId: string;
  /** Consume wake-ups and reclaim jobs from BullMQ; `producer` schedules the reclaims (closed by its owner). */
  queue?: { config: QueueConfig; producer: QueueDispatch } | undefined;
}): Engine {
  const { config } = opts;
  const ctx: EngineContext = {
    db: opts.db,
    chain: opts.chain,
    pools: opts.pools,
    log: opts.log,
    workerId: opts.workerId,
    ...(opts.queue ? { hooks: { orderActive: (o) => opts.queue!.producer.scheduleReclaim(o.id, Number(o.expires_at)) } } : {}),
    settings: {
      leaseMs: config.leaseMs,
      confirmPollMs: config.confirmPollMs,
      poolWaitTimeoutMs: config.poolWaitTimeoutMs,
      delegateLock: config.delegateLock,
      crashPoint: config.crashPoint,
    },
  };
  const runner = new OrderRunner(ctx, config.concurrency);
  const sweeper = new Sweeper(ctx, runner, config.sweepIntervalMs, 200, opts.queue?.config.sweepGraceMs ?? 0);
  sweeper.start();
  const queueWorker = opts.queue ? new QueueWorker(ctx, runner, opts.queue.config, config.concurrency) : undefined;
  return {
    ctx,
    runner,
    sweeper,
    queueWorker,
    async close() {
      await queueWorker?.close();
      await sweeper.stop();
      await runner.close();
    },
  };
}
