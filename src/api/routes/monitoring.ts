import { Type, type Static } from '@sinclair/typebox';
import { Gauge, Registry } from 'prom-client';
import { MAX_MINUTES, OrderDelayReports } from '../../db/order-delays.js';
import { BREAKER_STATES } from '../../dispatch/circuit-breaker.js';
import type { DispatchStatus } from '../../dispatch/dispatch.js';
import { DISPATCH_PATHS, metrics, registry, type DispatchPath } from '../../observability/metrics.js';
import { sharedOrderStats } from '../../observability/order-stats.js';
import type { ApiContext } from '../context.js';
import { DelayReportBody, ErrorBody, notJson, StatusBody } from '../schemas.js';
import { delayReportView } from '../views.js';
import type { TypedApp } from '../typed-app.js';

const noDispatchStatus: DispatchStatus = { mode: 'sweeper', redis: null, queueDepth: null, recent: [] };

const DelaysQuery = Type.Object(
  { minutes: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_MINUTES, default: 60, description: 'how many minutes back, the current one included' })) },
  { additionalProperties: false },
);

/**
 * GET /metrics (Prometheus text), GET /api/status (the same, as JSON) and
 * GET /api/status/delays (orders per minute, from the database).
 * Nothing here talks to Redis: its state is what the dispatch last observed
 * in the background. Orders are counted at most once a second, however
 * many scrape or watch; finished ones only as they finish (order-stats.ts).
 */
export function monitoringRoutes(app: TypedApp, ctx: ApiContext): void {
  const dispatchStatus = () => ctx.dispatch.status?.() ?? noDispatchStatus;
  // A step's times are stamped when it is claimed and commit within its lease; a minute more for the clock.
  const settleMs = BigInt(ctx.config.engine.leaseMs + 60_000);
  // Every status poll and scrape shares one count per second.
  const orderStats = sharedOrderStats(ctx.db, 1000, settleMs);
  const delayReports = new OrderDelayReports(ctx.db, settleMs);
  const local = new Registry();
  const ordersByStatus = new Gauge({ name: 'joule_orders', help: 'Orders by status', labelNames: ['status'], registers: [local] });
  const oldestPending = new Gauge({ name: 'joule_oldest_pending_seconds', help: 'Age of the oldest pending order (0 when none)', registers: [local] });
  const redisUp = new Gauge({ name: 'joule_redis_up', help: '1 when the queue connection is ready (absent without ENABLE_BACKGROUND_TASKS)', registers: [local] });
  const breaker = new Gauge({ name: 'joule_redis_breaker_state', help: '1 for the circuit breaker state the dispatch is in', labelNames: ['state'], registers: [local] });
  const depth = new Gauge({ name: 'joule_queue_depth', help: 'BullMQ jobs by state, as last polled in the background', labelNames: ['state'], registers: [local] });

  async function collect() {
    const stats = await orderStats();
    for (const [status, n] of Object.entries(stats.byStatus)) ordersByStatus.set({ status }, n);
    oldestPending.set((stats.oldestPendingMs ?? 0) / 1000);
    const d = dispatchStatus();
    if (d.redis) {
      redisUp.set(d.redis.up ? 1 : 0);
      for (const state of BREAKER_STATES) breaker.set({ state }, state === d.redis.breaker ? 1 : 0);
    }
    if (d.queueDepth) for (const state of ['waiting', 'active', 'delayed'] as const) depth.set({ state }, d.queueDepth[state]);
    return { stats, dispatch: d };
  }

  app.get(
    '/metrics',
    {
      ...(ctx.config.metricsPublic ? {} : { preHandler: ctx.guards.admin }),
      schema: {
        summary: 'Prometheus metrics (admin token unless METRICS_PUBLIC=true)',
        tags: ['monitoring'],
        response: { 200: notJson('text/plain', 'Prometheus text exposition format 0.0.4'), '4xx': ErrorBody },
      },
    },
    async (_request, reply) => {
      await collect();
      const merged = Registry.merge([registry, local]);
      return reply.type(merged.contentType).send(await merged.metrics());
    },
  );

  app.get(
    '/api/status',
    {
      preHandler: ctx.guards.admin,
      schema: {
        summary: 'Operational status for people and the dashboard (admin token)',
        tags: ['monitoring'],
        security: [{ adminToken: [] }],
        response: { 200: StatusBody, '4xx': ErrorBody },
      },
    },
    async (): Promise<Static<typeof StatusBody>> => {
      const { stats, dispatch } = await collect();
      const paths = await metrics.dispatchPath.get();
      const count = (path: string) => paths.values.find((v) => v.labels.path === path)?.value ?? 0;
      const mem = process.memoryUsage();
      return {
        orders: { by_status: stats.byStatus, oldest_pending_ms: stats.oldestPendingMs },
        dispatch: {
          mode: dispatch.mode,
          paths: Object.fromEntries(DISPATCH_PATHS.map((p) => [p, count(p)])) as Record<DispatchPath, number>,
          redis: dispatch.redis && {
            state: dispatch.redis.state,
            up: dispatch.redis.up,
            breaker: dispatch.redis.breaker,
            last_ready_at: dispatch.redis.lastReadyAt,
            last_error_at: dispatch.redis.lastErrorAt,
          },
          queue_depth: dispatch.queueDepth && {
            waiting: dispatch.queueDepth.waiting,
            active: dispatch.queueDepth.active,
            delayed: dispatch.queueDepth.delayed,
            observed_at: dispatch.queueDepth.observedAt,
          },
          recent: dispatch.recent.map((d) => ({ order_id: d.orderId, path: d.path, at: d.at })),
        },
        chain_errors: (await metrics.chainErrors.get()).values[0]?.value ?? 0,
        process: { uptime_s: Math.round(process.uptime()), rss_bytes: mem.rss, heap_used_bytes: mem.heapUsed, pid: process.pid },
      };
    },
  );

  app.get(
    '/api/status/delays',
    {
      preHandler: ctx.guards.admin,
      schema: {
        summary: 'Orders created, activated and failed per minute, with created -> active delays (admin token)',
        description: 'Every minute of the last `minutes` on the database clock, oldest first, zero-filled; the last one is the current, partial minute.',
        tags: ['monitoring'],
        security: [{ adminToken: [] }],
        querystring: DelaysQuery,
        response: { 200: DelayReportBody, '4xx': ErrorBody },
      },
    },
    async (request) => delayReportView(await delayReports.report(request.query.minutes ?? 60)),
  );
}
