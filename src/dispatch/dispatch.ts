import type { Logger } from '../observability/logger.js';
import { metrics } from '../observability/metrics.js';
import type { BreakerState } from './circuit-breaker.js';
import { RecentDispatches, type RecentDispatch } from './recent-dispatches.js';

/**
 * What happens right after an order commits. Never awaited by the HTTP
 * response and never throws: the order is already safe in the database, and
 * the sweeper will find it whatever happens here. Each path says in the log
 * which way the order went.
 */
export interface Dispatch {
  orderPlaced(orderId: string): void;
  /**
   * An existing order has become due now (an early cancel was asked for): a
   * worker in this process looks at once; elsewhere a worker's sweeper finds
   * it within SWEEP_INTERVAL_MS. Never does I/O, never throws.
   */
  orderDue?(orderId: string): void;
  /** What this process last observed of its dispatch path; never does I/O. */
  status?(): DispatchStatus;
  close?(): Promise<void>;
}

export interface QueueDepth {
  waiting: number;
  active: number;
  delayed: number;
  observedAt: string;
}

export interface DispatchStatus {
  mode: 'in-process' | 'sweeper' | 'queue';
  redis: null | {
    /** ioredis connection status: ready, connecting, reconnecting, … */
    state: string;
    up: boolean;
    breaker: BreakerState;
    lastReadyAt: string | null;
    lastErrorAt: string | null;
  };
  queueDepth: QueueDepth | null;
  /** The last orders this process dispatched, newest first. */
  recent: RecentDispatch[];
}

/**
 * Embedded mode: run it in this process, now. `runner.offer` hands a new
 * order to the engine's runner, and says false when the runner already holds
 * as many as it keeps in memory: the order then waits for the sweeper, and
 * the log says so.
 */
export function inlineDispatch(runner: { offer(orderId: string): boolean; wake(orderId: string): void }, log: Logger): Dispatch {
  const recent = new RecentDispatches();
  return {
    orderPlaced(orderId) {
      if (!runner.offer(orderId)) {
        metrics.dispatchPath.inc({ path: 'sweeper' });
        recent.record(orderId, 'sweeper');
        log.info({ orderId, path: 'sweeper', reason: 'runner full' }, 'runner full: order will be processed by the scheduled sweep');
        return;
      }
      metrics.dispatchPath.inc({ path: 'in-process' });
      recent.record(orderId, 'in-process');
      log.info({ orderId, path: 'in-process' }, 'order dispatched in-process');
    },
    orderDue: (orderId) => runner.wake(orderId),
    status: () => ({ mode: 'in-process', redis: null, queueDepth: null, recent: recent.list() }),
  };
}

/** API-only process without a queue: a worker's sweeper picks the order up. */
export function sweeperDispatch(log: Logger): Dispatch {
  const recent = new RecentDispatches();
  return {
    orderPlaced(orderId) {
      metrics.dispatchPath.inc({ path: 'sweeper' });
      recent.record(orderId, 'sweeper');
      log.info({ orderId, path: 'sweeper' }, 'order will be processed by a worker\'s scheduled sweep');
    },
    status: () => ({ mode: 'sweeper', redis: null, queueDepth: null, recent: recent.list() }),
  };
}
