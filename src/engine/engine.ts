import type { EngineConfig, FlashRentConfig, QueueConfig } from '../config.js';
import type { ChainGateway, PoolAccount } from '../chain/gateway.js';
import type { Db } from '../db/connect.js';
import type { Logger } from '../observability/logger.js';
import type { EngineContext } from './context.js';
import { BlockFollower, type BlockWatcher } from './block-follower.js';
import { DepositWatch } from './deposit-watch.js';
import { FlashRefunds } from './flash-refunds.js';
import { FlashWatch } from './flash-watch.js';
import { chainParameterCache } from './chain-parameters.js';
import { OrderRunner } from './order-runner.js';
import { PoolMonitor } from './pool-monitor.js';
import { ReceiverMonitor } from './receiver-monitor.js';
import { receiverCheck } from './receiver-check.js';
import type { QueueDispatch } from '../dispatch/queue-dispatch.js';
import type { QueueWorker, JobHandler } from '../dispatch/queue-worker.js';
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
  /** Keeps the pool snapshots the API shows and the engine plans with. */
  poolMonitor: PoolMonitor;
  /** Follows the solidified chain and settles our transactions from it. */
  follower: BlockFollower;
  close(): Promise<void>;
}

/**
 * The worker's heart: a runner that advances orders, the sweeper that feeds
 * it from the database, the follower that confirms their transactions from
 * the solidified blocks, and the monitor that keeps the pool snapshots.
 */
export function startEngine(opts: {
  db: Db;
  chain: ChainGateway;
  pools: readonly PoolAccount[];
  config: EngineConfig;
  log: Logger;
  workerId: string;
  /**
   * Consume wake-ups and reclaim jobs from BullMQ (`consume` starts the
   * consumer); `producer` schedules the reclaims (closed by its owner).
   */
  queue?: { config: QueueConfig; producer: QueueDispatch; consume: (handle: JobHandler, concurrency: number) => QueueWorker } | undefined;
  /** With DEPOSIT_XPUB: credit transfers to the users' deposit addresses, below these amounts only recorded. */
  deposits?: { minimums: { TRX: bigint; USDT: bigint } } | undefined;
  /** With FLASH_RENT_ADDRESS: orders paid by transfers to it, and refunds from it. */
  flashRent?: FlashRentConfig | undefined;
}): Engine {
  const { config } = opts;
  const ctx: EngineContext = {
    db: opts.db,
    chain: opts.chain,
    chainParameters: chainParameterCache(opts.chain),
    receiverAccount: receiverCheck(opts.chain, { refusalMs: config.confirmPollMs }),
    pools: opts.pools,
    log: opts.log,
    workerId: opts.workerId,
    flashRent: opts.flashRent,
    settings: {
      leaseMs: config.leaseMs,
      confirmPollMs: config.confirmPollMs,
      poolRefreshMs: config.poolRefreshMs,
      poolWaitTimeoutMs: config.poolWaitTimeoutMs,
      delegateLock: config.delegateLock,
      energyMarginBps: config.energyMarginBps,
      cancelRefundPolicy: config.cancelRefundPolicy,
      crashPoint: config.crashPoint,
    },
  };
  const poolMonitor = new PoolMonitor(ctx, config.poolRefreshMs);
  const receivers = new ReceiverMonitor(ctx, config.confirmPollMs);
  ctx.hooks = {
    orderActive: (order) => opts.queue?.producer.scheduleReclaim(order.id, Number(order.expires_at)),
    receiverEnergyMoved: () => receivers.wake(),
    poolsNeedReading: (pool) => poolMonitor.refreshSoon(pool),
    poolsWaitedOn: (pool) => poolMonitor.demand(pool),
  };
  poolMonitor.start();
  receivers.start();
  const runner = new OrderRunner(ctx, config.concurrency);
  const refunds = opts.flashRent ? new FlashRefunds(ctx, opts.flashRent, config.confirmPollMs) : undefined;
  ctx.hooks.flashRefundOwed = () => refunds?.wake();
  refunds?.start();
  // The only confirmation path: settles our transactions from the solidified blocks and wakes their orders.
  const watchers: BlockWatcher[] = [];
  // What one of Joule's own pools sends is the operator's: neither a deposit nor a flash payment.
  const ownAccounts = new Set(ctx.pools.map((p) => p.address));
  if (opts.deposits) watchers.push(new DepositWatch(ctx.db, ctx.chain, opts.deposits.minimums, ctx.log, ownAccounts) as BlockWatcher);
  if (opts.flashRent) {
    watchers.push(new FlashWatch(opts.flashRent, ctx.log, () => refunds?.wake(), ownAccounts) as BlockWatcher);
  }
  const wakes = { wake: (orderId: string) => runner.wake(orderId, true), wakeIn: (orderId: string, ms: number) => runner.wakeIn(orderId, ms) };
  const follower = new BlockFollower(ctx, wakes, watchers, () => refunds?.wake(), opts.flashRent?.address);
  follower.start();
  const sweeper = new Sweeper(ctx, runner, config.sweepIntervalMs, 200, opts.queue?.config.sweepGraceMs ?? 0);
  sweeper.start();
  const queueWorker = opts.queue?.consume(queueJobHandler(runner), config.concurrency);
  return {
    ctx,
    runner,
    sweeper,
    queueWorker,
    poolMonitor,
    follower,
    async close() {
      await follower.close();
      await refunds?.close();
      await poolMonitor.close();
      await receivers.close();
      await queueWorker?.close();
      await sweeper.stop();
      await runner.close();
    },
  };
}
