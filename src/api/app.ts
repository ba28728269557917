import './schema-docs.js';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from '../observability/logger.js';
import type { ApiContext } from './context.js';
import { registerErrorHandlers } from './errors.js';
import { edgeServerOptions, loggableUrl, registerEdge, registerReadGate } from './http-edge.js';
import { collectRoutes } from './openapi.js';
import { apiKeyRoutes } from './routes/api-keys.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { docsRoutes } from './routes/docs.js';
import { estimateRoutes } from './routes/estimates.js';
import { flashRentRoutes } from './routes/flash-rent.js';
import { healthRoutes } from './routes/health.js';
import { monitoringRoutes } from './routes/monitoring.js';
import { orderRoutes } from './routes/orders.js';
import { poolRoutes } from './routes/pools.js';
import { priceRoutes } from './routes/prices.js';
import { savedAddressRoutes } from './routes/saved-addresses.js';
import { userRoutes } from './routes/users.js';
import { webhookRoutes } from './routes/webhooks.js';
import { registerValidators } from './validation.js';

/** 16 KiB: an order is a few hundred bytes; anything near this is not one. */
export const BODY_LIMIT = 16 * 1024;

/** Builds the HTTP app (not listening): server start-up and tests share it. */
export function buildApp(ctx: ApiContext, logger: Logger): FastifyInstance {
  // Fastify's own logger interface: typed as pino's, the instance would not be a plain FastifyInstance.
  const loggerInstance: FastifyBaseLogger = logger;
  const app = Fastify({
    loggerInstance,
    bodyLimit: BODY_LIMIT,
    routerOptions: { ignoreTrailingSlash: true },
    // One line per request, written in onResponse below, instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    ...edgeServerOptions(ctx.config.http),
  });
  registerEdge(app, ctx.config.http);
  registerReadGate(app, ctx.config.http.maxConcurrentReads);
  // JSON only: a text/plain body is refused with 415 rather than parsed as a string.
  app.removeContentTypeParser('text/plain');
  registerValidators(app);
  registerErrorHandlers(app);
  // Callback form: an async hook costs a promise and a microtask on every request.
  app.addHook('onResponse', (request, reply, done) => {
    request.log.info(
      { method: request.method, url: loggableUrl(request.url), status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 },
      'request',
    );
    done();
  });
  const documented = collectRoutes(app);
  // Routes are typed from their schemas: the request a handler reads is the one the server validated.
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();
  healthRoutes(routes, ctx);
  priceRoutes(routes, ctx);
  estimateRoutes(routes, ctx);
  orderRoutes(routes, ctx);
  userRoutes(routes, ctx);
  apiKeyRoutes(routes, ctx);
  webhookRoutes(routes, ctx);
  savedAddressRoutes(routes, ctx);
  flashRentRoutes(routes, ctx);
  poolRoutes(routes, ctx);
  monitoringRoutes(routes, ctx);
  docsRoutes(routes, documented);
  dashboardRoutes(routes);
  return app;
}
