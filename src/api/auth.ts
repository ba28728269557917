import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isLoopbackHost, type ClientAuth } from '../config.js';
import type { DbHandle } from '../db/connect.js';
import { touchApiKey } from '../db/tenants.js';
import { AppError } from '../domain/errors.js';
import { defaultTenant, type TenantContext } from '../domain/tenant.js';
import { liveKey } from '../use-cases/tenants.js';

/** How long a database key's answer is kept by this process: a revoked key stops working within this (at once in the process that revoked it). */
const KEY_CACHE_MS = 5_000;

/** Who each request speaks for, set by the client guard; the default tenant where no guard ran. */
const tenants = new WeakMap<FastifyRequest, TenantContext>();
export const tenantOf = (request: FastifyRequest): TenantContext => tenants.get(request) ?? defaultTenant;

/** A database key as this process last found it; null: not a live key. */
interface CachedKey {
  found: { tenantId: string; keyId: string } | null;
  until: number;
}

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
   * Client endpoints, and the tenant a request speaks for: a key from the
   * database speaks for its tenant, anywhere; API_KEYS and the admin token
   * for the default tenant. Without a key: with CLIENT_AUTH keys, refused;
   * loopback, a loopback Host; none, anything — for the default tenant.
   * A key presented and not known is refused whatever the mode: a client
   * with a mistyped key must not act as another tenant.
   */
  client(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  /** A key's cached answer is dropped (it was rotated or revoked here). */
  forget(keyId: string): void;
}

export function createGuards(adminToken: string, clientAuth: { apiKeys: readonly string[]; clientAuth: ClientAuth }, db?: DbHandle): Guards {
  const { apiKeys } = clientAuth;
  const admin = [digest(adminToken)];
  const clients = [...admin, ...apiKeys.map(digest)];
  const cache = new Map<string, CachedKey>();
  const lastTouched = new Map<string, number>();

  async function databaseKey(presented: string): Promise<CachedKey['found']> {
    if (db === undefined) return null;
    const hash = createHash('sha256').update(presented).digest('hex');
    const now = performance.now();
    const cached = cache.get(hash);
    if (cached !== undefined && cached.until > now) return cached.found;
    const key = await liveKey(db, presented);
    const found = key === undefined ? null : { tenantId: key.tenant_id, keyId: key.id };
    // Only live keys are kept: an unknown one costs its sender a query each time, never us memory.
    if (found !== null) {
      if (cache.size > 10_000) cache.clear();
      cache.set(hash, { found, until: now + KEY_CACHE_MS });
    } else cache.delete(hash);
    return found;
  }

  function used(keyId: string): void {
    const now = performance.now();
    if (now - (lastTouched.get(keyId) ?? -Infinity) < 60_000 || db === undefined) return;
    lastTouched.set(keyId, now);
    void touchApiKey(db, keyId).catch(() => {});
  }

  return {
    async admin(request) {
      const presented = presentedCredential(request);
      if (presented === undefined) throw unauthorized('this endpoint needs Authorization: Bearer <admin token>');
      if (!matchesAny(presented, admin)) throw unauthorized('invalid admin token');
    },
    async client(request) {
      const presented = presentedCredential(request);
      if (presented !== undefined && presented !== '') {
        if (matchesAny(presented, admin)) {
          tenants.set(request, { ...defaultTenant, admin: true });
          return;
        }
        if (matchesAny(presented, clients)) return;
        const key = await databaseKey(presented);
        if (key === null) throw unauthorized('invalid API key');
        tenants.set(request, { tenantId: key.tenantId, keyId: key.keyId, admin: false });
        used(key.keyId);
        return;
      }
      if (clientAuth.clientAuth === 'none') return;
      if (clientAuth.clientAuth === 'loopback') return assertLoopbackHost(request);
      throw unauthorized('this endpoint needs an API key (Authorization: Bearer <key>)');
    },
    forget(keyId) {
      for (const [hash, entry] of cache) if (entry.found?.keyId === keyId) cache.delete(hash);
    },
  };
}
