import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { DOCS_PAGE } from '../docs-page.js';
import { buildOpenApi, type collectRoutes } from '../openapi.js';

// package.json sits three levels up from both src/api/routes and dist/api/routes.
const VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** The API reference: the OpenAPI document and a page that renders it. Open: it documents, it reveals nothing. */
export function docsRoutes(app: FastifyInstance, routes: ReturnType<typeof collectRoutes>): void {
  let document: unknown;
  app.get('/openapi.json', async () => (document ??= buildOpenApi(routes, { version: VERSION })));
  app.get('/docs', async (_request, reply) => reply.type('text/html; charset=utf-8').send(DOCS_PAGE));
}
