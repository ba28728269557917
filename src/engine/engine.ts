import type { EngineConfig, QueueConfig } from '../config.js';
import type { ChainGateway, PoolAccount } from '../chain/gateway.js';
import type { Db } from '../db/connect.js';
import type { Logger } from '../observability/logger.js';
import type { EngineContext } from './context.js';
import { chainParameterCache } from './chain-parameters.js';
import { OrderRunner } from './order-runner.js';
import { PoolMonitor } from './pool-monitor.js';
import type { QueueDispatch } from '../dispatch/queue-dispatch.js';
import { QueueWorker, type JobHandler } from '../dispatch/queue-worker.js';
import { Sweeper } from './sweeper.js';

/** Queue deliveries run through the runner: one WORKER_CONCURRENCY bounds the worker. */
export function queueJobHandler(runner: OrderRunner): JobHandler {
  return async (orderId) => {
    const result = await runner.advance(orderId);
    return { claimed: result?.claimed ?? false, status: result?.status ?? null };
  };
}

export interface Engine {
  ctx: EngineContext;
  runner: OrderRunner;
  sweeper: Sweeper;
  /** With ENABLE_BACKGROUND_TASKS: the BullMQ consumer. */
  queueWorker: QueueWorker | undefined;
  /** Keeps the pool snapshots the API shows. */
  poolMonitor: PoolMonitor;
  close(): Promise<void>;
}

/**
 * The worker's heart: a runner that advances orders, the sweeper that feeds
 * it from the database, and the monitor that keeps the pool snapshots.
 */
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
    chainParameters: chainParameterCache(opts.chain),
    pools: opts.pools,
    log: opts.log,
    workerId: opts.workerId,
    settings: {
      leaseMs: config.leaseMs,
      confirmPollMs: config.confirmPollMs,
      poolWaitTimeoutMs: config.poolWaitTimeoutMs,
      delegateLock: config.delegateLock,
      energyMarginBps: config.energyMarginBps,
      crashPoint: config.crashPoint,
    },
  };
  const poolMonitor = new PoolMonitor(ctx, config.poolRefreshMs);
  // A confirmed delegation or reclaim changes a pool's capacity: read the pools again soon.
  ctx.hooks = {
    orderActive(order) {
      opts.queue?.producer.scheduleReclaim(order.id, Number(order.expires_at));
      poolMonitor.refreshSoon();
    },
    orderCompleted: () => poolMonitor.refreshSoon(),
  };
  poolMonitor.start();
  const runner = new OrderRunner(ctx, config.concurrency);
  const sweeper = new Sweeper(ctx, runner, config.sweepIntervalMs, 200, opts.queue?.config.sweepGraceMs ?? 0);
  sweeper.start();
  const queueWorker = opts.queue ? new QueueWorker(ctx.db, queueJobHandler(runner), opts.queue.config, config.concurrency, ctx.log) : undefined;
  return {
    ctx,
    runner,
    sweeper,
    queueWorker,
    poolMonitor,
    async close() {
      await poolMonitor.close();
      await queueWorker?.close();
      await sweeper.stop();
      await runner.close();
    },
  };
}
