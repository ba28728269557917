import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from '../observability/logger.js';
import { registry } from '../observability/metrics.js';
import type { Guards } from './auth.js';
import { registerErrorHandlers } from './errors.js';
import { ErrorBody, HealthBody, notJson } from './schemas.js';

/**
 * A `worker` serves no API, but its engine observes the processing delays,
 * chain errors and watchdog: WORKER_METRICS_PORT exposes them (admin token
 * unless METRICS_PUBLIC=true), with /health.
 */
export function buildWorkerMetricsApp(guards: Guards, metricsPublic: boolean, logger: Logger): FastifyInstance {
  // Fastify's own logger interface: typed as pino's, the instance would not be a plain FastifyInstance.
  const loggerInstance: FastifyBaseLogger = logger;
  const app = Fastify({ loggerInstance, logController: new LogController({ disableRequestLogging: true }) });
  registerErrorHandlers(app);
  app.get('/health', { schema: { response: { 200: HealthBody } } }, async () => ({ status: 'ok' }));
  app.get(
    '/metrics',
    {
      ...(metricsPublic ? {} : { preHandler: guards.admin }),
      schema: { response: { 200: notJson('text/plain', 'Prometheus text exposition format 0.0.4'), '4xx': ErrorBody } },
    },
    async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()),
  );
  return app;
}
