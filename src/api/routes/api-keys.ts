import { Type, type Static } from '@sinclair/typebox';
import { listApiKeys, listTenants, type ApiKey } from '../../db/tenants.js';
import { MAX_RATE_LIMIT } from '../../config.js';
import { WEBHOOK_URL_MAX_LENGTH } from '../../domain/webhook-url.js';
import { createApiKey, revokeKey, rotateKey, setKeyRateLimit } from '../../use-cases/tenants.js';
import type { ApiContext } from '../context.js';
import { ErrorBody, Nullable, Time } from '../schemas.js';
import type { TypedApp } from '../typed-app.js';
import { iso } from '../views.js';


export const ApiKeyBody = Type.Object(
  {
    id: Type.String(),
    tenant_id: Type.String({ description: 'the tenant it speaks for: its users, orders, balances and saved addresses' }),
    name: Type.String(),
    key_prefix: Type.String({ description: "the key's first characters, to tell keys apart (the key itself is never shown again)" }),
    created_at: Type.String({ format: 'date-time' }),
    rotated_at: Time('when its secret was last replaced'),
    last_used_at: Time('when it was last used, to the minute'),
    revoked_at: Time('when it was revoked: it no longer works'),
    rate_limit: Nullable(Type.Integer({ description: "the key's own limit in requests a minute; null: RATE_LIMIT_PER_MIN" })),
  },
  { $id: 'ApiKey' },
);
const RateLimit = Nullable(
  Type.Integer({ minimum: 1, maximum: MAX_RATE_LIMIT, description: `requests a minute, 1 to ${MAX_RATE_LIMIT}; null: RATE_LIMIT_PER_MIN` }),
);
const IssuedKeyBody = Type.Intersect([ApiKeyBody, Type.Object({ key: Type.String({ description: 'the key: shown this once, only its hash is kept' }) })]);
const NewKeyBody = Type.Intersect([
  ApiKeyBody,
  Type.Object({
    key: Type.String({ description: 'the key: shown this once, only its hash is kept' }),
    signing_secret: Type.Union([Type.String(), Type.Null()], { description: "with webhook_url: the new tenant's webhook signing secret, shown this once; otherwise null" }),
  }),
]);

function keyView(k: ApiKey): Static<typeof ApiKeyBody> {
  return {
    id: k.id,
    tenant_id: k.tenant_id,
    name: k.name,
    key_prefix: k.key_prefix,
    created_at: iso(k.created_at),
    rotated_at: k.rotated_at === null ? null : iso(k.rotated_at),
    last_used_at: k.last_used_at === null ? null : iso(k.last_used_at),
    revoked_at: k.revoked_at === null ? null : iso(k.revoked_at),
    rate_limit: k.rate_limit_per_min === null ? null : Number(k.rate_limit_per_min),
  };
}

export const TenantBody = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    live_keys: Type.Integer({ description: 'keys not revoked' }),
    webhook_url: Type.Union([Type.String(), Type.Null()], { description: 'where its webhook events go (never its signing secret)' }),
    created_at: Type.String({ format: 'date-time' }),
  },
  { $id: 'Tenant' },
);

const KeyParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

/** Tenants and their API keys, kept in the database (admin token). */
export function apiKeyRoutes(app: TypedApp, ctx: ApiContext): void {
  const admin = { preHandler: ctx.guards.admin };
  const tags = ['tenants', 'admin'];

  app.post(
    '/api/admin/api-keys',
    {
      ...admin,
      schema: {
        summary: 'Issue an API key: for a new tenant, or another key of an existing one (tenant_id)',
        tags,
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 64, pattern: '^[^\\x00-\\x1f\\x7f]+$', description: "who it is for (a bot, a shop); a new tenant is named after it" }),
            tenant_id: Type.Optional(Type.String({ maxLength: 64, description: 'add the key to this tenant instead of making a new one' })),
            rate_limit: Type.Optional(RateLimit),
            webhook_url: Type.Optional(
              Type.String({ minLength: 1, maxLength: WEBHOOK_URL_MAX_LENGTH, description: "a new tenant's webhook URL (http or https; not a loopback or private address unless WEBHOOK_ALLOW_PRIVATE=true)" }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 201: NewKeyBody, '4xx': ErrorBody },
      },
    },
    async (request, reply) => {
      const { webhook_url: url } = request.body;
      const { apiKey, key, signingSecret } = await createApiKey(ctx.db, {
        name: request.body.name,
        tenantId: request.body.tenant_id,
        rateLimit: request.body.rate_limit,
        webhook: url === undefined ? undefined : { url, allowPrivate: ctx.config.webhooks.allowPrivate },
      });
      request.log.info({ keyId: apiKey.id, tenant: apiKey.tenant_id, prefix: apiKey.key_prefix, webhook: url !== undefined }, 'API key issued');
      return reply.code(201).send({ ...keyView(apiKey), key, signing_secret: signingSecret });
    },
  );

  app.get(
    '/api/admin/api-keys',
    {
      ...admin,
      schema: {
        summary: 'Every API key (never the key itself), oldest first',
        tags,
        querystring: Type.Object({ tenant_id: Type.Optional(Type.String({ maxLength: 64 })) }, { additionalProperties: false }),
        response: { 200: Type.Object({ api_keys: Type.Array(ApiKeyBody) }), '4xx': ErrorBody },
      },
    },
    async (request) => ({ api_keys: (await listApiKeys(ctx.db, request.query.tenant_id)).map(keyView) }),
  );

  app.post(
    '/api/admin/api-keys/:id/rotate',
    {
      ...admin,
      schema: { summary: 'A new secret for the key (201); the old one stops working at once', tags, params: KeyParams, response: { 201: IssuedKeyBody, '4xx': ErrorBody } },
    },
    async (request, reply) => {
      const { apiKey, key } = await rotateKey(ctx.db, request.params.id);
      ctx.guards.forget(apiKey.id);
      request.log.info({ keyId: apiKey.id, tenant: apiKey.tenant_id, prefix: apiKey.key_prefix }, 'API key rotated');
      return reply.code(201).send({ ...keyView(apiKey), key });
    },
  );

  app.patch(
    '/api/admin/api-keys/:id',
    {
      ...admin,
      schema: {
        summary: "Change a live key's rate limit (at once here, within 5 s in other processes)",
        tags,
        params: KeyParams,
        body: Type.Object({ rate_limit: RateLimit }, { additionalProperties: false }),
        response: { 200: ApiKeyBody, '4xx': ErrorBody },
      },
    },
    async (request) => {
      const apiKey = await setKeyRateLimit(ctx.db, request.params.id, request.body.rate_limit);
      ctx.guards.forget(apiKey.id);
      request.log.info({ keyId: apiKey.id, tenant: apiKey.tenant_id, rateLimit: request.body.rate_limit }, 'API key rate limit changed');
      return keyView(apiKey);
    },
  );

  app.delete(
    '/api/admin/api-keys/:id',
    {
      ...admin,
      schema: { summary: 'Revoke the key: it stops working (within 5 s in other processes)', tags, params: KeyParams, response: { 200: ApiKeyBody, '4xx': ErrorBody } },
    },
    async (request) => {
      const apiKey = await revokeKey(ctx.db, request.params.id);
      ctx.guards.forget(apiKey.id);
      request.log.info({ keyId: apiKey.id, tenant: apiKey.tenant_id }, 'API key revoked');
      return keyView(apiKey);
    },
  );

  app.get(
    '/api/admin/tenants',
    {
      ...admin,
      schema: {
        summary: 'Every tenant, with how many live keys it has',
        tags,
        response: { 200: Type.Object({ tenants: Type.Array(TenantBody) }) },
      },
    },
    async () => {
      const [tenants, keys] = await Promise.all([listTenants(ctx.db), listApiKeys(ctx.db)]);
      return {
        tenants: tenants.map((t) => ({
          id: t.id,
          name: t.name,
          live_keys: keys.filter((k) => k.tenant_id === t.id && k.revoked_at === null).length,
          webhook_url: t.webhook_url,
          created_at: iso(t.created_at),
        })),
      };
    },
  );
}
