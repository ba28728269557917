import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isLoopbackHost, type ClientAuth } from '../config.js';
import type { DbHandle } from '../db/connect.js';
import { findLiveKeyByHash, touchApiKey } from '../db/tenants.js';
import { AppError } from '../domain/errors.js';
import { defaultTenant, type TenantContext } from '../domain/tenant.js';
import { keyHash } from '../use-cases/tenants.js';
import type { RateDecision, RateLimiter } from './rate-limiter.js';

/** How long a database key's answer is kept by this process: a revoked key stops working within this (at once in the process that revoked it, even for a look-up under way then). */
const KEY_CACHE_MS = 5_000;

/** Who each request speaks for, set by the client guard; the default tenant where no guard ran. */
const tenants = new WeakMap<FastifyRequest, TenantContext>();
export const tenantOf = (request: FastifyRequest): TenantContext => tenants.get(request) ?? defaultTenant;

/** A database key as this process last found it; null: not a live key. */
interface CachedKey {
  /** `rateLimit`: the key's own requests a minute, or null for RATE_LIMIT_PER_MIN. */
  found: { tenantId: string; keyId: string; rateLimit: number | null } | null;
  until: number;
}

/**
 * A credential's SHA-256 as bytes, the form it is compared in, from its hex
 * (keyHash, how a key is stored): node:crypto's one-shot hash costs about a
 * microsecond more answering a Buffer than a string.
 */
const digestOfHash = (hash: string): Buffer => Buffer.from(hash, 'hex');
const digest = (s: string): Buffer => digestOfHash(keyHash(s));

/**
 * Compares a presented credential (its digest) with every accepted one in
 * constant time: hashing first gives equal lengths, and the loop never stops early.
 */
function matchesAny(p: Buffer, accepted: readonly Buffer[]): boolean {
  let ok = false;
  for (const a of accepted) ok = timingSafeEqual(p, a) || ok;
  return ok;
}

/**
 * The credential a request presents: Authorization's Bearer value (the
 * scheme's name in any case, as HTTP allows), else X-API-Key. An
 * Authorization header of another scheme is presented as it is, and so
 * refused as no key of ours: a client that meant to present a key is never
 * taken for one that presented none (which, without keys, would speak for
 * the default tenant).
 */
function presentedCredential(request: FastifyRequest): string | undefined {
  const auth = request.headers.authorization?.trim();
  if (auth) {
    const bearer = /^bearer[ \t]+(.*)$/i.exec(auth);
    return bearer ? bearer[1]!.trim() : auth;
  }
  const key = request.headers['x-api-key'];
  return typeof key === 'string' ? key.trim() : undefined;
}

const unauthorized = (message: string) => new AppError('unauthorized', 401, message);

/** The host a request names (Host header, port and IPv6 brackets off), or undefined. */
function requestedHost(host: string | undefined): string | undefined {
  if (typeof host !== 'string' || host === '') return undefined;
  const m = /^(\[[^\]]*\]|[^:]*)(?::\d*)?$/.exec(host.trim());
  return m?.[1];
}

/** The last Host header read, and whether it names this machine: a client sends the same one every time. */
let lastHost: string | undefined;
let lastHostIsLoopback = false;

function addressedToLoopback(header: string | undefined): boolean {
  if (header !== lastHost) {
    const host = requestedHost(header);
    lastHostIsLoopback = host !== undefined && isLoopbackHost(host);
    lastHost = header;
  }
  return lastHostIsLoopback;
}

/**
 * Without keys, a client endpoint answers only requests addressed to a
 * loopback name: a web page that rebinds its own domain to 127.0.0.1 still
 * sends its own name as Host, and is turned away.
 */
function assertLoopbackHost(request: FastifyRequest): void {
  if (!addressedToLoopback(request.headers.host)) {
    throw new AppError(
      'host_not_allowed',
      421,
      `without API_KEYS, client endpoints answer only requests addressed to this machine (Host: localhost or 127.0.0.1), not ${JSON.stringify(request.headers.host ?? '')}; set API_KEYS to serve other hosts`,
    );
  }
  // A page of another site open in a browser on this machine sends this machine's name as Host too
  // (a cancel needs no body, a deposit address only a GET): its browser says where it comes from.
  if (request.headers['sec-fetch-site'] === 'cross-site' || fromAnotherSite(request.headers.origin)) {
    throw new AppError('cross_site_request', 403, 'without API_KEYS, client endpoints answer no request a page of another site makes; set API_KEYS to serve other sites');
  }
}

/** An Origin header that names no loopback host (or `null`, an opaque origin): a page of another site made the request. */
function fromAnotherSite(origin: string | undefined): boolean {
  if (origin === undefined) return false;
  try {
    return !isLoopbackHost(new URL(origin).hostname);
  } catch {
    return true;
  }
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
  /** A key's cached answer is dropped (it was rotated, revoked or given another limit here). */
  forget(keyId: string): void;
}

/** Rate limits of client keys: the limiter and RATE_LIMIT_PER_MIN (Infinity: none by default). */
export interface ClientLimits {
  limiter: RateLimiter;
  perMin: number;
}

const rateLimited = (d: RateDecision) =>
  new AppError('rate_limited', 429, `this key may make ${d.limit} requests a minute; retry after ${d.retryAfterSeconds} s`, {
    limit: d.limit,
    retry_after_seconds: d.retryAfterSeconds,
  });

export function createGuards(
  adminToken: string,
  clientAuth: { apiKeys: readonly string[]; clientAuth: ClientAuth },
  db?: DbHandle,
  limits?: ClientLimits,
): Guards {
  const { apiKeys } = clientAuth;
  const admin = [digest(adminToken)];
  const clients = [...admin, ...apiKeys.map(digest)];
  const cache = new Map<string, CachedKey>();
  /**
   * Moved on by every forget(): a look-up that began before it may have read
   * the key as it was (live, or at its old limit), and is not cached.
   */
  let forgotten = 0;
  const lastTouched = new Map<string, number>();

  /** The live key whose hash (hex) this is, from the cache or the database. */
  async function databaseKey(hash: string): Promise<CachedKey['found']> {
    if (db === undefined) return null;
    const now = performance.now();
    const cached = cache.get(hash);
    if (cached !== undefined && cached.until > now) return cached.found;
    const asOf = forgotten;
    const key = await findLiveKeyByHash(db, hash);
    const found =
      key === undefined ? null : { tenantId: key.tenant_id, keyId: key.id, rateLimit: key.rate_limit_per_min === null ? null : Number(key.rate_limit_per_min) };
    // Only live keys are kept: an unknown one costs its sender a query each time, never us memory.
    if (found !== null && asOf === forgotten) {
      if (cache.size > 10_000) cache.clear();
      cache.set(hash, { found, until: now + KEY_CACHE_MS });
    } else if (found === null) cache.delete(hash);
    return found;
  }

  function used(keyId: string): void {
    const now = performance.now();
    if (now - (lastTouched.get(keyId) ?? -Infinity) < 60_000 || db === undefined) return;
    lastTouched.set(keyId, now);
    void touchApiKey(db, keyId).catch(() => {});
  }

  /**
   * Counts the request against its credential's limit; past it, 429 with
   * Retry-After. The answer says the limit and what is left of it.
   */
  async function limit(reply: FastifyReply, credential: string, perMin: number): Promise<void> {
    if (limits === undefined || perMin === Infinity) return;
    const taken = limits.limiter.take(credential, perMin);
    const d = taken instanceof Promise ? await taken : taken;
    reply.header('ratelimit-limit', d.limit);
    reply.header('ratelimit-remaining', d.remaining);
    if (d.allowed) return;
    reply.header('retry-after', d.retryAfterSeconds);
    throw rateLimited(d);
  }

  return {
    async admin(request) {
      const presented = presentedCredential(request);
      if (presented === undefined) throw unauthorized('this endpoint needs Authorization: Bearer <admin token>');
      if (!matchesAny(digest(presented), admin)) throw unauthorized('invalid admin token');
    },
    async client(request, reply) {
      const presented = presentedCredential(request);
      if (presented !== undefined && presented !== '') {
        const hash = keyHash(presented);
        const p = digestOfHash(hash);
        // The admin token is never limited.
        if (matchesAny(p, admin)) {
          tenants.set(request, { ...defaultTenant, admin: true });
          return;
        }
        // An API_KEYS key is counted by (half) its hash: the key itself is never stored.
        if (matchesAny(p, clients)) return limit(reply, `env:${hash.slice(0, 32)}`, limits?.perMin ?? Infinity);
        const key = await databaseKey(hash);
        if (key === null) throw unauthorized('invalid API key');
        tenants.set(request, { tenantId: key.tenantId, keyId: key.keyId, admin: false });
        used(key.keyId);
        return limit(reply, `key:${key.keyId}`, key.rateLimit ?? limits?.perMin ?? Infinity);
      }
      // Without a key (CLIENT_AUTH loopback or none) nothing is counted: there is no one to count.
      if (clientAuth.clientAuth === 'none') return;
      if (clientAuth.clientAuth === 'loopback') return assertLoopbackHost(request);
      throw unauthorized('this endpoint needs an API key (Authorization: Bearer <key>)');
    },
    forget(keyId) {
      forgotten++;
      for (const [hash, entry] of cache) if (entry.found?.keyId === keyId) cache.delete(hash);
    },
  };
}
