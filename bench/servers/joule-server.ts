// Joule's real API (role `api`, built by createJoule) on a fresh SQLite file,
// with users pre-funded, for the order-creation benchmark. Prints {"port":N}
// on its first stdout line; logs (pino JSON at LOG_LEVEL, default info) go to
// fd 2, or with BENCH_LOG_FILE=1 to a file, as the real process's log does.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createLogger, logDestination } from '../../src/observability/logger.js';
import { benchJoule, serve } from '../lib/bench-joule.js';
import { seedUsers } from './seed.js';

const level = (process.env.LOG_LEVEL ?? 'info') as 'info';
// API_KEYS and RATE_LIMIT_PER_MIN pass through: the keyed mode sends a key on every request.
const passed = Object.fromEntries(['API_KEYS', 'RATE_LIMIT_PER_MIN'].flatMap((k) => (process.env[k] === undefined ? [] : [[k, process.env[k]!]])));
const logDir = process.env.BENCH_LOG_FILE === '1' ? mkdtempSync(join(tmpdir(), 'joule-bench-log-')) : undefined;
const destination = logDir !== undefined ? logDestination(join(logDir, 'joule.log')) : pino.destination({ fd: 2, sync: false });
const joule = await benchJoule({ JOULE_ROLE: 'api', LOG_LEVEL: level, ...passed }, { log: createLogger(level, destination) });
await seedUsers(joule.db.kysely, Number(process.env.BENCH_USERS ?? 100_000));
await serve(joule, async () => {
  await joule.close();
  if (logDir !== undefined) rmSync(logDir, { recursive: true, force: true });
});
