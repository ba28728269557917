import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { resolveAdminToken } from './admin-token.js';
import { buildApp } from './api/app.js';
import { createGuards } from './api/auth.js';
import { RateLimiter } from './api/rate-limiter.js';
import { buildWorkerMetricsApp } from './api/worker-metrics.js';
import { poolAccounts } from './chain/pools.js';
import { RequestBudget } from './chain/request-budget.js';
import { metrics } from './observability/metrics.js';
import { TronWebGateway } from './chain/tronweb-gateway.js';
import { UsdtTransferEstimates } from './chain/usdt-transfer.js';
import { ConfigError, redactRedisUrl, type Config, type PoolKey } from './config.js';
import type { PoolAccount } from './chain/gateway.js';
import { connect, type Db } from './db/connect.js';
import { migrate } from './db/migrate.js';
import { databaseRateCounts } from './db/rate-limit-counts.js';
import { startDevnet, type Devnet } from './devnet/index.js';
import { USDT_TREASURY } from './domain/usdt.js';
import { inlineDispatch, sweeperDispatch, type Dispatch } from './dispatch/dispatch.js';
import { startEngine, type Engine } from './engine/engine.js';
import type { JobHandler } from './dispatch/queue-worker.js';
import { createLogger, type Logger } from './observability/logger.js';
import { WebhookDeliveries } from './webhooks/webhook-deliveries.js';
import { onWebhookWritten } from './db/webhook-outbox.js';

/**
 * The one composition root: from a validated configuration to a Joule of the
 * configured role, built and ready to listen. main.ts, the tests and the
 * benchmarks all build Joule here, so they run the wiring users run.
 *
 *   all     API + worker in one process (the embedded default)
 *   api     HTTP only; workers pick orders up
 *   worker  executes orders: delegate, confirm, reclaim, refund; sweeps the database
 */
export interface Joule {
  readonly config: Config;
  readonly log: Logger;
  readonly db: Db;
  /** Roles `all` and `api`: the HTTP API. Role `worker`: its metrics app, with WORKER_METRICS_PORT. */
  readonly app: FastifyInstance | undefined;
  /** How a new order reaches a worker (roles `all` and `api`). */
  readonly dispatch: Dispatch | undefined;
  /** Roles `all` and `worker`. */
  readonly engine: Engine | undefined;
  /** Roles `all` and `worker`: delivers the tenants' webhook events. */
  readonly webhooks: WebhookDeliveries | undefined;
  /** The embedded devnet, when TRON_FULL_HOST is not set (roles `all` and `worker`). */
  readonly devnet: Devnet | undefined;
  /** Listens where the configuration says; resolves to the URL (undefined: nothing to serve). */
  listen(): Promise<string | undefined>;
  /** Finishes in-flight requests and order steps, then closes everything it opened. */
  close(): Promise<void>;
}

export interface JouleOptions {
  /** Where log lines go; default: a logger at LOG_LEVEL on stdout. */
  log?: Logger;
  /** Names this process in leases and events; default host:pid:random. */
  workerId?: string;
}

/** Without TRON_FULL_HOST, Joule runs its own devnet, keeping its state beside the database. */
async function embeddedChain(config: Config, log: Logger): Promise<{ devnet: Devnet; keys: readonly PoolKey[] }> {
  const settings = config.chain.devnet;
  const devnet = await startDevnet({
    profile: settings.profile,
    blockIntervalMs: settings.blockIntervalMs,
    solidifyLag: settings.solidifyLag,
    ...(settings.totalEnergyLimit === undefined ? {} : { totalEnergyLimit: settings.totalEnergyLimit }),
    // Limits set by hand turn them on in any profile (as for role devnet); none: the profile's.
    ...(settings.rateLimitPerSecond === undefined && settings.rateLimitPerDay === undefined && settings.rateLimitSuspendMs === undefined
      ? {}
      : {
          rateLimit: {
            ...(settings.rateLimitPerSecond === undefined ? {} : { perSecond: settings.rateLimitPerSecond }),
            ...(settings.rateLimitPerDay === undefined ? {} : { perDay: settings.rateLimitPerDay }),
            ...(settings.rateLimitSuspendMs === undefined ? {} : { suspendMs: settings.rateLimitSuspendMs }),
          },
        }),
    dataFile: join(config.dataDir, 'devnet.json'),
  });
  log.info(
    {
      url: devnet.url,
      pools: devnet.accounts.pools.map((p) => p.address),
      customers: devnet.accounts.customers.map((c) => c.address),
    },
    'embedded devnet started on loopback (TRON_FULL_HOST is not set); its demo customer addresses can receive energy; its /devnet admin API answers loopback clients only',
  );
  const keys =
    config.chain.poolKeys.length > 0
      ? config.chain.poolKeys
      : devnet.accounts.pools.map((p) => ({ privateKey: p.privateKey, permissionId: undefined, ownerAddress: undefined }));
  return { devnet, keys };
}

/**
 * FLASH_RENT_ADDRESS must be a pool whose own key Joule holds: refunds are
 * TRX transfers from it, which a delegate-only permission cannot sign.
 */
function flashAddressSignable(address: string, pools: readonly PoolAccount[]): void {
  const pool = pools.find((p) => p.address === address);
  if (!pool) throw new ConfigError('FLASH_RENT_ADDRESS', `${address} is not one of the pool accounts: Joule must hold its key to refund payments`);
  if (pool.permissionId !== undefined) {
    throw new ConfigError('FLASH_RENT_ADDRESS', `${address} is signed for by a delegate-only key (permission ${pool.permissionId}); refunds need the account's own key`);
  }
}

/**
 * The process's one way to the node: every request through one budget
 * (TRON_MAX_RPS), counted in the metrics, a rate-limit answer pausing all.
 */
function nodeGateway(config: Config, fullHost: string, log: Logger): TronWebGateway {
  return new TronWebGateway(fullHost, {
    timeoutMs: config.chain.timeoutMs,
    apiKey: config.chain.apiKey,
    budget: new RequestBudget(config.chain.maxRps, { waited: (ms, priority) => metrics.chainBudgetWaits.observe({ priority }, ms / 1000) }),
    shareMs: config.engine.confirmPollMs,
    observer: {
      called: (endpoint) => metrics.chainCalls.inc({ endpoint }),
      rateLimited: (endpoint, pauseMs) => {
        metrics.chainRateLimited.inc({ endpoint });
        log.warn({ endpoint, pauseMs: Math.round(pauseMs) }, 'the node refused a request for its rate; every request of this process pauses');
      },
    },
  });
}

/** Who USDT transfers are simulated from: USDT_ESTIMATE_FROM, else a demo customer of our own devnet (it holds USDT), else Tether's treasury. */
function usdtEstimateSender(config: Config, devnet: Devnet | undefined): string {
  return config.chain.usdtEstimateFrom ?? devnet?.accounts.customers[0]?.address ?? USDT_TREASURY;
}

/** The Redis side of background tasks: wake-ups, their consumer, and rate counts shared through Redis. */
async function loadRedisParts() {
  const [{ QueueDispatch }, { QueueWorker }, { RedisRateCounts }] = await Promise.all([
    import('./dispatch/queue-dispatch.js'),
    import('./dispatch/queue-worker.js'),
    import('./dispatch/redis-rate-counts.js'),
  ]);
  return { QueueDispatch, QueueWorker, RedisRateCounts };
}

export async function createJoule(config: Config, opts: JouleOptions = {}): Promise<Joule> {
  if (config.role === 'devnet') throw new Error('role devnet runs the node simulator alone; it has no Joule to build');
  const log = opts.log ?? createLogger(config.logLevel);
  const db = connect(config.databaseUrl, { onWalFlush: () => metrics.walSyncs.inc() });
  const opened: Array<() => Promise<void>> = [() => db.close()];
  const closeOpened = async () => {
    for (const close of opened.splice(0).reverse()) await close();
  };
  try {
    const applied = await migrate(db);
    if (applied.length > 0) log.info({ migrations: applied }, 'database migrated');

    const serves = config.role === 'all' || config.role === 'api';
    const works = config.role === 'all' || config.role === 'worker';
    let engine: Engine | undefined;
    // ENABLE_BACKGROUND_TASKS: wake-ups through Redis, connected in the background (never blocks start-up).
    // In `all`, an order Redis cannot take runs in this process; in `api`, a worker's sweeper finds it.
    // BullMQ and ioredis are loaded only then: a process without background tasks never holds them.
    const redis = config.queue.enabled ? await loadRedisParts() : undefined;
    const producer = redis
      ? new redis.QueueDispatch(config.queue, log, config.role === 'all' ? (id) => engine?.runner.offer(id) ?? false : undefined)
      : undefined;
    if (producer) {
      opened.push(() => producer.close());
      log.info({ redis: redactRedisUrl(config.queue.redisUrl) }, 'background tasks enabled');
    }

    let devnet: Devnet | undefined;
    let node: TronWebGateway | undefined;
    let webhooks: WebhookDeliveries | undefined;
    if (works) {
      let fullHost = config.chain.fullHost;
      let keys = config.chain.poolKeys;
      if (fullHost === undefined) {
        const embedded = await embeddedChain(config, log);
        devnet = embedded.devnet;
        opened.push(() => embedded.devnet.close());
        fullHost = embedded.devnet.url;
        keys = embedded.keys;
      }
      const pools = poolAccounts(keys);
      const chain = nodeGateway(config, fullHost, log);
      node = chain;
      const workerId = opts.workerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
      const workerLog = log.child({ role: 'worker' });
      const queue =
        redis && producer
          ? { config: config.queue, producer, consume: (handle: JobHandler, concurrency: number) => new redis.QueueWorker(db, handle, config.queue, concurrency, workerLog) }
          : undefined;
      // Watched by every worker, DEPOSIT_XPUB or not (DepositWatch): the API that hands out addresses may have it alone.
      const deposits = { minimums: config.deposits.minimums };
      if (config.flashRent) flashAddressSignable(config.flashRent.address, pools);
      const started = startEngine({ db, chain, pools, config: config.engine, log: workerLog, workerId, queue, deposits, flashRent: config.flashRent });
      engine = started;
      opened.push(() => started.close());
      log.info({ workerId, pools: pools.map((p) => p.address), delegateLock: config.engine.delegateLock }, 'worker started');
      // Apart from the engine: a slow receiver takes nothing from orders.
      const deliveries = new WebhookDeliveries(db, config.webhooks, log.child({ role: 'webhooks' }), workerId, Math.min(1000, config.engine.sweepIntervalMs));
      webhooks = deliveries;
      deliveries.start();
      // An event this process commits (its API's, its engine's) is looked at at once, not at the next interval.
      const stopListening = onWebhookWritten(() => deliveries.wake());
      opened.push(async () => {
        stopListening();
        await deliveries.close();
      });
    } else if (serves && config.chain.fullHost !== undefined) {
      // An `api` process asks the node one thing: what a USDT transfer needs.
      node = nodeGateway(config, config.chain.fullHost, log);
    }

    let app: FastifyInstance | undefined;
    let dispatch: Dispatch | undefined;
    if (serves) {
      // Rate limits are shared by every api process: through Redis with background tasks on, else the database.
      const counts = redis ? new redis.RedisRateCounts(config.queue, log) : databaseRateCounts(db);
      const limiter = new RateLimiter(counts, log);
      opened.push(() => limiter.close());
      log.info(
        { perMin: config.http.rateLimitPerMin === Infinity ? 'unlimited' : config.http.rateLimitPerMin, shared: counts.name },
        'client keys are rate-limited (RATE_LIMIT_PER_MIN, or a key\'s own rate_limit)',
      );
      const guards = createGuards(resolveAdminToken(config, log), config, db, { limiter, perMin: config.http.rateLimitPerMin });
      const runner = engine?.runner;
      dispatch = producer ?? (runner ? inlineDispatch(runner, log) : sweeperDispatch(log));
      if (config.clientAuth === 'none') {
        log.warn({ host: config.host }, 'CLIENT_AUTH=none: client endpoints (orders, balances) answer anyone who reaches this port without a key');
      }
      const estimates = node === undefined ? undefined : new UsdtTransferEstimates(node, usdtEstimateSender(config, devnet), config.engine.confirmPollMs);
      if (estimates) log.info({ from: estimates.from }, 'USDT transfer estimates are simulated from this USDT holder (USDT_ESTIMATE_FROM)');
      app = buildApp({ config, db, guards, dispatch, estimates }, log);
    } else if (config.workerMetricsPort !== undefined) {
      app = buildWorkerMetricsApp(createGuards(resolveAdminToken(config, log), { apiKeys: [], clientAuth: 'keys' }), config.metricsPublic, log);
    }
    const served = app;
    // The app closes first: in-flight requests finish before the engine and the database go.
    if (served) opened.push(() => served.close());

    return {
      config,
      log,
      db,
      app,
      dispatch,
      engine,
      webhooks,
      devnet,
      async listen() {
        if (!served) {
          log.info({ role: config.role, database: db.dialect }, 'joule started');
          return undefined;
        }
        if (serves) {
          const url = await served.listen({ host: config.host, port: config.port });
          log.info({ role: config.role, database: db.dialect, url, dashboard: `${url}/dashboard/` }, 'joule started');
          return url;
        }
        const url = await served.listen({ host: config.host, port: config.workerMetricsPort! });
        log.info({ url: `${url}/metrics` }, 'worker metrics listening');
        log.info({ role: config.role, database: db.dialect }, 'joule started');
        return url;
      },
      close: closeOpened,
    };
  } catch (err) {
    await closeOpened().catch(() => {});
    throw err;
  }
}
