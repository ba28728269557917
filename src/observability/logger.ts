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
];

export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino({ level, base: { service: 'joule' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, destination);
}
