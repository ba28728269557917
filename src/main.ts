import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './api/app.js';
import { buildWorkerMetricsApp } from './api/worker-metrics.js';
import { createGuards } from './api/auth.js';
import { resolveAdminToken } from './admin-token.js';
import { poolAccounts } from './chain/pools.js';
import { TronWebGateway } from './chain/tronweb-gateway.js';
import { ConfigError, loadConfig, redactRedisUrl, type Config, type PoolKey } from './config.js';
import { connect } from './db/connect.js';
import { migrate, SchemaTooNewError } from './db/migrate.js';
import { main as devnetMain } from './devnet/cli.js';
import { startDevnet, type Devnet } from './devnet/index.js';
import { inlineDispatch, sweeperDispatch } from './dispatch/dispatch.js';
import { startEngine, type Engine } from './engine/engine.js';
import { QueueDispatch } from './dispatch/queue-dispatch.js';
import { createLogger, type Logger } from './observability/logger.js';

/**
 * One binary, roles chosen at start (argument or JOULE_ROLE):
 *   all     API + worker in one process (the embedded default)
 *   api     HTTP only; workers pick orders up
 *   worker  executes orders: delegate, confirm, reclaim, refund; sweeps the database
 *   devnet  the local TRON node simulator on its own
 */

/** Without TRON_FULL_HOST, Joule runs its own devnet, keeping its state beside the database. */
async function embeddedChain(config: Config, log: Logger): Promise<{ devnet: Devnet; url: string; keys: PoolKey[] }> {
  const devnet = await startDevnet({
    blockIntervalMs: config.chain.devnet.blockIntervalMs,
    solidifyLag: config.chain.devnet.solidifyLag,
    dataFile: join(config.dataDir, 'devnet.json'),
  });
  log.info(
    {
      url: devnet.url,
      pools: devnet.accounts.pools.map((p) => p.address),
      customers: devnet.accounts.customers.map((c) => c.address),
    },
    'embedded devnet started (TRON_FULL_HOST is not set); its demo customer addresses can receive energy',
  );
  const keys = config.chain.poolKeys.length > 0 ? [...config.chain.poolKeys] : devnet.accounts.pools.map((p) => ({ privateKey: p.privateKey, permissionId: undefined, ownerAddress: undefined }));
  return { devnet, url: devnet.url, keys };
}

async function run(config: Config): Promise<void> {
  const log = createLogger(config.logLevel);
  const db = connect(config.databaseUrl);
  const applied = await migrate(db);
  if (applied.length > 0) log.info({ migrations: applied }, 'database migrated');

  let devnet: Devnet | undefined;
  let engine: Engine | undefined;
  // ENABLE_BACKGROUND_TASKS: wake-ups through Redis, connected in the background (never blocks start-up).
  // In `all`, an order Redis cannot take runs in this process; in `api`, a worker's sweeper finds it.
  const producer = config.queue.enabled
    ? new QueueDispatch(config.queue, log, config.role === 'all' ? (id) => engine?.runner.wake(id) : undefined)
    : undefined;
  if (producer) log.info({ redis: redactRedisUrl(config.queue.redisUrl) }, 'background tasks enabled');
  if (config.role === 'all' || config.role === 'worker') {
    let fullHost = config.chain.fullHost;
    let keys = config.chain.poolKeys;
    if (fullHost === undefined) {
      const embedded = await embeddedChain(config, log);
      devnet = embedded.devnet;
      fullHost = embedded.url;
      keys = embedded.keys;
    }
    const pools = poolAccounts(keys);
    const chain = new TronWebGateway(fullHost, { timeoutMs: config.chain.timeoutMs, apiKey: config.chain.apiKey });
    const workerId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    const queue = producer ? { config: config.queue, producer } : undefined;
    engine = startEngine({ db, chain, pools, config: config.engine, log: log.child({ role: 'worker' }), workerId, queue });
    log.info({ workerId, pools: pools.map((p) => p.address), delegateLock: config.engine.delegateLock }, 'worker started');
  }

  let app: FastifyInstance | undefined;
  if (config.role === 'all' || config.role === 'api') {
    const guards = createGuards(resolveAdminToken(config, log), config.apiKeys);
    const dispatch = producer ?? (engine ? inlineDispatch((id) => engine.runner.wake(id), log) : sweeperDispatch(log));
    app = buildApp({ config, db, guards, dispatch }, log);
    const url = await app.listen({ host: config.host, port: config.port });
    log.info({ role: config.role, database: db.dialect, url, dashboard: `${url}/dashboard/` }, 'joule started');
  } else {
    if (config.workerMetricsPort !== undefined) {
      app = buildWorkerMetricsApp(createGuards(resolveAdminToken(config, log), []), config.metricsPublic, log);
      const url = await app.listen({ host: config.host, port: config.workerMetricsPort });
      log.info({ url: `${url}/metrics` }, 'worker metrics listening');
    }
    log.info({ role: config.role, database: db.dialect }, 'joule started');
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: finishing in-flight requests and order steps');
    try {
      await app?.close();
      await engine?.close();
      await producer?.close();
      await devnet?.close();
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

const started =
  config.role === 'devnet'
    ? devnetMain(process.argv.slice(2).filter((a) => a !== 'devnet'), process.env).then(() => undefined)
    : run(config);
started.catch((err: unknown) => {
  if (err instanceof SchemaTooNewError) fail(err.message);
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'EADDRINUSE') fail(`cannot listen on ${config.host}:${config.port}: address in use (set PORT)`);
  if (code === 'ECONNREFUSED') fail(`cannot reach the database (DATABASE_URL): ${(err as Error).message}`);
  process.stderr.write(`joule: start-up failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
