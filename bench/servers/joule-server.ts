// Joule's real HTTP app on a fresh SQLite file, with users pre-funded, for the
// order-creation benchmark. Prints {"port":N} on its first stdout line; logs
// (pino JSON at LOG_LEVEL, default info) go to fd 2.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { buildApp } from '../../src/api/app.js';
import { createGuards } from '../../src/api/auth.js';
import { loadConfig } from '../../src/config.js';
import { connect } from '../../src/db/connect.js';
import { migrate } from '../../src/db/migrate.js';
import { createLogger } from '../../src/observability/logger.js';
import { sweeperDispatch } from '../../src/dispatch/dispatch.js';
import { seedUsers } from './seed.js';

const dir = mkdtempSync(join(tmpdir(), 'joule-bench-'));
const url = `sqlite:${join(dir, 'joule.db')}`;
const config = loadConfig({ DATABASE_URL: url, ADMIN_TOKEN: 'bench-admin-token-000000', LOG_LEVEL: process.env.LOG_LEVEL ?? 'info' });
const db = connect(url);
await migrate(db);
await seedUsers(db.kysely, Number(process.env.BENCH_USERS ?? 100_000));
const log = createLogger(config.logLevel, pino.destination({ fd: 2, sync: false }));
const app = buildApp({ config, db, dispatch: sweeperDispatch(log), guards: createGuards('bench-admin-token-000000', []) }, log);
await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${JSON.stringify({ port: (app.server.address() as { port: number }).port })}\n`);
process.on('SIGTERM', () => void app.close().then(() => db.close()).then(() => process.exit(0)));
