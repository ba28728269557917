import { Type, type Static } from '@sinclair/typebox';
import { findWebhookEvent, listWebhookAttempts, listWebhookEvents, type WebhookAttempt, type WebhookEvent } from '../../db/webhook-outbox.js';
import { notFound } from '../../domain/errors.js';
import { WEBHOOK_DELIVERY_STATUSES, WEBHOOK_EVENT_TYPES } from '../../domain/webhook-events.js';
import { WEBHOOK_URL_MAX_LENGTH } from '../../domain/webhook-url.js';
import { redeliver, rotateSigningSecret, setWebhook } from '../../use-cases/webhooks.js';
import type { ApiContext } from '../context.js';
import { ErrorBody, Limit, Nullable, Time, Words } from '../schemas.js';
import type { TypedApp } from '../typed-app.js';
import { iso } from '../views.js';

const isoOrNull = (ms: bigint | null) => (ms === null ? null : iso(ms));
const num = (n: bigint | null) => (n === null ? null : Number(n));

const TenantParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
const DeliveryParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

const WebhookUrl = Type.String({ minLength: 1, maxLength: WEBHOOK_URL_MAX_LENGTH, description: 'an http(s) URL; not a loopback or private address unless WEBHOOK_ALLOW_PRIVATE=true' });

const TenantWebhookBody = Type.Object({
  tenant_id: Type.String(),
  webhook_url: Nullable(Type.String({ description: 'where its events are POSTed; null: no events are recorded' })),
  signing_secret: Nullable(Type.String({ description: 'the key of its Joule-Signature HMAC, shown this once: made with its first webhook URL (or on rotation); null when it keeps the one it had' })),
});

const DeliveryBody = Type.Object(
  {
    id: Type.String({ description: 'the event id: the payload\'s id and the Joule-Event-Id header, the same at every attempt' }),
    tenant_id: Type.String(),
    type: Words(WEBHOOK_EVENT_TYPES),
    status: Words(WEBHOOK_DELIVERY_STATUSES, { description: 'pending: to be sent (again); delivered: a 2xx came back; failed: none within 24 h, given up' }),
    attempts: Type.Integer({ description: 'requests made since the event (or its last redelivery)' }),
    created_at: Type.String({ format: 'date-time' }),
    next_attempt_at: Time('when a pending delivery is tried next'),
    deadline_at: Type.String({ format: 'date-time', description: 'a failure after this gives up' }),
    last_attempt_at: Time('when the last request started'),
    last_status_code: Nullable(Type.Integer({ description: 'what the receiver last answered; null: no answer' })),
    last_error: Nullable(Type.String({ description: 'why the last request got no answer (timeout, refused, private address)' })),
    last_duration_ms: Nullable(Type.Integer()),
    delivered_at: Time('when a 2xx came back'),
    payload: Type.Object({}, { additionalProperties: true, description: 'the JSON body sent: {id, type, created_at, data}' }),
  },
  { $id: 'WebhookDelivery' },
);

const AttemptBody = Type.Object({
  url: Type.String(),
  worker: Type.String(),
  started_at: Type.String({ format: 'date-time' }),
  duration_ms: Type.Integer(),
  status_code: Nullable(Type.Integer()),
  error: Nullable(Type.String()),
});

function deliveryView(e: WebhookEvent): Static<typeof DeliveryBody> {
  return {
    id: e.id,
    tenant_id: e.tenant_id,
    type: e.type,
    status: e.status,
    attempts: Number(e.attempts),
    created_at: iso(e.created_at),
    next_attempt_at: isoOrNull(e.next_attempt_at),
    deadline_at: iso(e.deadline_at),
    last_attempt_at: isoOrNull(e.last_attempt_at),
    last_status_code: num(e.last_status_code),
    last_error: e.last_error,
    last_duration_ms: num(e.last_duration_ms),
    delivered_at: isoOrNull(e.delivered_at),
    payload: JSON.parse(e.payload) as Record<string, unknown>,
  };
}

function attemptView(a: WebhookAttempt): Static<typeof AttemptBody> {
  return {
    url: a.url,
    worker: a.worker,
    started_at: iso(a.started_at),
    duration_ms: Number(a.duration_ms),
    status_code: num(a.status_code),
    error: a.error,
  };
}

/** Tenants' webhook URLs and signing secrets, and the delivery log (admin token). */
export function webhookRoutes(app: TypedApp, ctx: ApiContext): void {
  const admin = { preHandler: ctx.guards.admin };
  const tags = ['webhooks', 'admin'];
  const allowPrivate = ctx.config.webhooks.allowPrivate;

  app.put(
    '/api/admin/tenants/:id/webhook',
    {
      ...admin,
      schema: {
        summary: "Set (or, with null, clear) the tenant's webhook URL; its first URL brings its signing secret, shown once",
        tags,
        params: TenantParams,
        body: Type.Object({ url: Nullable(WebhookUrl) }, { additionalProperties: false }),
        response: { 200: TenantWebhookBody, '4xx': ErrorBody },
      },
    },
    async (request) => {
      const { tenant, signingSecret } = await setWebhook(ctx.db, request.params.id, request.body.url, allowPrivate);
      request.log.info({ tenant: tenant.id, webhook: tenant.webhook_url !== null, secretMade: signingSecret !== null }, 'webhook URL set');
      return { tenant_id: tenant.id, webhook_url: tenant.webhook_url, signing_secret: signingSecret };
    },
  );

  app.post(
    '/api/admin/tenants/:id/signing-secret',
    {
      ...admin,
      schema: {
        summary: 'A new signing secret for the tenant (201, shown once); the old one stops signing at once',
        tags,
        params: TenantParams,
        response: { 201: TenantWebhookBody, '4xx': ErrorBody },
      },
    },
    async (request, reply) => {
      const { tenant, signingSecret } = await rotateSigningSecret(ctx.db, request.params.id);
      request.log.info({ tenant: tenant.id }, 'webhook signing secret rotated');
      return reply.code(201).send({ tenant_id: tenant.id, webhook_url: tenant.webhook_url, signing_secret: signingSecret });
    },
  );

  app.get(
    '/api/admin/webhooks/deliveries',
    {
      ...admin,
      schema: {
        summary: 'The delivery log: webhook events and what became of each, newest first',
        tags,
        querystring: Type.Object(
          {
            tenant_id: Type.Optional(Type.String({ maxLength: 64 })),
            status: Type.Optional(Words(WEBHOOK_DELIVERY_STATUSES)),
            type: Type.Optional(Words(WEBHOOK_EVENT_TYPES)),
            before: Type.Optional(Type.String({ maxLength: 64, description: 'next_before of the previous page' })),
            limit: Type.Optional(Limit),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ deliveries: Type.Array(DeliveryBody), next_before: Nullable(Type.String()) }), '4xx': ErrorBody },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const rows = await listWebhookEvents(ctx.db, { tenantId: request.query.tenant_id, status: request.query.status, type: request.query.type, before: request.query.before, limit: limit + 1 });
      const page = rows.slice(0, limit);
      return { deliveries: page.map(deliveryView), next_before: rows.length > limit ? page[page.length - 1]!.id : null };
    },
  );

  app.get(
    '/api/admin/webhooks/deliveries/:id',
    {
      ...admin,
      schema: {
        summary: 'One delivery, with every request made for it',
        tags,
        params: DeliveryParams,
        response: { 200: Type.Intersect([DeliveryBody, Type.Object({ attempt_log: Type.Array(AttemptBody) })]), '4xx': ErrorBody },
      },
    },
    async (request) => {
      const event = await findWebhookEvent(ctx.db, request.params.id);
      if (event === undefined) throw notFound('webhook delivery');
      return { ...deliveryView(event), attempt_log: (await listWebhookAttempts(ctx.db, event.id)).map(attemptView) };
    },
  );

  app.post(
    '/api/admin/webhooks/deliveries/:id/redeliver',
    {
      ...admin,
      schema: {
        summary: 'Send the event again now (202; same event id), whatever became of it, retried for 24 h from now',
        tags,
        params: DeliveryParams,
        response: { 202: DeliveryBody, '4xx': ErrorBody },
      },
    },
    async (request, reply) => {
      const event = await redeliver(ctx.db, request.params.id);
      request.log.info({ eventId: event.id, tenant: event.tenant_id, type: event.type }, 'webhook redelivery asked');
      return reply.code(202).send(deliveryView(event));
    },
  );
}
