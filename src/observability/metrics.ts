import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Process-wide Prometheus metrics: what the engine and dispatch observe as
 * they go. Gauges read from the database are added per app at scrape time
 * (see api/routes/monitoring.ts). Names carry the `joule_` prefix.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'joule_' });

const DELAY_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export const DISPATCH_PATHS = ['in-process', 'queue', 'sweeper'] as const;
export type DispatchPath = (typeof DISPATCH_PATHS)[number];

export const metrics = {
  broadcastDelay: new Histogram({
    name: 'joule_order_broadcast_delay_seconds',
    help: 'Order created -> delegation broadcast accepted by the node',
    buckets: DELAY_BUCKETS,
    registers: [registry],
  }),
  activeDelay: new Histogram({
    name: 'joule_order_active_delay_seconds',
    help: 'Order created -> delegation confirmed (order active)',
    buckets: DELAY_BUCKETS,
    registers: [registry],
  }),
  dispatchPath: new Counter({
    name: 'joule_dispatch_total',
    help: 'New orders by the path that first took them: in-process, queue or sweeper',
    labelNames: ['path'],
    registers: [registry],
  }),
  enqueueBatches: new Histogram({
    name: 'joule_queue_enqueue_batch_size',
    help: 'Wake-ups and reclaims per enqueue round trip to Redis (at most one round trip per REDIS_ENQUEUE_GAP_MS, its wake-ups in one job), by outcome: sent, or failed (each of its orders then took the fallback path)',
    labelNames: ['outcome'],
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
    registers: [registry],
  }),
  walSyncs: new Counter({
    name: 'joule_db_wal_syncs_total',
    help: 'SQLite: flushes of the write-ahead log to disk before a first broadcast (one flush serves every commit made before it)',
    registers: [registry],
  }),
  chainErrors: new Counter({
    name: 'joule_chain_errors_total',
    help: 'Chain calls that failed because the node was unavailable (retried with backoff)',
    registers: [registry],
  }),
  broadcastRefusals: new Counter({
    name: 'joule_broadcast_refusals_total',
    help: 'First broadcasts the node refused with an answer that proves they can never land, by kind, node code and pool',
    labelNames: ['kind', 'code', 'pool'],
    registers: [registry],
  }),
  feeBurns: new Counter({
    name: 'joule_fee_burns_total',
    help: 'Our confirmed transactions whose bandwidth a pool paid by burning TRX',
    labelNames: ['kind'],
    registers: [registry],
  }),
  chainCalls: new Counter({
    name: 'joule_chain_calls_total',
    help: 'Requests sent to the node, by endpoint (each counts against the provider quota)',
    labelNames: ['endpoint'],
    registers: [registry],
  }),
  chainRateLimited: new Counter({
    name: 'joule_chain_rate_limited_total',
    help: 'Answers refusing a request for its rate (403/429/503, or an Error about the rate); each pauses every request of the process',
    labelNames: ['endpoint'],
    registers: [registry],
  }),
  chainBudgetWaits: new Histogram({
    name: 'joule_chain_budget_wait_seconds',
    help: 'How long requests waited for their turn in the request budget (TRON_MAX_RPS, or a pause after a rate-limit answer), by priority',
    labelNames: ['priority'],
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 30, 60],
    registers: [registry],
  }),
  feeBurntSun: new Counter({
    name: 'joule_fee_burnt_sun_total',
    help: 'Sun pools burnt for the bandwidth of our confirmed transactions (from the pool snapshot: no bandwidth left for a transaction\'s size at the fee per byte; blocks carry no fees)',
    labelNames: ['kind'],
    registers: [registry],
  }),
};

for (const path of DISPATCH_PATHS) metrics.dispatchPath.inc({ path }, 0);

/** Seconds from a database timestamp (epoch ms) to now. */
export const secondsSince = (epochMs: bigint): number => Math.max(0, (Date.now() - Number(epochMs)) / 1000);

export { Gauge };
