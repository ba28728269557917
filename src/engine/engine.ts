import type { EngineConfig } from '../config.js';
import type { ChainGateway, PoolAccount } from '../chain/gateway.js';
import type { Db } from '../db/connect.js';
import type { Logger } from '../observability/logger.js';
import type { EngineContext } from './context.js';
import { OrderRunner } from './order-runner.js';
import { Sweeper } from './sweeper.js';

export interface Engine {
  ctx: EngineContext;
  runner: OrderRunner;
  sweeper: Sweeper;
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
}): Engine {
  const { config } = opts;
  const ctx: EngineContext = {
    db: opts.db,
    chain: opts.chain,
    pools: opts.pools,
    log: opts.log,
    workerId: opts.workerId,
    settings: {
      leaseMs: config.leaseMs,
      confirmPollMs: config.confirmPollMs,
      poolWaitTimeoutMs: config.poolWaitTimeoutMs,
      delegateLock: config.delegateLock,
      crashPoint: config.crashPoint,
    },
  };
  const runner = new OrderRunner(ctx, config.concurrency);
  const sweeper = new Sweeper(ctx, runner, config.sweepIntervalMs);
  sweeper.start();
  return {
    ctx,
    runner,
    sweeper,
    async close() {
      await sweeper.stop();
      await runner.close();
    },
  };
}
