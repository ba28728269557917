import type { FastifyInstance, RouteOptions } from 'fastify';
import { ERROR_CODES } from './error-codes.js';

/**
 * The API reference, generated from the very route schemas the server
 * validates and serialises with: a route cannot change without its
 * documentation changing too. OpenAPI 3.1, whose schemas are JSON Schema, so
 * the TypeBox schemas are used as they are.
 */
interface CollectedRoute {
  method: string;
  url: string;
  schema: NonNullable<RouteOptions['schema']>;
}

type Json = Record<string, unknown>;

/** Records every route added from now on; call before registering routes. */
export function collectRoutes(app: FastifyInstance): CollectedRoute[] {
  const routes: CollectedRoute[] = [];
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === 'HEAD' || !route.schema) continue;
      routes.push({ method: method.toLowerCase(), url: route.url, schema: route.schema });
    }
  });
  return routes;
}

/** Plain JSON Schema: TypeBox's `$id`s are dropped (the schemas are inlined). */
const plain = (schema: unknown): Json => JSON.parse(JSON.stringify(schema, (key, value) => (key === '$id' ? undefined : value))) as Json;

function parameters(schema: unknown, where: 'path' | 'query' | 'header'): Json[] {
  const s = schema as { properties?: Record<string, unknown>; required?: string[] } | undefined;
  return Object.entries(s?.properties ?? {}).map(([name, sub]) => {
    const p = plain(sub);
    const description = p.description;
    delete p.description;
    return { name, in: where, required: where === 'path' || (s?.required ?? []).includes(name), schema: p, ...(description ? { description } : {}) };
  });
}

const SEED_ORDER = { user_id: 999888, energy_amount: 32000, duration: '1h', receive_address: 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t' };

/** Request examples, keyed by "METHOD url". */
const EXAMPLES: Record<string, unknown> = {
  'post /api/orders': SEED_ORDER,
  'post /api/users/:user_id/deposits': { amount_sun: '100000000', reference: 'topup-1' },
};

/**
 * A route's response schemas, keyed by status code: JSON (a TypeBox schema),
 * another media type (`{description, content}`, see notJson) or no body at
 * all (a redirect: `{type: "null"}`).
 */
function responses(schema: CollectedRoute['schema']): Json {
  const out: Json = {};
  for (const [status, body] of Object.entries((schema.response ?? {}) as Record<string, unknown>)) {
    const key = status.replace(/xx$/, 'XX');
    const def = body as { description?: string; content?: Record<string, { schema: unknown }>; type?: unknown };
    if (def.content) {
      const content = Object.fromEntries(Object.entries(def.content).map(([type, media]) => [type, { schema: plain(media.schema) }]));
      out[key] = { description: def.description ?? 'success', content };
    } else if (def.type === 'null') {
      out[key] = { description: def.description ?? 'no body' };
    } else {
      out[key] = {
        description: key.startsWith('2') ? 'success' : 'error: {"error":{"code","message"}} (codes below)',
        content: { 'application/json': { schema: plain(body) } },
      };
    }
  }
  return out;
}

export function buildOpenApi(routes: readonly CollectedRoute[], info: { version: string }): Json {
  const paths: Record<string, Json> = {};
  for (const r of routes) {
    const path = r.url.replace(/:([a-z_]+)/g, '{$1}');
    const s = r.schema;
    const operation: Json = {
      ...(s.summary ? { summary: s.summary } : {}),
      ...(s.description ? { description: s.description } : {}),
      ...(s.tags ? { tags: s.tags } : {}),
      ...(s.security ? { security: s.security } : {}),
      parameters: [...parameters(s.params, 'path'), ...parameters(s.querystring, 'query'), ...parameters(s.headers, 'header')],
      responses: responses(s),
    };
    if (s.body) {
      const example = EXAMPLES[`${r.method} ${r.url}`];
      operation.requestBody = {
        required: true,
        content: { 'application/json': { schema: plain(s.body), ...(example ? { example } : {}) } },
      };
    }
    paths[path] = { ...(paths[path] ?? {}), [r.method]: operation };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Joule',
      version: info.version,
      description:
        'TRON energy rental backend. Amounts of sun are decimal strings; user ids are integers up to int64. ' +
        'Every error is {"error":{"code","message"}}; the codes are listed in x-error-codes. Example:\n\n' +
        "curl -X POST http://localhost:8002/api/orders/ -H 'Content-Type: application/json' " +
        `-d '${JSON.stringify(SEED_ORDER)}'`,
    },
    components: {
      securitySchemes: {
        adminToken: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN' },
        apiKey: { type: 'http', scheme: 'bearer', description: 'one of API_KEYS (or the X-API-Key header), when API_KEYS is set' },
      },
    },
    paths,
    'x-error-codes': ERROR_CODES,
  };
}
