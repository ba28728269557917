import { readFileSync } from 'node:fs';
import { Type } from '@sinclair/typebox';
import { DOCS_PAGE } from '../docs-page.js';
import { buildOpenApi, type collectRoutes } from '../openapi.js';
import { notJson } from '../schemas.js';
import type { TypedApp } from '../typed-app.js';

// package.json sits three levels up from both src/api/routes and dist/api/routes.
const VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Any JSON object, written as it is. */
const OpenApiDocument = Type.Object({}, { additionalProperties: true, description: 'an OpenAPI 3.1 document' });

/** The API reference: the OpenAPI document and a page that renders it. Open: it documents, it reveals nothing. */
export function docsRoutes(app: TypedApp, routes: ReturnType<typeof collectRoutes>): void {
  let document: Record<string, unknown> | undefined;
  app.get(
    '/openapi.json',
    { schema: { summary: 'This reference, as OpenAPI 3.1, generated from the route schemas', tags: ['docs'], response: { 200: OpenApiDocument } } },
    async () => (document ??= buildOpenApi(routes, { version: VERSION })),
  );
  app.get(
    '/docs',
    { schema: { summary: 'This reference as a page (it renders /openapi.json)', tags: ['docs'], response: { 200: notJson('text/html', 'a self-contained HTML page') } } },
    async (_request, reply) => reply.type('text/html; charset=utf-8').send(DOCS_PAGE),
  );
}
