import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
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

export interface Guards {
  /** Admin endpoints: always the admin token. */
  admin(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  /** Client endpoints: an API key when API_KEYS is set (the admin token works too); open otherwise. */
  client(request: FastifyRequest, reply: FastifyReply): Promise<void>;
}

export function createGuards(adminToken: string, apiKeys: readonly string[]): Guards {
  const admin = [digest(adminToken)];
  const clients = [...admin, ...apiKeys.map(digest)];
  return {
    async admin(request) {
      const presented = presentedCredential(request);
      if (presented === undefined) throw unauthorized('this endpoint needs Authorization: Bearer <admin token>');
      if (!matchesAny(presented, admin)) throw unauthorized('invalid admin token');
    },
    async client(request) {
      if (apiKeys.length === 0) return;
      const presented = presentedCredential(request);
      if (presented === undefined) throw unauthorized('this endpoint needs an API key (Authorization: Bearer <key>)');
      if (!matchesAny(presented, clients)) throw unauthorized('invalid API key');
    },
  };
}
