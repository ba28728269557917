import { buildApp } from './api/app.js';
import { createGuards } from './api/auth.js';
import { resolveAdminToken } from './admin-token.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { connect } from './db/connect.js';
import { migrate, SchemaTooNewError } from './db/migrate.js';
import { createLogger } from './observability/logger.js';

/**
 * One binary, roles chosen at start (argument or JOULE_ROLE):
 *   all  API, in one process (the embedded default)
 *   api  HTTP only
 */
async function run(config: Config): Promise<void> {
  const log = createLogger(config.logLevel);
  const db = connect(config.databaseUrl);
  const applied = await migrate(db);
  if (applied.length > 0) log.info({ migrations: applied }, 'database migrated');

  const guards = createGuards(resolveAdminToken(config, log), config.apiKeys);
  const app = buildApp({ config, db, prices: { rates: config.rates }, guards }, log);
  const url = await app.listen({ host: config.host, port: config.port });
  log.info({ role: config.role, database: db.dialect, url }, 'joule started');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: finishing in-flight requests');
    try {
      await app.close();
      await db.close();
      log.info('stopped');
      process.exit(0);
    } catch (err) {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

function fail(message: string): never {
  process.stderr.write(`joule: ${message}\n`);
  process.exit(2);
}

let config: Config;
try {
  config = loadConfig(process.env, process.argv.slice(2));
} catch (err) {
  if (err instanceof ConfigError) fail(`invalid configuration: ${err.message}`);
  throw err;
}

run(config).catch((err: unknown) => {
  if (err instanceof SchemaTooNewError) fail(err.message);
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'EADDRINUSE') fail(`cannot listen on ${config.host}:${config.port}: address in use (set PORT)`);
  if (code === 'ECONNREFUSED') fail(`cannot reach the database (DATABASE_URL): ${(err as Error).message}`);
  process.stderr.write(`joule: start-up failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
