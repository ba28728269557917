import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import type { HttpConfig } from '../config.js';

/**
 * The HTTP edge: what reaches Joule before a route does. Slow or piled-up
 * connections are cut off on time, so a slowloris cannot take the process
 * (and, in role `all`, its engine) to its descriptor limit; and every answer
 * the server can still give, down to a request the parser refuses, is
 * `{"error":{"code","message"}}` with a stable code.
 */

const errorBody = (code: string, message: string) => JSON.stringify({ error: { code, message } });

/** Parser errors (llhttp codes) and what a client is told about each. */
const PARSER_ERRORS: Readonly<Record<string, { status: number; code: string; message: string }>> = {
  HPE_HEADER_OVERFLOW: { status: 431, code: 'headers_too_large', message: 'the request headers are larger than the server accepts (16 KiB)' },
  HPE_INVALID_CONTENT_LENGTH: { status: 400, code: 'invalid_content_length', message: 'Content-Length must be one non-negative integer' },
  HPE_UNEXPECTED_CONTENT_LENGTH: { status: 400, code: 'invalid_content_length', message: 'Content-Length must not come with Transfer-Encoding' },
  HPE_INVALID_TRANSFER_ENCODING: { status: 400, code: 'invalid_transfer_encoding', message: 'Transfer-Encoding must be chunked, and not come with Content-Length' },
  HPE_INVALID_METHOD: { status: 400, code: 'invalid_method', message: 'the request method is not one HTTP knows' },
  HPE_INVALID_URL: { status: 400, code: 'invalid_url', message: 'the request target is not a valid URL path' },
};
const MALFORMED = { status: 400, code: 'malformed_request', message: 'the request is not well-formed HTTP/1.1 (lines end in CRLF; no obsolete line folding)' };

/**
 * A request the parser refused, or one that timed out before it was whole:
 * no route will see it, so the socket gets its answer here and is closed.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const known = err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
    ? { status: 408, code: 'request_timeout', message: 'the request did not arrive whole in time' }
    : (PARSER_ERRORS[err.code ?? ''] ?? MALFORMED);
  const body = errorBody(known.code, known.message);
  socket.end(
    `HTTP/1.1 ${known.status} ${STATUS_CODES[known.status]}\r\n` +
      'content-type: application/json; charset=utf-8\r\n' +
      `content-length: ${Buffer.byteLength(body)}\r\n` +
      'x-content-type-options: nosniff\r\ncache-control: no-store\r\nconnection: close\r\n\r\n' +
      body,
  );
}

/** Errors the router raises before a route is chosen. */
function answerFrameworkError(err: { code?: string; statusCode?: number }, request: FastifyRequest, reply: FastifyReply): void {
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    void reply.code(414).send({ error: { code: 'path_too_long', message: 'a path parameter is longer than any id Joule gives out (100 characters)' } });
    return;
  }
  // FST_ERR_BAD_URL and the rest: a path that does not decode.
  void reply.code(400).send({ error: { code: 'invalid_url', message: 'the request path is not valid percent-encoded UTF-8' } });
  request.log.debug({ code: err.code }, 'framework error');
}

/** Fastify options for the edge (the server is created with them). */
export function edgeServerOptions(http: HttpConfig): Partial<FastifyServerOptions> {
  return {
    // The whole request (headers and body) must arrive within this; Node checks
    // every second instead of every 30 s, so a cut-off comes on time.
    requestTimeout: http.requestTimeoutMs,
    keepAliveTimeout: http.idleTimeoutMs,
    // A socket that says nothing at all for this long is closed.
    connectionTimeout: http.requestTimeoutMs + http.idleTimeoutMs,
    http: { connectionsCheckingInterval: 1000, headersTimeout: http.requestTimeoutMs, requireHostHeader: false },
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
  } as Partial<FastifyServerOptions>;
}

/**
 * The NUL character PostgreSQL cannot store in text: refused wherever a
 * client can put it. Walked with a stack of its own, not by recursion: a
 * body of a few thousand nested arrays (under the size limit, and parsed
 * without complaint) would overflow the call stack, a 500 for anyone.
 */
const hasNul = (root: unknown): boolean => {
  if (typeof root === 'string') return root.includes('\u0000');
  if (root === null || typeof root !== 'object') return false;
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return true;
    } else if (Array.isArray(value)) {
      for (const item of value) stack.push(item);
    } else if (value !== null && typeof value === 'object') {
      // Own keys, without an array of entries made for every body.
      for (const key of Object.keys(value)) {
        if (key.includes('\u0000')) return true;
        stack.push((value as Record<string, unknown>)[key]);
      }
    }
  }
  return false;
};

/**
 * Hooks of the edge: the connection cap, Host required (answered in the
 * documented shape, where Node would send an empty 400), a bogus Expect
 * answered likewise, NUL refused everywhere, and headers every API answer
 * carries. Every request runs them, so they take Fastify's callback form: an
 * async hook costs a promise and a turn of the microtask queue each. A hook
 * that answers does not call `done`.
 */
export function registerEdge(app: FastifyInstance, http: HttpConfig): void {
  app.server.maxConnections = http.maxConnections;
  app.server.on('checkExpectation', (_req, res) => {
    const body = errorBody('expectation_failed', 'the only expectation the server meets is Expect: 100-continue');
    res.writeHead(417, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' });
    res.end(body);
  });
  app.addHook('onRequest', (request, reply, done) => {
    if (request.raw.httpVersion === '1.1' && !request.headers.host) {
      void reply.code(400).send({ error: { code: 'missing_host', message: 'an HTTP/1.1 request needs a Host header' } });
    } else if (request.url.includes('%00')) {
      void reply.code(400).send({ error: { code: 'invalid_character', message: 'the request URL contains a NUL character (%00)' } });
    } else done();
  });
  app.addHook('preValidation', (request, reply, done) => {
    if (hasNul(request.body) || hasNul(request.params) || hasNul(request.query)) {
      void reply.code(400).send({ error: { code: 'invalid_character', message: 'a value contains a NUL character (\\u0000), which no field accepts' } });
    } else done();
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.header('x-content-type-options', 'nosniff');
    // Balances and orders change by the second and are nobody's to keep; the dashboard's own
    // hashed assets set their long cache before this runs.
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    done(null, payload);
  });
}

/** Reads whose cost grows with what they return: lists and histories. */
const EXPENSIVE_READS = new Set([
  '/api/orders',
  '/api/orders/:order_id/events',
  '/api/orders/:order_id/transactions',
  '/api/users',
  '/api/users/:user_id/ledger',
  '/api/status/delays',
  '/api/pools',
]);

/**
 * Sheds expensive reads past `max` with 503 and Retry-After, before they
 * reach the database: a pile-up of list requests gets fast refusals instead
 * of every caller waiting on a drowning event loop (and the engine beside it
 * in role `all`). Two bounds, because the two databases overlap work
 * differently: at most `max` in flight at once (PostgreSQL answers
 * asynchronously, so reads overlap), and at most `max` started in one turn
 * of the event loop (better-sqlite3 answers synchronously, so a turn that
 * takes every waiting socket would otherwise run them all back to back, and
 * nothing else — timers, the engine, cheap requests — would run until it
 * ended). Order creation and single-order reads are never shed here.
 *
 * The gate is the last of each such route's preHandlers, after its guard:
 * only a request with a key that is let in (and within its rate) takes a
 * place. Counted before, requests without a key, or with made-up ones,
 * would fill the places and shed every tenant's reads.
 */
export function registerReadGate(app: FastifyInstance, max: number): void {
  let inFlight = 0;
  let startedThisTurn = 0;
  // Callback form, as the edge's hooks (registerEdge).
  const gate = (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
    // HEAD too: Fastify answers it with the GET route's handler, the same read.
    if (request.method !== 'GET' && request.method !== 'HEAD') return done();
    if (inFlight >= max || startedThisTurn >= max) {
      reply.header('retry-after', '1');
      void reply.code(503).send({ error: { code: 'overloaded', message: `more than ${max} list reads at once; retry after 1 s` } });
      return;
    }
    if (startedThisTurn++ === 0) setImmediate(() => (startedThisTurn = 0));
    inFlight++;
    // 'close' comes once whether the answer was sent or the client went away.
    reply.raw.once('close', () => inFlight--);
    done();
  };
  app.addHook('onRoute', (route) => {
    if (!EXPENSIVE_READS.has(route.url ?? '')) return;
    const before = route.preHandler === undefined ? [] : Array.isArray(route.preHandler) ? route.preHandler : [route.preHandler];
    route.preHandler = [...before, gate] as typeof route.preHandler;
  });
}

/** Query parameters whose values are credentials somebody pasted into a URL. */
const SECRET_PARAMS = /^(api[_-]?key|key|token|access[_-]?token|secret|password)$/i;

/** The URL as request logs show it: credential-like query values replaced by [redacted]. */
export function loggableUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const redacted = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      let decoded = name;
      try {
        decoded = decodeURIComponent(name);
      } catch {
        // an undecodable name is shown as sent
      }
      return SECRET_PARAMS.test(decoded) && eq >= 0 ? `${name}=[redacted]` : pair;
    })
    .join('&');
  return `${url.slice(0, q)}?${redacted}`;
}
