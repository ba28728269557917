import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from './config.js';
import type { Logger } from './observability/logger.js';

/**
 * The admin token is ADMIN_TOKEN when set. Otherwise Joule generates one on
 * first start and keeps it in `<DATA_DIR>/admin-token` (mode 0600), so it
 * survives restarts. The token itself is never logged: the log says where it is.
 */
export function resolveAdminToken(config: Config, log: Logger): string {
  if (config.adminToken !== undefined) return config.adminToken;
  const path = join(config.dataDir, 'admin-token');
  try {
    const saved = readFileSync(path, 'utf8').trim();
    if (saved.length >= 16) return saved;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(config.dataDir, { recursive: true });
  const token = randomBytes(24).toString('base64url');
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  log.warn({ path }, 'ADMIN_TOKEN is not set: generated an admin token and saved it to this file');
  return token;
}
