import { randomBytes } from 'node:crypto';
import type { DbHandle } from '../db/connect.js';
import { redeliverWebhookEvent, setSigningSecret, setTenantWebhook, type WebhookEvent } from '../db/webhook-outbox.js';
import type { Tenant } from '../db/tenants.js';
import { AppError, notFound } from '../domain/errors.js';
import { webhookUrlRefusal } from '../domain/webhook-url.js';

/** A new signing secret: `whsec_` and 32 random bytes in hex. Kept as it is (an HMAC needs it), shown once. */
export const newSigningSecret = (): string => `whsec_${randomBytes(32).toString('hex')}`;

/** 400 webhook_url_not_allowed unless the URL may receive webhooks. */
export function checkWebhookUrl(url: string, allowPrivate: boolean): void {
  const refusal = webhookUrlRefusal(url, allowPrivate);
  if (refusal !== undefined) throw new AppError('webhook_url_not_allowed', 400, `webhook_url ${refusal}`);
}

export interface TenantWebhook {
  tenant: Tenant;
  /** Made now (the tenant had none): shown this once. Null when the tenant keeps the one it had. */
  signingSecret: string | null;
}

/**
 * Sets a tenant's webhook URL (null: clears it; events from then on are
 * not recorded, and those pending give up). The first URL brings a signing
 * secret, made here and shown once; a later URL keeps the secret.
 */
export async function setWebhook(db: DbHandle, tenantId: string, url: string | null, allowPrivate: boolean): Promise<TenantWebhook> {
  if (url !== null) checkWebhookUrl(url, allowPrivate);
  const candidate = newSigningSecret();
  const tenant = await setTenantWebhook(db, tenantId, url, url === null ? null : candidate);
  if (tenant === undefined) throw notFound('tenant');
  return { tenant, signingSecret: tenant.signing_secret === candidate ? candidate : null };
}

/** A new signing secret for the tenant; the old one stops signing at once (deliveries still pending are signed with the new one). */
export async function rotateSigningSecret(db: DbHandle, tenantId: string): Promise<{ tenant: Tenant; signingSecret: string }> {
  const signingSecret = newSigningSecret();
  const tenant = await setSigningSecret(db, tenantId, signingSecret);
  if (tenant === undefined) throw notFound('tenant');
  return { tenant, signingSecret };
}

/** Sends the event again now, whatever became of it, with a new 24 h retry window. */
export async function redeliver(db: DbHandle, eventId: string): Promise<WebhookEvent> {
  const event = await redeliverWebhookEvent(db, eventId);
  if (event === undefined) throw notFound('webhook delivery');
  return event;
}
