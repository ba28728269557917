import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
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
    if (saved.length >= 16) {
      ownerOnly(path, 0o600, log);
      return saved;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const token = randomBytes(24).toString('base64url');
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  log.warn({ path }, 'ADMIN_TOKEN is not set: generated an admin token and saved it to this file');
  return token;
}

/**
 * A token file others can read is fixed (owner-only) with a warning; one that
 * cannot be fixed stops start-up rather than serve with a leaked credential.
 */
function ownerOnly(path: string, mode: number, log: Logger): void {
  const current = statSync(path).mode & 0o777;
  if ((current & 0o077) === 0) return;
  try {
    chmodSync(path, mode);
  } catch (err) {
    throw new Error(`${path} is readable by others (mode ${current.toString(8)}) and cannot be made owner-only: ${(err as Error).message}`);
  }
  log.warn({ path, was: current.toString(8), now: mode.toString(8) }, 'the admin token file was readable by others; made it owner-only');
}
