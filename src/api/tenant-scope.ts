import type { FastifyRequest } from 'fastify';
import { invalid } from '../domain/errors.js';
import { DEFAULT_TENANT, type Owner } from '../domain/tenant.js';
import { ownersOf, userRowOf } from '../use-cases/tenants.js';
import { tenantOf } from './auth.js';
import type { ApiContext } from './context.js';

/** Whose owner a row shows: its tenant and the tenant's own user id. */

/**
 * The tenant a request acts in: its own, or with the admin token the one
 * `tenant_id` names (the default tenant when none). A key never names
 * another tenant.
 */
export function tenantIn(request: FastifyRequest, asked?: string): string {
  const t = tenantOf(request);
  if (asked === undefined || asked === t.tenantId) return t.admin && asked !== undefined ? asked : t.tenantId;
  if (t.admin) return asked;
  throw invalid('tenant_not_allowed', 'tenant_id names another tenant: a key speaks only for its own');
}

/**
 * The users row of the user a request names, in its tenant (`create`: made
 * when missing; else undefined for a user the tenant has never had).
 */
export function userRowFor(ctx: ApiContext, request: FastifyRequest, externalId: bigint, create: boolean, asked?: string): Promise<bigint | undefined> {
  return userRowOf(ctx.db, tenantIn(request, asked), externalId, create);
}

/** Whether the request may see a row of this users row: its tenant's, or any with the admin token. */
export async function maySee(ctx: ApiContext, request: FastifyRequest, userRow: bigint): Promise<boolean> {
  const t = tenantOf(request);
  if (t.admin) return true;
  if (userRow >= 0n) return t.tenantId === DEFAULT_TENANT;
  return (await ownersOf(ctx.db, [userRow])).get(userRow)!.tenantId === t.tenantId;
}

/** The owners of these users rows, for the views. */
export const ownersFor = (ctx: ApiContext, userRows: readonly bigint[]): Promise<Map<bigint, Owner>> => ownersOf(ctx.db, userRows);
