import type { Logger } from '../observability/logger.js';
import type { OrderRunner } from './order-runner.js';

/**
 * What happens right after an order commits. Never awaited by the HTTP
 * response and never throws: the order is already safe in the database, and
 * the sweeper will find it whatever happens here. Each path says in the log
 * which way the order went.
 */
export interface Dispatch {
  orderPlaced(orderId: string): void;
}

/** Embedded mode: run it in this process, now. */
export function inlineDispatch(runner: OrderRunner, log: Logger): Dispatch {
  return {
    orderPlaced(orderId) {
      log.info({ orderId, path: 'in-process' }, 'order dispatched in-process');
      runner.wake(orderId);
    },
  };
}

/** API-only process without a queue: a worker's sweeper picks the order up. */
export function sweeperDispatch(log: Logger): Dispatch {
  return {
    orderPlaced(orderId) {
      log.info({ orderId, path: 'sweeper' }, 'order will be processed by a worker\'s scheduled sweep');
    },
  };
}
