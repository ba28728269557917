import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import { notFound } from '../../domain/errors.js';
import { ErrorBody, notJson, Redirect } from '../schemas.js';
import type { TypedApp } from '../typed-app.js';

// dist/web, built by `npm run build` (vite): three levels up from both src/api/routes and dist/api/routes.
const WEB_DIR = new URL('../../../dist/web/', import.meta.url);

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

/**
 * The page itself holds no data: everything it shows comes from the API with
 * the admin token, which the page keeps in the tab's session storage and
 * sends as a header. The policy below keeps it from loading or sending
 * anything elsewhere, and from being framed.
 */
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

interface Built {
  index: Buffer;
  assets: Map<string, { body: Buffer; type: string }>;
  /** The icon, as the page links it (SVG) and as browsers ask for it unbidden (/favicon.ico); from web/public. */
  icons: Map<'favicon.svg' | 'favicon.ico', { body: Buffer; type: string }>;
}

/** An icon holds no data and changes rarely: cached for a day, and an SVG may not run or load anything. */
const ICON_HEADERS = { 'x-content-type-options': 'nosniff', 'cache-control': 'public, max-age=86400', 'content-security-policy': "default-src 'none'" };

/** Reads the built files once, at start-up: a handful of small files, served from memory. */
function loadBuilt(): Built | undefined {
  const index = new URL('index.html', WEB_DIR);
  if (!existsSync(index)) return undefined;
  const assets = new Map<string, { body: Buffer; type: string }>();
  const dir = new URL('assets/', WEB_DIR);
  if (existsSync(dir)) {
    for (const name of readdirSync(dir)) {
      assets.set(name, { body: readFileSync(new URL(name, dir)), type: TYPES[extname(name)] ?? 'application/octet-stream' });
    }
  }
  const icons: Built['icons'] = new Map();
  for (const name of ['favicon.svg', 'favicon.ico'] as const) {
    const file = new URL(name, WEB_DIR);
    if (existsSync(file)) icons.set(name, { body: readFileSync(file), type: TYPES[extname(name)]! });
  }
  return { index: readFileSync(index), assets, icons };
}

/** The operator dashboard at /dashboard/ (and / sends browsers there), and its icon at /favicon.ico. */
export function dashboardRoutes(app: TypedApp): void {
  const built = loadBuilt();
  const notBuilt = (reply: FastifyReply) =>
    reply.code(503).send({ error: { code: 'dashboard_not_built', message: 'the dashboard is not built: run npm run build' } });

  app.get(
    '/',
    { schema: { summary: 'Sends a browser to the dashboard', tags: ['dashboard'], response: { 302: Redirect('to /dashboard/') } } },
    async (_request, reply) => reply.redirect('/dashboard/'),
  );
  app.get(
    '/dashboard/',
    {
      schema: {
        summary: 'The operator dashboard (the page holds no data: it reads the API with the admin token)',
        tags: ['dashboard'],
        response: { 200: notJson('text/html', 'the page, under a strict Content-Security-Policy'), 503: ErrorBody },
      },
    },
    async (_request, reply) => {
      if (!built) return notBuilt(reply);
      return reply.headers({ ...PAGE_HEADERS, 'cache-control': 'no-cache' }).type('text/html; charset=utf-8').send(built.index);
    },
  );
  const icon = (name: 'favicon.svg' | 'favicon.ico') => async (_request: unknown, reply: FastifyReply) => {
    if (!built) return notBuilt(reply);
    const file = built.icons.get(name);
    if (!file) throw notFound('icon');
    return reply.headers(ICON_HEADERS).type(file.type).send(file.body);
  };
  app.get(
    '/favicon.ico',
    {
      schema: {
        summary: "The dashboard's icon, for browsers that ask for it at the root",
        tags: ['dashboard'],
        response: { 200: notJson('image/x-icon', 'the icon at 16, 32 and 48 px'), 404: ErrorBody, 503: ErrorBody },
      },
    },
    icon('favicon.ico'),
  );
  app.get(
    '/dashboard/favicon.svg',
    {
      schema: {
        summary: "The dashboard's icon, as its page links it",
        tags: ['dashboard'],
        response: { 200: notJson('image/svg+xml', 'the icon'), 404: ErrorBody, 503: ErrorBody },
      },
    },
    icon('favicon.svg'),
  );
  app.get(
    '/dashboard/assets/:file',
    {
      schema: {
        summary: "A file of the dashboard's build (scripts, styles, images); its name carries a content hash",
        tags: ['dashboard'],
        params: Type.Object({ file: Type.String() }),
        response: { 200: notJson('*/*', 'the file, with its media type; cached for a year'), 404: ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      if (!built) return notBuilt(reply);
      const asset = built.assets.get(request.params.file);
      if (!asset) throw notFound('file');
      // Vite puts a content hash in every asset name: a name never changes meaning.
      return reply
        .headers({ 'x-content-type-options': 'nosniff', 'cache-control': 'public, max-age=31536000, immutable' })
        .type(asset.type)
        .send(asset.body);
    },
  );
}
