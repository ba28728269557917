import { sql, type Selectable } from 'kysely';
import { dbNow } from './clock.js';
import type { Db, DbHandle } from './connect.js';
import { isUniqueViolation } from './errors.js';
import type { ApiKeysTable, TenantsTable } from './schema.js';
import type { Owner } from '../domain/tenant.js';

export type Tenant = Selectable<TenantsTable>;
export type ApiKey = Selectable<ApiKeysTable>;

export async function insertTenant(db: DbHandle, t: { id: string; name: string }): Promise<Tenant> {
  const now = dbNow(db.dialect);
  return db.kysely
    .insertInto('tenants')
    .values({ id: t.id, name: t.name, created_at: now, updated_at: now })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export function findTenant(db: DbHandle, id: string): Promise<Tenant | undefined> {
  return db.kysely.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
}

export function listTenants(db: DbHandle): Promise<Tenant[]> {
  return db.kysely.selectFrom('tenants').selectAll().orderBy('created_at').orderBy('id').execute();
}

export async function insertApiKey(
  db: DbHandle,
  k: { id: string; tenantId: string; name: string; keyHash: string; keyPrefix: string; rateLimit?: number | null | undefined },
): Promise<ApiKey> {
  return db.kysely
    .insertInto('api_keys')
    .values({
      id: k.id,
      tenant_id: k.tenantId,
      name: k.name,
      key_hash: k.keyHash,
      key_prefix: k.keyPrefix,
      created_at: dbNow(db.dialect),
      rate_limit_per_min: k.rateLimit == null ? null : BigInt(k.rateLimit),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** The live (not revoked) key with this hash. */
export function findLiveKeyByHash(db: DbHandle, keyHash: string): Promise<ApiKey | undefined> {
  return db.kysely.selectFrom('api_keys').selectAll().where('key_hash', '=', keyHash).where('revoked_at', 'is', null).executeTakeFirst();
}

export function findApiKey(db: DbHandle, id: string): Promise<ApiKey | undefined> {
  return db.kysely.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
}

export function listApiKeys(db: DbHandle, tenantId?: string): Promise<ApiKey[]> {
  let q = db.kysely.selectFrom('api_keys').selectAll();
  if (tenantId !== undefined) q = q.where('tenant_id', '=', tenantId);
  return q.orderBy('created_at').orderBy('id').execute();
}

/** A new secret for a live key (the old one stops working at once); undefined when the key is unknown or revoked. */
export function rotateApiKey(db: DbHandle, id: string, keyHash: string, keyPrefix: string): Promise<ApiKey | undefined> {
  return db.kysely
    .updateTable('api_keys')
    .set({ key_hash: keyHash, key_prefix: keyPrefix, rotated_at: dbNow(db.dialect) })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
}

/** A live key's own rate limit (null: RATE_LIMIT_PER_MIN); undefined when the key is unknown or revoked. */
export function setApiKeyRateLimit(db: DbHandle, id: string, perMin: number | null): Promise<ApiKey | undefined> {
  return db.kysely
    .updateTable('api_keys')
    .set({ rate_limit_per_min: perMin === null ? null : BigInt(perMin) })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
}

/** Revokes a key (once: a revoked key keeps its first revocation time). */
export async function revokeApiKey(db: DbHandle, id: string): Promise<ApiKey | undefined> {
  await db.kysely.updateTable('api_keys').set({ revoked_at: dbNow(db.dialect) }).where('id', '=', id).where('revoked_at', 'is', null).execute();
  return findApiKey(db, id);
}

/** Records a use, at most once a minute per key: a list shows when a key was last used without a write per request. */
export async function touchApiKey(db: DbHandle, id: string): Promise<void> {
  const now = dbNow(db.dialect);
  await db.kysely
    .updateTable('api_keys')
    .set({ last_used_at: now })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', sql<bigint>`${now} - 60000`)]))
    .execute();
}

/** The users row of a non-default tenant's user, if it has one. */
export async function findTenantUser(db: DbHandle, tenantId: string, externalId: bigint): Promise<bigint | undefined> {
  const row = await db.kysely.selectFrom('tenant_users').select('user_id').where('tenant_id', '=', tenantId).where('external_id', '=', externalId).executeTakeFirst();
  return row?.user_id;
}

/** findTenantUser for many tenants' users in one statement: the rows of those that have one. */
export async function findTenantUsers(
  db: DbHandle,
  users: ReadonlyArray<{ tenantId: string; externalId: bigint }>,
): Promise<Array<{ tenant_id: string; external_id: bigint; user_id: bigint }>> {
  if (users.length === 0) return [];
  return db.kysely
    .selectFrom('tenant_users')
    .select(['tenant_id', 'external_id', 'user_id'])
    .where((eb) => eb(eb.refTuple('tenant_id', 'external_id'), 'in', users.map((u) => eb.tuple(u.tenantId, u.externalId))))
    .execute();
}

/** Whose these (below-zero) users rows are: tenant and the tenant's own id. */
export async function tenantUsersOf(db: DbHandle, userIds: readonly bigint[]): Promise<Map<bigint, Owner>> {
  const out = new Map<bigint, Owner>();
  if (userIds.length === 0) return out;
  const rows = await db.kysely.selectFrom('tenant_users').select(['user_id', 'tenant_id', 'external_id']).where('user_id', 'in', userIds).execute();
  for (const r of rows) out.set(r.user_id, { tenantId: r.tenant_id, externalId: r.external_id });
  return out;
}

/**
 * A non-default tenant's user's users row, made in the caller's
 * transaction: the next id below every one given so far. A transaction
 * made at the same time may pick the same id, or make the same user: then
 * one of the two fails on a unique key, all of it rolled back.
 */
export async function insertTenantUser(tx: DbHandle, tenantId: string, externalId: bigint): Promise<bigint> {
  const { lowest } = await tx.kysely
    .selectFrom('tenant_users')
    .select((eb) => eb.fn.min<bigint>('user_id').as('lowest'))
    .executeTakeFirstOrThrow();
  const userId = (lowest === null ? 0n : BigInt(lowest)) - 1n;
  const now = dbNow(tx.dialect);
  await tx.kysely.insertInto('users').values({ id: userId, balance_sun: 0n, created_at: now, updated_at: now }).execute();
  await tx.kysely.insertInto('tenant_users').values({ tenant_id: tenantId, external_id: externalId, user_id: userId, created_at: now }).execute();
  return userId;
}

/**
 * Gives a non-default tenant's user its users row (insertTenantUser). Two
 * first calls at once for different users may pick the same id: the loser's
 * insert fails on the unique id and it picks again; two for the same user:
 * the loser reads the winner's.
 */
export async function createTenantUser(db: Db, tenantId: string, externalId: bigint): Promise<bigint> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const existing = await findTenantUser(db, tenantId, externalId);
    if (existing !== undefined) return existing;
    try {
      // Both rows or neither: a lost race leaves nothing behind.
      return await db.transaction((tx) => insertTenantUser(tx, tenantId, externalId));
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
  }
  throw new Error(`no users row for ${tenantId}/${externalId} after 100 attempts`);
}
