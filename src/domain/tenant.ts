/**
 * Tenants: the businesses on top of Joule, each with its own API keys,
 * users, orders and webhooks. `default` owns everything from before tenants
 * and speaks through API_KEYS from the environment (and the admin token).
 */
export const DEFAULT_TENANT = 'default';

/** Who a request speaks for: the tenant, and the database key it presented (none: API_KEYS, the admin token, or no keys). */
export interface TenantContext {
  tenantId: string;
  keyId: string | null;
  /** The admin token: it sees every tenant's orders and users (and may name one with tenant_id). */
  admin: boolean;
}

/** Whose a users row is, as the API and webhooks show it: the tenant and the tenant's own user id. */
export interface Owner {
  tenantId: string;
  externalId: bigint;
}

export const defaultTenant: TenantContext = { tenantId: DEFAULT_TENANT, keyId: null, admin: false };

/** Tenant ids given out by Joule, or named by an admin: short and plain. */
export const TENANT_ID_PATTERN = '^[a-z0-9][a-z0-9_-]{0,62}$';
export const isTenantId = (s: string): boolean => new RegExp(TENANT_ID_PATTERN).test(s);

/** A client's key (idempotency key, deposit reference) as its tenant sent it: stored behind `<tenant> ` for a non-default tenant; null for a flash-rent order's, which no client sent. */
export function clientKey(stored: string | null): string | null {
  if (stored === null) return null;
  const space = stored.indexOf(' ');
  if (space < 0) return stored;
  return stored.startsWith('flash ') ? null : stored.slice(space + 1);
}
