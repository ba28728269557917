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
  client_order_id: 'invalid_client_order_id',
  amount_sun: 'invalid_amount',
  reference: 'invalid_reference',
  limit: 'invalid_limit',
  cursor: 'invalid_cursor',
  status: 'invalid_status',
  minutes: 'invalid_minutes',
};

const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_content_length',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
};

type ValidationItem = NonNullable<FastifyError['validation']>[number];

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
  const message = `${where}field "${field}" ${first.message ?? 'is invalid'}`;
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
      const message = code === 'invalid_json' ? `request body is not valid JSON: ${err.message}` : err.message;
      return reply.code(status).send({ error: { code, message } });
    }
    request.log.error({ err }, 'request failed');
    return reply.code(500).send({ error: { code: 'internal_error', message: 'internal error' } });
  });

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ error: { code: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` } });
  });
}
