import { hash as digestOf, randomBytes } from 'node:crypto';
import type { Db } from '../db/connect.js';
import { uuidv7 } from '../db/ids.js';
import {
  createTenantUser,
  findTenant,
  findTenantUsers,
  insertApiKey,
  insertTenant,
  revokeApiKey,
  rotateApiKey,
  setApiKeyRateLimit,
  tenantUsersOf,
  type ApiKey,
  type Tenant,
} from '../db/tenants.js';
import { invalid, notFound } from '../domain/errors.js';
import { checkWebhookUrl, setWebhook } from './webhooks.js';
import { clientKey, DEFAULT_TENANT, type Owner } from '../domain/tenant.js';

/** What an API key is stored as: its sha256, hex (api/auth.ts hashes every credential presented so). */
export const keyHash = (key: string) => digestOf('sha256', key, 'hex');

/** A new secret: `jk_` and 32 random bytes in hex (what to tell keys apart by is its first 11 characters). */
function newKey(): { key: string; hash: string; prefix: string } {
  const key = `jk_${randomBytes(32).toString('hex')}`;
  return { key, hash: keyHash(key), prefix: key.slice(0, 11) };
}

export interface CreatedKey {
  apiKey: ApiKey;
  tenant: Tenant;
  /** Shown once: only its hash is kept. */
  key: string;
  /** With a webhook URL for a new tenant: its signing secret, shown once. */
  signingSecret: string | null;
}

/**
 * An API key, with a new tenant of its own unless `tenantId` names an
 * existing one (another key for the same business, e.g. to rotate without
 * downtime).
 */
export async function createApiKey(
  db: Db,
  input: { name: string; tenantId?: string | undefined; rateLimit?: number | null | undefined; webhook?: { url: string; allowPrivate: boolean } | undefined },
): Promise<CreatedKey> {
  const { key, hash, prefix } = newKey();
  if (input.webhook !== undefined && input.tenantId !== undefined) {
    throw invalid('invalid_field', 'webhook_url is for a new tenant; set an existing tenant\'s with PUT /api/admin/tenants/:id/webhook');
  }
  if (input.webhook !== undefined) checkWebhookUrl(input.webhook.url, input.webhook.allowPrivate);
  return db.transaction(async (tx) => {
    let tenant: Tenant;
    let signingSecret: string | null = null;
    if (input.tenantId !== undefined) {
      const found = await findTenant(tx, input.tenantId);
      if (found === undefined) throw notFound('tenant');
      tenant = found;
    } else {
      tenant = await insertTenant(tx, { id: `t_${uuidv7().replace(/-/g, '').slice(-16)}`, name: input.name });
      if (input.webhook !== undefined) ({ tenant, signingSecret } = await setWebhook(tx, tenant.id, input.webhook.url, input.webhook.allowPrivate));
    }
    const apiKey = await insertApiKey(tx, { id: uuidv7(), tenantId: tenant.id, name: input.name, keyHash: hash, keyPrefix: prefix, rateLimit: input.rateLimit });
    return { apiKey, tenant, key, signingSecret };
  });
}

/** A new secret for the key; the old one stops working at once. */
export async function rotateKey(db: Db, id: string): Promise<{ apiKey: ApiKey; key: string }> {
  const { key, hash, prefix } = newKey();
  const apiKey = await rotateApiKey(db, id, hash, prefix);
  if (apiKey === undefined) throw notFound('live API key');
  return { apiKey, key };
}

/** The key's own rate limit in requests a minute; null: RATE_LIMIT_PER_MIN. */
export async function setKeyRateLimit(db: Db, id: string, perMin: number | null): Promise<ApiKey> {
  const apiKey = await setApiKeyRateLimit(db, id, perMin);
  if (apiKey === undefined) throw notFound('live API key');
  return apiKey;
}

export async function revokeKey(db: Db, id: string): Promise<ApiKey> {
  const apiKey = await revokeApiKey(db, id);
  if (apiKey === undefined) throw notFound('API key');
  return apiKey;
}

/** Tenant users' rows a process remembers per database at most: about 220 bytes each, kept both ways. */
const MAX_REMEMBERED_USERS = 50_000;

/** Tenants' users looked up in one statement at most (two parameters each). */
const MAX_LOOKUP = 500;

/** A tenant's user as TenantUserRows keys it: the id's digits end at the first space, whatever the tenant's id holds. */
const userKey = (tenantId: string, externalId: bigint): string => `${externalId} ${tenantId}`;

/** An order's request waiting for its user's row. */
interface Waiting {
  resolve(row: bigint | undefined): void;
  reject(err: unknown): void;
}

/**
 * The users rows of tenants' users, per database. An order of a tenant's
 * user needs its row before it is placed: looked up one by one, each order
 * waited a round trip of its own, and the orders of one turn reached
 * placement in turns of their own, in small batches (a tenant's orders
 * were placed at less than half the default tenant's rate on PostgreSQL;
 * docs/BENCHMARKS.md). So the users asked for in one turn of the event loop
 * are looked up together, in one statement, and their orders go on
 * together. A row never changes once given (nothing updates or deletes
 * tenant_users), so the rows found are remembered, both ways: a tenant's
 * poll of its order's status then costs no look-up of whose the order is
 * (ownersOf). A user not found is not remembered, as another process may
 * give it a row at any moment.
 */
class TenantUserRows {
  private readonly remembered = new Map<string, bigint>();
  /** The same rows' owners, read the other way. */
  private readonly owners = new Map<bigint, Owner>();
  private asked = new Map<string, { tenantId: string; externalId: bigint; waiting: Waiting[] }>();

  constructor(private readonly db: Db) {}

  find(tenantId: string, externalId: bigint): Promise<bigint | undefined> {
    const key = userKey(tenantId, externalId);
    const known = this.remembered.get(key);
    if (known !== undefined) return Promise.resolve(known);
    return new Promise((resolve, reject) => {
      const entry = this.asked.get(key);
      if (entry !== undefined) entry.waiting.push({ resolve, reject });
      else {
        if (this.asked.size === 0) setImmediate(() => void this.lookUp());
        this.asked.set(key, { tenantId, externalId, waiting: [{ resolve, reject }] });
      }
    });
  }

  remember(tenantId: string, externalId: bigint, row: bigint): void {
    if (this.remembered.size >= MAX_REMEMBERED_USERS) {
      this.remembered.clear();
      this.owners.clear();
    }
    this.remembered.set(userKey(tenantId, externalId), row);
    this.owners.set(row, { tenantId, externalId });
  }

  ownerOf(row: bigint): Owner | undefined {
    return this.owners.get(row);
  }

  private async lookUp(): Promise<void> {
    const asked = [...this.asked.values()];
    this.asked = new Map();
    for (let at = 0; at < asked.length; at += MAX_LOOKUP) {
      const part = asked.slice(at, at + MAX_LOOKUP);
      try {
        const rows = await findTenantUsers(this.db, part);
        const found = new Map(rows.map((r) => [userKey(r.tenant_id, r.external_id), r.user_id]));
        for (const { tenantId, externalId, waiting } of part) {
          const row = found.get(userKey(tenantId, externalId));
          if (row !== undefined) this.remember(tenantId, externalId, row);
          for (const w of waiting) w.resolve(row);
        }
      } catch (err) {
        for (const { waiting } of part) for (const w of waiting) w.reject(err);
      }
    }
  }
}

const tenantUserRows = new WeakMap<Db, TenantUserRows>();

function tenantUserRowsOf(db: Db): TenantUserRows {
  let rows = tenantUserRows.get(db);
  if (rows === undefined) tenantUserRows.set(db, (rows = new TenantUserRows(db)));
  return rows;
}

/**
 * The users row that holds a tenant's user: for the default tenant, the
 * row with the client's own id (as before tenants); for another, the row
 * mapped from it (`create`: made when missing, else undefined).
 */
export async function userRowOf(db: Db, tenantId: string, externalId: bigint, create: boolean): Promise<bigint | undefined> {
  if (tenantId === DEFAULT_TENANT) return externalId;
  const rows = tenantUserRowsOf(db);
  const found = await rows.find(tenantId, externalId);
  if (found !== undefined || !create) return found;
  const made = await createTenantUser(db, tenantId, externalId);
  rows.remember(tenantId, externalId, made);
  return made;
}

/**
 * Whose a users row is: the default tenant's own ids are at zero and above,
 * the others' below, looked up unless remembered (TenantUserRows).
 */
export async function ownersOf(db: Db, userRows: readonly bigint[]): Promise<Map<bigint, Owner>> {
  const rows = tenantUserRowsOf(db);
  const out = new Map<bigint, Owner>();
  const unknown = [...new Set(userRows.filter((id) => id < 0n && rows.ownerOf(id) === undefined))];
  const looked = await tenantUsersOf(db, unknown);
  for (const [row, owner] of looked) rows.remember(owner.tenantId, owner.externalId, row);
  for (const id of userRows) {
    out.set(id, id >= 0n ? { tenantId: DEFAULT_TENANT, externalId: id } : (rows.ownerOf(id) ?? looked.get(id) ?? { tenantId: '', externalId: id }));
  }
  return out;
}

/**
 * A client's key (an idempotency key, a client_order_id, a deposit
 * reference) as stored: the default tenant's as sent (as before tenants),
 * another tenant's behind its id and a space, which no client's key may
 * hold: two tenants' keys never meet, and one cannot block another's.
 */
export const scopedKey = <K extends string | null>(tenantId: string, key: K): K => (key === null || tenantId === DEFAULT_TENANT ? key : (`${tenantId} ${key}` as K));

export { clientKey };
