import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isLoopbackHost, type ClientAuth } from '../config.js';
import { AppError } from '../domain/errors.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Compares a presented credential with every accepted one in constant time:
 * hashing first gives equal lengths, and the loop never stops early.
 */
function matchesAny(presented: string, accepted: readonly Buffer[]): boolean {
  const p = digest(presented);
  let ok = false;
  for (const a of accepted) ok = timingSafeEqual(p, a) || ok;
  return ok;
}

function presentedCredential(request: FastifyRequest): string | undefined {
  const auth = request.headers.authorization;
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) return auth.slice('Bearer '.length).trim();
  const key = request.headers['x-api-key'];
  return typeof key === 'string' ? key.trim() : undefined;
}

const unauthorized = (message: string) => new AppError('unauthorized', 401, message);

/** The host a request names (Host header, port and IPv6 brackets off), or undefined. */
function requestedHost(request: FastifyRequest): string | undefined {
  const host = request.headers.host;
  if (typeof host !== 'string' || host === '') return undefined;
  const m = /^(\[[^\]]*\]|[^:]*)(?::\d*)?$/.exec(host.trim());
  return m?.[1];
}

/**
 * Without keys, a client endpoint answers only requests addressed to a
 * loopback name: a web page that rebinds its own domain to 127.0.0.1 still
 * sends its own name as Host, and is turned away.
 */
function assertLoopbackHost(request: FastifyRequest): void {
  const host = requestedHost(request);
  if (host !== undefined && isLoopbackHost(host)) return;
  throw new AppError(
    'host_not_allowed',
    421,
    `without API_KEYS, client endpoints answer only requests addressed to this machine (Host: localhost or 127.0.0.1), not ${JSON.stringify(request.headers.host ?? '')}; set API_KEYS to serve other hosts`,
  );
}

export interface Guards {
  /** Admin endpoints: always the admin token. */
  admin(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  /**
   * Client endpoints: an API key with CLIENT_AUTH keys (the admin token works
   * too); a loopback Host with loopback; nothing with none.
   */
  client(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  /**
   * Client endpoints the dashboard may call too: the admin token, or
   * whatever `client` accepts (the admin token also passes `client` with
   * keys; here it passes whatever CLIENT_AUTH is).
   */
  clientOrAdmin(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  /** Whether the request carries the admin token (to tell who acted). */
  isAdmin(request: FastifyRequest): boolean;
}

export function createGuards(adminToken: string, clientAuth: { apiKeys: readonly string[]; clientAuth: ClientAuth }): Guards {
  const { apiKeys } = clientAuth;
  const admin = [digest(adminToken)];
  const clients = [...admin, ...apiKeys.map(digest)];
  const isAdmin = (request: FastifyRequest) => {
    const presented = presentedCredential(request);
    return presented !== undefined && matchesAny(presented, admin);
  };
  const guards: Guards = {
    isAdmin,
    async clientOrAdmin(request, reply) {
      if (isAdmin(request)) return;
      return guards.client(request, reply);
    },
    async admin(request) {
      const presented = presentedCredential(request);
      if (presented === undefined) throw unauthorized('this endpoint needs Authorization: Bearer <admin token>');
      if (!matchesAny(presented, admin)) throw unauthorized('invalid admin token');
    },
    async client(request) {
      if (clientAuth.clientAuth === 'none') return;
      if (clientAuth.clientAuth === 'loopback') return assertLoopbackHost(request);
      const presented = presentedCredential(request);
      if (presented === undefined) throw unauthorized('this endpoint needs an API key (Authorization: Bearer <key>)');
      if (!matchesAny(presented, clients)) throw unauthorized('invalid API key');
    },
  };
  return guards;
}
