import pino, { type Logger } from 'pino';
import type { LogLevel } from '../config.js';

export type { Logger };

/**
 * pino JSON logs. Anything that could carry a credential is redacted by path,
 * so a careless `log.info({ req })` or `{ config }` cannot leak one.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'headers["x-api-key"]',
  'adminToken',
  'apiKeys',
  '*.adminToken',
  '*.apiKeys',
  'privateKey',
  '*.privateKey',
  // The Telegram bot's secrets (config.bot): its token, its Joule key and token, the webhook secrets.
  'bot.token',
  'bot.jouleKey',
  'bot.jouleAdminToken',
  'bot.jouleWebhookSecret',
  'bot.webhookSecret',
  '*.bot.token',
  '*.bot.jouleKey',
  '*.bot.jouleAdminToken',
  '*.bot.jouleWebhookSecret',
  '*.bot.webhookSecret',
];

/** Where log lines go: a file descriptor (1, stdout, by default) or a file path. */
export function logDestination(dest: number | string = 1): pino.DestinationStream {
  return pino.destination({ dest, sync: true });
}

export function createLogger(level: LogLevel, destination: pino.DestinationStream = logDestination()): Logger {
  return pino({ level, base: { service: 'joule' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, destination);
}
