import type { FastifyError, FastifyInstance } from 'fastify';
import { AppError } from '../domain/errors.js';

/**
 * Every error leaves as `{"error":{"code","message",…}}` with a stable code.
 * Client mistakes are 4xx and never reach the database; anything unexpected
 * is logged and answered with a bare 500 that reveals nothing.
 */

/** Error codes for the fields whose rules the domain names (anything else: invalid_field). */
const FIELD_CODES: Record<string, string> = {
  user_id: 'invalid_user_id',
  order_id: 'invalid_order_id',
  energy_amount: 'energy_out_of_range',
  duration: 'unsupported_duration',
  receive_address: 'invalid_address',
  to: 'invalid_address',
  client_order_id: 'invalid_client_order_id',
  amount_sun: 'invalid_amount',
  amount: 'invalid_amount',
  currency: 'invalid_currency',
  pay_currency: 'invalid_currency',
  reference: 'invalid_reference',
  limit: 'invalid_limit',
  cursor: 'invalid_cursor',
  status: 'invalid_status',
  minutes: 'invalid_minutes',
  webhook_url: 'webhook_url_not_allowed',
  url: 'webhook_url_not_allowed',
};

const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_content_length',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
};

type ValidationItem = NonNullable<FastifyError['validation']>[number] & { schema?: unknown; parentSchema?: { description?: string } };

/** The values a union of constants (or an enum) accepts, when that is what failed. */
function acceptedValues(items: readonly ValidationItem[]): string[] | undefined {
  for (const item of items) {
    if (item.keyword === 'enum' && Array.isArray(item.schema)) return item.schema.map(String);
    if (item.keyword === 'anyOf' && Array.isArray(item.schema)) {
      const consts = (item.schema as Array<{ const?: unknown }>).map((b) => b.const).filter((c) => c !== undefined);
      if (consts.length > 0) return consts.map(String);
    }
  }
  return undefined;
}

/**
 * What a client is told a field must be: the accepted values, or the
 * schema's own description; never a regular expression or "must be equal
 * to constant".
 */
function requirement(items: readonly ValidationItem[]): string | undefined {
  const accepted = acceptedValues(items);
  if (accepted) return `must be one of ${accepted.join(', ')}`;
  const first = items[0]!;
  if (first.keyword === 'pattern' || first.keyword === 'anyOf' || first.keyword === 'const') {
    const described = first.parentSchema?.description;
    return described ? `must be ${described}` : 'is not in the accepted form';
  }
  return undefined;
}

function fromValidation(items: readonly ValidationItem[], context: string | undefined): { code: string; message: string } {
  const first = items[0]!;
  const where = context === 'body' ? '' : `${context ?? 'request'} `;
  if (first.keyword === 'additionalProperties') {
    const field = String((first.params as { additionalProperty?: unknown }).additionalProperty);
    return { code: 'unknown_field', message: `unknown ${where}field "${field}"` };
  }
  if (first.keyword === 'required') {
    const field = String((first.params as { missingProperty?: unknown }).missingProperty);
    return { code: 'missing_field', message: `${where}field "${field}" is required` };
  }
  const field = first.instancePath.split('/')[1] ?? '';
  const message = `${where}field "${field}" ${requirement(items) ?? first.message ?? 'is invalid'}`;
  if (field === 'energy_amount' && first.keyword === 'type') return { code: 'invalid_energy_amount', message };
  return { code: FIELD_CODES[field] ?? (field ? 'invalid_field' : 'invalid_request'), message: field ? message : `${where}${first.message}` };
}

export function registerErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof AppError) {
      return reply.code(err.status).send({ error: { code: err.code, message: err.message, ...err.details } });
    }
    if (err.validation) {
      return reply.code(400).send({ error: fromValidation(err.validation, err.validationContext) });
    }
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const code = FASTIFY_CODES[err.code] ?? (err instanceof SyntaxError ? 'invalid_json' : 'bad_request');
      const message =
        code === 'invalid_json'
          ? `request body is not valid JSON: ${err.message}`
          : code === 'unsupported_media_type'
            ? `send the body as JSON with Content-Type: application/json (got ${JSON.stringify(request.headers['content-type'] ?? '')})`
            : err.message;
      return reply.code(status).send({ error: { code, message } });
    }
    request.log.error({ err }, 'request failed');
    return reply.code(500).send({ error: { code: 'internal_error', message: 'internal error' } });
  });

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ error: { code: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` } });
  });
}
