import { pingDatabase } from '../../db/connect.js';
import type { ApiContext } from '../context.js';
import { ErrorBody, HealthBody, ReadyBody } from '../schemas.js';
import type { TypedApp } from '../typed-app.js';

export function healthRoutes(app: TypedApp, ctx: ApiContext): void {
  // Liveness: the process answers. No I/O, so a slow database never gets the process restarted.
  app.get('/health', { schema: { summary: 'Liveness (no I/O)', tags: ['health'], response: { 200: HealthBody } } }, async () => ({ status: 'ok' as const }));

  // Readiness: the database answers.
  app.get(
    '/ready',
    { schema: { summary: 'Readiness: the database answers', tags: ['health'], response: { 200: ReadyBody, 503: ErrorBody } } },
    async (request, reply) => {
      try {
        await pingDatabase(ctx.db);
        return { status: 'ready' as const, database: ctx.db.dialect };
      } catch (err) {
        request.log.warn({ err }, 'readiness check: database unreachable');
        return reply.code(503).send({ error: { code: 'database_unavailable', message: 'the database does not answer' } });
      }
    },
  );
}
