import { readFileSync } from 'node:fs';
import { isTronAddress } from './domain/address.js';
import { MAX_BALANCE, type Currency } from './domain/currency.js';
import { CANCEL_REFUND_POLICIES, type CancelRefundPolicy } from './domain/cancel.js';
import { parseAccountXpub, XpubError } from './domain/deposit-address.js';
import { parseDuration, type Duration } from './domain/durations.js';
import { billedDays } from './domain/pricing.js';
import { FlashTableError, parseFlashTable, type FlashOffer, type FlashRentTerms } from './domain/flash-rent.js';

/**
 * Environment -> one typed, validated object. Nothing else in Joule reads
 * process.env. A bad value stops start-up with one line naming the variable.
 */
export const ROLES = ['all', 'api', 'worker', 'devnet', 'bot'] as const;

export const CRASH_POINTS = ['after-sign', 'after-broadcast', 'after-record'] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];
export type Role = (typeof ROLES)[number];

export const CLIENT_AUTH_MODES = ['keys', 'loopback', 'none'] as const;
export type ClientAuth = (typeof CLIENT_AUTH_MODES)[number];

/** 127.0.0.0/8, ::1 and localhost: addresses only this machine reaches. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const DEFAULT_DURATIONS = '1h,1d,3d,7d,14d,30d';
/** Sun per energy per day, close to the open market in late 2026 (burning costs 100). */
export const DEFAULT_PRICE_TABLE = '1h:65,1d:80,3d:70,7d:60,14d:55,30d:50';
export const DEFAULT_RATE = 80n;

export interface Config {
  role: Role;
  host: string;
  port: number;
  databaseUrl: string;
  dataDir: string;
  /** Undefined: generated once and kept in `${dataDir}/admin-token`. */
  adminToken: string | undefined;
  apiKeys: readonly string[];
  /**
   * How client endpoints (orders, balances) are guarded:
   *   keys      an API key (API_KEYS) on every request
   *   loopback  no keys: HOST is a loopback address, and a request must name a loopback Host
   *   none      no keys on a non-loopback HOST: only when CLIENT_AUTH=none says so
   */
  clientAuth: ClientAuth;
  minEnergy: bigint;
  maxEnergy: bigint;
  durations: readonly Duration[];
  /** Sun per energy per day, for every allowed duration. */
  rates: ReadonlyMap<string, bigint>;
  /**
   * PRICE_TABLE_USDT: micro-USDT (10^-6 USDT) per energy per day, for every
   * allowed duration; undefined: orders cannot be paid in USDT.
   */
  ratesUsdt: ReadonlyMap<string, bigint> | undefined;
  deposits: DepositsConfig;
  /** FLASH_RENT_*: orders paid by a TRX transfer; undefined when FLASH_RENT_ADDRESS is not set. */
  flashRent: FlashRentConfig | undefined;
  logLevel: LogLevel;
  http: HttpConfig;
  chain: ChainConfig;
  engine: EngineConfig;
  queue: QueueConfig;
  webhooks: WebhooksConfig;
  /** GET /metrics without the admin token (for a Prometheus on a private network). */
  metricsPublic: boolean;
  /** Role `worker`: serve GET /metrics on this port; undefined: no listener. */
  workerMetricsPort: number | undefined;
  /** Role `bot` only: the Telegram bot, an API client of a Joule (undefined in every other role). */
  bot: BotConfig | undefined;
}

/**
 * Role `bot`: a Telegram bot that is one more client of Joule's HTTP API,
 * with its own key (a tenant). It reads nothing of Joule but that API.
 */
export interface BotConfig {
  /** TELEGRAM_BOT_TOKEN: a secret (it is the bot): never logged. */
  token: string;
  /** TELEGRAM_API_ROOT: the Bot API server (Telegram's, or a self-hosted one). */
  apiRoot: string;
  /** TELEGRAM_WEBHOOK_URL: receive updates at this https URL instead of long polling. */
  webhookUrl: string | undefined;
  /** TELEGRAM_WEBHOOK_SECRET: the secret_token Telegram sends with each webhook update; generated at start when unset. */
  webhookSecret: string | undefined;
  /** TELEGRAM_ADMIN_IDS: Telegram user ids that get /stats and alerts. */
  adminIds: readonly number[];
  /** JOULE_API_URL: the Joule the bot is a client of. */
  jouleUrl: string;
  /** JOULE_API_KEY: the bot's client key (its tenant); a secret. */
  jouleKey: string;
  /** JOULE_ADMIN_TOKEN: for /stats and alerts (needed with TELEGRAM_ADMIN_IDS); a secret. */
  jouleAdminToken: string | undefined;
  /** JOULE_WEBHOOK_SECRET: the tenant's webhook signing secret; set, order and deposit news come from Joule's webhooks. */
  jouleWebhookSecret: string | undefined;
  /** BOT_HOST and BOT_PORT: where the bot listens for Telegram's webhook and Joule's (only when either is used). */
  host: string;
  port: number;
  /** BOT_STATUS_POLL_MS: how often an order in flight is read (without Joule webhooks; with them, 10 times slower, as a safety net). */
  statusPollMs: number;
  /** BOT_ALERT_POLL_MS: how often admins' alerts are checked. */
  alertPollMs: number;
  /** BOT_POOL_LOW_ENERGY: a pool with less energy available than this is "running dry". */
  poolLowEnergy: bigint;
  /** BOT_USER_RATE_PER_MIN: actions a minute one Telegram user may take. */
  userRatePerMin: number;
  /** BOT_READS_PER_MIN: requests a minute the bot's own reads of watched orders and balances may make. */
  readsPerMin: number;
  /** JOULE_TIMEOUT_MS: one request to Joule. */
  jouleTimeoutMs: number;
}

/** Delivery of tenants' webhook events (roles `all` and `worker`), and which URLs the API accepts. */
export interface WebhooksConfig {
  /** WEBHOOK_ALLOW_PRIVATE: webhook URLs may point at loopback and private addresses (tests, a receiver on the same network). */
  allowPrivate: boolean;
  /** One delivery's whole request, connection to answer. */
  timeoutMs: number;
  /** First retry after half of this to all of it; doubled each attempt (equal jitter), at most an hour apart, for 24 h. */
  retryBaseMs: number;
  /** Deliveries one worker makes at once; one tenant gets at most a quarter of them (at least 1). */
  concurrency: number;
}

/** Money users send on chain to their own deposit addresses. */
export interface DepositsConfig {
  /** DEPOSIT_XPUB: the account key at m/44'/195'/0' (checked at start); undefined: no deposit addresses. */
  xpub: string | undefined;
  /** MIN_DEPOSIT_TRX_SUN and MIN_DEPOSIT_USDT: smaller transfers are recorded but not credited. */
  minimums: Readonly<Record<Currency, bigint>>;
}

/**
 * FLASH_RENT_ADDRESS (a pool signed for by its own key, checked when the
 * pools are known), FLASH_RENT_TABLE and FLASH_RENT_REFUND_FEE_SUN.
 */
export type FlashRentConfig = FlashRentTerms;

export interface QueueConfig {
  /** ENABLE_BACKGROUND_TASKS: wake-ups through BullMQ on Redis; false: no Redis client at all. */
  enabled: boolean;
  /** May hold a password: log it only through redactRedisUrl. */
  redisUrl: string;
  /** Upper bound for one Redis command (and one enqueue). */
  commandTimeoutMs: number;
  /** Consecutive failed enqueue round trips (one per event-loop turn, whatever it carried) that open the circuit breaker. */
  breakerThreshold: number;
  /** How long the breaker stays open before a background PING probes Redis. */
  breakerOpenMs: number;
  /**
   * Least time between two enqueue round trips of one process: wake-ups asked
   * for sooner wait and go together. An idle process sends at once.
   */
  enqueueGapMs: number;
  /** The sweeper leaves pending orders younger than this to the queue. */
  sweepGraceMs: number;
  /** Oldest pending age past which the watchdog says the queue looks stuck. */
  stuckAfterMs: number;
}

/** What one client can hold of the API process: time, connections, expensive work. */
export interface HttpConfig {
  /** A request's headers and body must have arrived within this (a slow sender is cut off). */
  requestTimeoutMs: number;
  /** A connection with no request in flight is closed after this. */
  idleTimeoutMs: number;
  /** Open connections at once; past it, new ones are closed at once. */
  maxConnections: number;
  /** List and history reads running at once; past it, 503 with Retry-After. */
  maxConcurrentReads: number;
  /**
   * RATE_LIMIT_PER_MIN: requests a minute per client key, unless the key
   * has its own (api_keys.rate_limit_per_min); Infinity: no default limit.
   */
  rateLimitPerMin: number;
}

export interface PoolKey {
  /** Hex private key: never logged. */
  privateKey: string;
  /** Active permission id to sign with (a delegate-only hot key), or undefined for the owner key. */
  permissionId: number | undefined;
  /** The pool account a permission key signs for (it cannot be derived from a hot key). */
  ownerAddress: string | undefined;
}

export interface ChainConfig {
  /** Full node URL; undefined: Joule starts its own devnet in-process. */
  fullHost: string | undefined;
  apiKey: string | undefined;
  timeoutMs: number;
  /** TRON_MAX_RPS: requests per second this process may send to the node (Infinity: no limit). */
  maxRps: number;
  /** From POOL_PRIVATE_KEYS and POOL_KEYS_FILE; empty with the embedded devnet means its genesis pools. */
  poolKeys: readonly PoolKey[];
  /**
   * USDT_ESTIMATE_FROM: the USDT holder a transfer is simulated from to
   * estimate its energy; undefined: Tether's treasury on a real chain, a
   * demo customer of the embedded devnet.
   */
  usdtEstimateFrom: string | undefined;
  devnet: DevnetConfig;
}

/** DEVNET_*: the embedded devnet (no TRON_FULL_HOST), and role `devnet` (flags win over these). */
export interface DevnetConfig {
  /** Role `devnet` only: where it listens (the embedded one takes a free loopback port). */
  host: string;
  port: number;
  /** DEVNET_PROFILE: preset (default: a block a second, lag 2; mainnet: 3 s blocks, lag 19; trongrid: mainnet's timing behind TronGrid's request limits). */
  profile: 'default' | 'mainnet' | 'trongrid';
  /** Undefined: the profile's. */
  blockIntervalMs: number | undefined;
  solidifyLag: number | undefined;
  /**
   * DEVNET_RATE_LIMIT_*: requests per API key in chain time; undefined: the profile's (any one set limits
   * every profile). Role `devnet` only: the embedded devnet takes its profile's.
   */
  rateLimitPerSecond: number | undefined;
  rateLimitPerDay: number | undefined;
  rateLimitSuspendMs: number | undefined;
  totalEnergyLimit: bigint | undefined;
  /** Genesis JSON file; undefined: the built-in genesis (its keys derived from `seed` when set). */
  genesisFile: string | undefined;
  seed: string | undefined;
  /** Role `devnet` only: keep state in this file (the embedded one keeps it in DATA_DIR/devnet.json). */
  dataFile: string | undefined;
}

export interface EngineConfig {
  delegateLock: boolean;
  /** Extra stake, in basis points of the ordered energy, against the chain's rounding and a heavier network. */
  energyMarginBps: number;
  poolWaitTimeoutMs: number;
  leaseMs: number;
  /**
   * How often the block follower reads the solidified chain while our
   * transactions are in flight (a block interval by default), and how long
   * reads of the head are shared, and a receiver's refusal stands
   * (engine/receiver-check.ts); also the unit of retry backoff.
   */
  confirmPollMs: number;
  sweepIntervalMs: number;
  /** How often each pool account's snapshot (stake, delegated, delegatable) is read from the chain. */
  poolRefreshMs: number;
  concurrency: number;
  /** CANCEL_REFUND_POLICY: what an active order cancelled early gets back (none, or prorata of the unused time). */
  cancelRefundPolicy: CancelRefundPolicy;
  crashPoint: CrashPoint | undefined;
}

export class ConfigError extends Error {
  constructor(readonly variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

function text(env: Env, name: string, fallback: string): string {
  const v = env[name];
  return v === undefined || v.trim() === '' ? fallback : v.trim();
}

function integer(env: Env, name: string, fallback: bigint, min: bigint, max: bigint): bigint {
  const raw = text(env, name, fallback.toString());
  if (!/^[0-9]+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const n = BigInt(raw);
  if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = text(env, name, fallback);
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

function list(env: Env, name: string, fallback: string): string[] {
  return text(env, name, fallback)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function parseDurations(env: Env): Duration[] {
  const out: Duration[] = [];
  for (const item of list(env, 'ALLOWED_DURATIONS', DEFAULT_DURATIONS)) {
    const d = parseDuration(item);
    if (!d) throw new ConfigError('ALLOWED_DURATIONS', `"${item}" is not <n>s|m|h|d (e.g. 1h, 30d)`);
    if (d.seconds > 30n * 86_400n) throw new ConfigError('ALLOWED_DURATIONS', `"${item}" is longer than 30 days`);
    if (out.some((o) => o.seconds === d.seconds)) throw new ConfigError('ALLOWED_DURATIONS', `"${item}" is listed twice`);
    out.push(d);
  }
  if (out.length === 0) throw new ConfigError('ALLOWED_DURATIONS', 'must name at least one duration');
  return out;
}

/**
 * `<duration>:<rate>,…` as PRICE_TABLE and PRICE_TABLE_USDT write it. An
 * entry for a duration that is not allowed is an error, except in the
 * built-in default table (`skipUnknown`), which lists more than a shorter
 * ALLOWED_DURATIONS may keep.
 */
function parseRateTable(name: string, raw: string, durations: readonly Duration[], unit: string, skipUnknown: boolean): Map<string, bigint> {
  const table = new Map<string, bigint>();
  for (const entry of raw.split(',').map((e) => e.trim()).filter((e) => e !== '')) {
    const m = /^([^:\s]+)\s*:\s*([0-9]{1,7})$/.exec(entry);
    if (!m || !parseDuration(m[1]!)) {
      throw new ConfigError(name, `"${entry}" is not <duration>:<${unit} per energy per day> (e.g. 1h:65)`);
    }
    const rate = BigInt(m[2]!);
    if (rate < 1n) throw new ConfigError(name, `rate for ${m[1]} must be at least 1 ${unit}`);
    const duration = durations.find((d) => d.text === m[1]);
    if (!duration) {
      // Silently ignoring it would leave the operator believing the rate applies.
      if (skipUnknown) continue;
      throw new ConfigError(name, `${m[1]} is not one of ALLOWED_DURATIONS (${durations.map((d) => d.text).join(', ')})`);
    }
    if (table.has(duration.text)) throw new ConfigError(name, `${m[1]} is listed twice`);
    table.set(duration.text, rate);
  }
  return table;
}

function parseRates(env: Env, durations: readonly Duration[], maxEnergy: bigint): Map<string, bigint> {
  const fallback = integer(env, 'PRICE_SUN_PER_ENERGY_DAY', DEFAULT_RATE, 1n, 1_000_000n);
  const table = parseRateTable('PRICE_TABLE', text(env, 'PRICE_TABLE', DEFAULT_PRICE_TABLE), durations, 'sun', env.PRICE_TABLE === undefined);
  const rates = new Map(durations.map((d) => [d.text, table.get(d.text) ?? fallback]));
  return pricesFit(env.PRICE_TABLE === undefined ? 'PRICE_SUN_PER_ENERGY_DAY' : 'PRICE_TABLE', rates, durations, maxEnergy);
}

/**
 * The table, if the largest order (MAX_ENERGY for each duration) is priced
 * within what a balance can hold (MAX_BALANCE): a larger price could never
 * be paid, and would not fit the database's integers.
 */
function pricesFit(name: string, rates: Map<string, bigint>, durations: readonly Duration[], maxEnergy: bigint): Map<string, bigint> {
  for (const d of durations) {
    const price = maxEnergy * rates.get(d.text)! * billedDays(d.seconds);
    if (price > MAX_BALANCE) throw new ConfigError(name, `MAX_ENERGY (${maxEnergy}) for ${d.text} would cost ${price}, past the most a balance can hold (${MAX_BALANCE}): lower the rate or MAX_ENERGY`);
  }
  return rates;
}

/**
 * Micro-USDT per energy per day: at TRX near 0.30 USDT, 65 sun is about 20,
 * so typical rates are whole numbers (a step of 1 is about 5%). No default
 * and no fallback rate: a USDT price is the operator's decision, made for
 * every allowed duration, or USDT orders are refused.
 */
function parseUsdtRates(env: Env, durations: readonly Duration[], maxEnergy: bigint): Map<string, bigint> | undefined {
  const raw = env.PRICE_TABLE_USDT?.trim();
  if (!raw) return undefined;
  const table = parseRateTable('PRICE_TABLE_USDT', raw, durations, 'micro-USDT', false);
  const missing = durations.filter((d) => !table.has(d.text)).map((d) => d.text);
  if (missing.length > 0) throw new ConfigError('PRICE_TABLE_USDT', `has no rate for ${missing.join(', ')} (every duration of ALLOWED_DURATIONS needs one)`);
  return pricesFit('PRICE_TABLE_USDT', table, durations, maxEnergy);
}

function parseFlashRent(env: Env, durations: readonly Duration[], energyRange: { min: bigint; max: bigint }): FlashRentConfig | undefined {
  const address = env.FLASH_RENT_ADDRESS?.trim() || undefined;
  const table = env.FLASH_RENT_TABLE?.trim() || undefined;
  if (address === undefined) {
    if (table !== undefined) throw new ConfigError('FLASH_RENT_TABLE', 'is set but FLASH_RENT_ADDRESS is not: say which address takes the payments');
    return undefined;
  }
  if (!isTronAddress(address)) throw new ConfigError('FLASH_RENT_ADDRESS', `${address} is not a valid TRON address`);
  if (table === undefined) throw new ConfigError('FLASH_RENT_TABLE', 'is required with FLASH_RENT_ADDRESS (e.g. 3:65000:1h,6:131000:1h)');
  let offers: FlashOffer[];
  try {
    offers = parseFlashTable(table, durations, energyRange);
  } catch (err) {
    if (err instanceof FlashTableError) throw new ConfigError('FLASH_RENT_TABLE', err.message);
    throw err;
  }
  return { address, offers, refundFeeSun: integer(env, 'FLASH_RENT_REFUND_FEE_SUN', 1_000_000n, 0n, 10n ** 15n) };
}

function parseDeposits(env: Env): DepositsConfig {
  const xpub = env.DEPOSIT_XPUB?.trim() || undefined;
  if (xpub !== undefined) {
    try {
      parseAccountXpub(xpub);
    } catch (err) {
      if (err instanceof XpubError) throw new ConfigError('DEPOSIT_XPUB', err.message);
      throw err;
    }
  }
  return {
    xpub,
    minimums: {
      TRX: integer(env, 'MIN_DEPOSIT_TRX_SUN', 1_000_000n, 1n, 10n ** 17n),
      USDT: integer(env, 'MIN_DEPOSIT_USDT', 1_000_000n, 1n, 10n ** 17n),
    },
  };
}

/** Exactly `true` or `false`: a "yes" or "1" that happens to work would hide a typo like "ture". */
function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = text(env, name, String(fallback)).toLowerCase();
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

const ms = (env: Env, name: string, fallback: number, min: number, max: number) =>
  Number(integer(env, name, BigInt(fallback), BigInt(min), BigInt(max)));

/** `<hex key>` (the pool's own key) or `<hex key>:<permission id>:<pool address>` (a delegate-only hot key). */
function parsePoolKey(variable: string, entry: string): PoolKey {
  const m = /^(?:0x)?([0-9a-fA-F]{64})(?::([0-9]{1,2}):(T[1-9A-HJ-NP-Za-km-z]{33}))?$/.exec(entry);
  // The entry is a secret: the message never repeats it.
  if (!m) {
    throw new ConfigError(variable, 'each entry must be a 64-hex-character key, or <key>:<permission id>:<pool address> for a delegate-only key');
  }
  const permissionId = m[2] === undefined ? undefined : Number(m[2]);
  if (permissionId !== undefined && permissionId < 2) {
    throw new ConfigError(variable, 'a permission id must be 2 or more (an active permission)');
  }
  if (m[3] !== undefined && !isTronAddress(m[3])) throw new ConfigError(variable, `${m[3]} is not a valid TRON address`);
  return { privateKey: m[1]!.toLowerCase(), permissionId, ownerAddress: m[3] };
}

function parsePoolKeys(env: Env): PoolKey[] {
  const keys = list(env, 'POOL_PRIVATE_KEYS', '').map((k) => parsePoolKey('POOL_PRIVATE_KEYS', k));
  const file = env.POOL_KEYS_FILE?.trim();
  if (file) {
    let content: string;
    try {
      content = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError('POOL_KEYS_FILE', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    for (const line of content.split('\n')) {
      const entry = line.trim();
      if (entry !== '' && !entry.startsWith('#')) keys.push(parsePoolKey('POOL_KEYS_FILE', entry));
    }
  }
  if (new Set(keys.map((k) => k.privateKey)).size !== keys.length) {
    throw new ConfigError(file ? 'POOL_KEYS_FILE' : 'POOL_PRIVATE_KEYS', 'the same key is listed twice');
  }
  return keys;
}

function parseChain(env: Env): ChainConfig {
  const fullHost = env.TRON_FULL_HOST?.trim() || undefined;
  if (fullHost !== undefined && !/^https?:\/\/[^\s]+$/.test(fullHost)) {
    throw new ConfigError('TRON_FULL_HOST', 'must be an http(s) URL of a java-tron full node');
  }
  const poolKeys = parsePoolKeys(env);
  const usdtEstimateFrom = env.USDT_ESTIMATE_FROM?.trim() || undefined;
  if (usdtEstimateFrom !== undefined && !isTronAddress(usdtEstimateFrom)) {
    throw new ConfigError('USDT_ESTIMATE_FROM', 'must be a TRON address (base58check, starting with T) that holds USDT');
  }
  const devnet: DevnetConfig = {
    host: text(env, 'DEVNET_HOST', '127.0.0.1'),
    port: Number(integer(env, 'DEVNET_PORT', 8090n, 0n, 65_535n)),
    profile: oneOf(env, 'DEVNET_PROFILE', ['default', 'mainnet', 'trongrid'] as const, 'default'),
    blockIntervalMs: env.DEVNET_BLOCK_INTERVAL_MS?.trim() ? ms(env, 'DEVNET_BLOCK_INTERVAL_MS', 0, 0, 60_000) : undefined,
    solidifyLag: env.DEVNET_SOLIDIFY_LAG?.trim() ? ms(env, 'DEVNET_SOLIDIFY_LAG', 0, 0, 1000) : undefined,
    rateLimitPerSecond: env.DEVNET_RATE_LIMIT_PER_SECOND?.trim() ? ms(env, 'DEVNET_RATE_LIMIT_PER_SECOND', 1, 1, 100_000) : undefined,
    rateLimitPerDay: env.DEVNET_RATE_LIMIT_PER_DAY?.trim() ? ms(env, 'DEVNET_RATE_LIMIT_PER_DAY', 1, 1, 1_000_000_000) : undefined,
    rateLimitSuspendMs: env.DEVNET_RATE_LIMIT_SUSPEND_MS?.trim() ? ms(env, 'DEVNET_RATE_LIMIT_SUSPEND_MS', 0, 0, 86_400_000) : undefined,
    totalEnergyLimit: env.DEVNET_TOTAL_ENERGY_LIMIT?.trim() ? integer(env, 'DEVNET_TOTAL_ENERGY_LIMIT', 0n, 1n, 10n ** 15n) : undefined,
    genesisFile: env.DEVNET_GENESIS?.trim() || undefined,
    seed: env.DEVNET_SEED?.trim() || undefined,
    dataFile: env.DEVNET_DATA_FILE?.trim() || undefined,
  };
  return {
    fullHost,
    apiKey: env.TRON_API_KEY?.trim() || undefined,
    timeoutMs: ms(env, 'CHAIN_TIMEOUT_MS', 10_000, 100, 600_000),
    // A provider's quota (TronGrid: 15 a second per key) with room to spare; our own devnet has none
    // unless it plays TronGrid.
    maxRps: requestRate(env, 'TRON_MAX_RPS', fullHost === undefined && devnet.profile !== 'trongrid' ? Infinity : 10),
    poolKeys,
    usdtEstimateFrom,
    devnet,
  };
}

/** A positive number of requests per second (fractions allowed, to share a quota among processes), or `unlimited`. */
function requestRate(env: Env, name: string, fallback: number): number {
  const raw = text(env, name, String(fallback)).toLowerCase();
  if (raw === 'unlimited' || raw === 'infinity') return Infinity;
  const n = Number(raw);
  if (!/^[0-9]*\.?[0-9]+$/.test(raw) || !(n > 0) || n > 100_000) {
    throw new ConfigError(name, `must be a number of requests per second above 0 (e.g. 10 or 2.5), or unlimited; got "${raw}"`);
  }
  return n;
}

/** Requests a minute per client key: a whole number from 1, or 0 / `unlimited` for none. */
function rateLimit(env: Env, name: string, fallback: number): number {
  const raw = text(env, name, String(fallback)).toLowerCase();
  if (raw === 'unlimited' || raw === '0') return Infinity;
  if (!/^[0-9]+$/.test(raw) || Number(raw) > MAX_RATE_LIMIT) {
    throw new ConfigError(name, `must be a whole number of requests a minute from 1 to ${MAX_RATE_LIMIT}, or 0 or unlimited for no limit; got "${raw}"`);
  }
  return Number(raw);
}

/** The largest limit a key may have, in requests a minute (RATE_LIMIT_PER_MIN and a key's own). */
export const MAX_RATE_LIMIT = 1_000_000_000;

/**
 * Defaults that follow the chain's block interval: mainnet's 3 s for a
 * TRON_FULL_HOST, the embedded devnet's own otherwise. The follower reads
 * the solidified chain once a block while transactions are in flight; pools
 * are read from the node every 5 minutes on a real chain (our own
 * transactions update their snapshots as they confirm), every 10 s on the
 * devnet, where requests cost nothing.
 */
function chainTiming(chain: ChainConfig): { blockMs: number; poolRefreshMs: number } {
  if (chain.fullHost !== undefined) return { blockMs: 3000, poolRefreshMs: 300_000 };
  const { profile, blockIntervalMs } = chain.devnet;
  // Below 50 ms (0: blocks on request) is no pace to poll at: the profile's then.
  const blockMs = blockIntervalMs !== undefined && blockIntervalMs >= 50 ? blockIntervalMs : profile === 'default' ? 1000 : 3000;
  return { blockMs, poolRefreshMs: 10_000 };
}

function parseEngine(env: Env, chain: ChainConfig): EngineConfig {
  const crash = env.JOULE_CRASH_POINT?.trim() || undefined;
  const timing = chainTiming(chain);
  return {
    delegateLock: bool(env, 'DELEGATE_LOCK', true),
    energyMarginBps: Number(integer(env, 'ENERGY_MARGIN_BPS', 50n, 0n, 5000n)),
    poolWaitTimeoutMs: ms(env, 'POOL_WAIT_TIMEOUT_MS', 600_000, 0, 86_400_000),
    leaseMs: ms(env, 'LEASE_MS', 30_000, 1000, 3_600_000),
    confirmPollMs: ms(env, 'CONFIRM_POLL_MS', timing.blockMs, 50, 60_000),
    sweepIntervalMs: ms(env, 'SWEEP_INTERVAL_MS', 1000, 50, 3_600_000),
    poolRefreshMs: ms(env, 'POOL_REFRESH_MS', timing.poolRefreshMs, 100, 3_600_000),
    concurrency: ms(env, 'WORKER_CONCURRENCY', 8, 1, 256),
    cancelRefundPolicy: oneOf(env, 'CANCEL_REFUND_POLICY', CANCEL_REFUND_POLICIES, 'prorata'),
    crashPoint: crash === undefined ? undefined : oneOf(env, 'JOULE_CRASH_POINT', CRASH_POINTS, crash as CrashPoint),
  };
}

function parseQueue(env: Env): QueueConfig {
  const redisUrl = text(env, 'REDIS_URL', 'redis://localhost:6379');
  if (!/^rediss?:\/\/[^\s]+$/.test(redisUrl)) throw new ConfigError('REDIS_URL', 'must be redis://[user:password@]host:port[/db] or rediss://…');
  return {
    enabled: bool(env, 'ENABLE_BACKGROUND_TASKS', false),
    redisUrl,
    commandTimeoutMs: ms(env, 'REDIS_COMMAND_TIMEOUT_MS', 500, 10, 60_000),
    breakerThreshold: ms(env, 'REDIS_BREAKER_THRESHOLD', 3, 1, 1000),
    breakerOpenMs: ms(env, 'REDIS_BREAKER_OPEN_MS', 2000, 50, 600_000),
    enqueueGapMs: ms(env, 'REDIS_ENQUEUE_GAP_MS', 50, 0, 1000),
    sweepGraceMs: ms(env, 'SWEEP_GRACE_MS', 5000, 0, 3_600_000),
    stuckAfterMs: ms(env, 'QUEUE_STUCK_AFTER_MS', 60_000, 1000, 86_400_000),
  };
}

/**
 * REDIS_URL without its password, for logs. The credentials run to the last
 * `@` before the host, as the URL parsers (and so the Redis client) read
 * them: a password may hold an `@` of its own.
 */
export function redactRedisUrl(url: string): string {
  return url.replace(/^(rediss?:\/\/)([^/?#]*)@/, (_m, scheme: string, auth: string) => `${scheme}${auth.includes(':') ? `${auth.split(':')[0]}:[redacted]` : '[redacted]'}@`);
}

function parseRole(env: Env, argv: readonly string[]): Role {
  const fromArgv = argv.find((a) => !a.startsWith('-'));
  if (fromArgv !== undefined) {
    if (!(ROLES as readonly string[]).includes(fromArgv)) {
      throw new ConfigError('role', `must be one of ${ROLES.join(', ')}, got "${fromArgv}"`);
    }
    return fromArgv as Role;
  }
  return oneOf(env, 'JOULE_ROLE', ROLES, 'all');
}

function parseDatabaseUrl(env: Env): string {
  const url = text(env, 'DATABASE_URL', 'sqlite:./data/joule.db');
  if (!/^(sqlite:.+|postgres(ql)?:\/\/.+)$/.test(url)) {
    throw new ConfigError('DATABASE_URL', 'must be sqlite:<path> or postgres://user@host/db');
  }
  return url;
}

/** A client key is a credential like the admin token: at least 16 characters. */
const MIN_KEY_LENGTH = 16;

function parseApiKeys(env: Env): string[] {
  const raw = env.API_KEYS;
  if (raw === undefined || raw.trim() === '') return [];
  const keys = list(env, 'API_KEYS', '');
  // " , " is a mistake, not "auth off": it must not silently open the client endpoints.
  if (keys.length === 0) throw new ConfigError('API_KEYS', 'is set but names no key (comma-separated keys of at least 16 characters)');
  // The keys are secrets: messages say which entry, never what it holds.
  keys.forEach((k, i) => {
    if (k.length < MIN_KEY_LENGTH) throw new ConfigError('API_KEYS', `key ${i + 1} is shorter than ${MIN_KEY_LENGTH} characters`);
  });
  return keys;
}

/**
 * Client endpoints move money: they are never open to the network by
 * accident. Without keys they answer only on a loopback HOST; anything else
 * needs API_KEYS, or CLIENT_AUTH=none said out loud.
 */
function parseClientAuth(env: Env, role: Role, host: string, apiKeys: readonly string[]): ClientAuth {
  const asked = env.CLIENT_AUTH?.trim() ? oneOf(env, 'CLIENT_AUTH', CLIENT_AUTH_MODES, 'keys') : undefined;
  const serves = role === 'all' || role === 'api';
  if (apiKeys.length > 0) {
    if (asked !== undefined && asked !== 'keys') throw new ConfigError('CLIENT_AUTH', `is ${asked} but API_KEYS is set; unset one of them`);
    return 'keys';
  }
  // Keys made with POST /api/admin/api-keys live in the database: CLIENT_AUTH=keys needs none here.
  if (asked === 'keys') return 'keys';
  if (asked === 'none') return 'none';
  if (isLoopbackHost(host)) return 'loopback';
  if (asked === 'loopback') throw new ConfigError('CLIENT_AUTH', `is loopback but HOST (${host}) is not a loopback address`);
  if (!serves) return 'loopback';
  throw new ConfigError(
    'API_KEYS',
    `is required when HOST (${host}) is not a loopback address: client endpoints move money (or set CLIENT_AUTH=keys to use only keys made with POST /api/admin/api-keys, or CLIENT_AUTH=none to serve them without keys)`,
  );
}

function parseAdminToken(env: Env): string | undefined {
  const token = env.ADMIN_TOKEN?.trim();
  if (token === undefined || token === '') return undefined;
  if (token.length < 16) throw new ConfigError('ADMIN_TOKEN', 'must be at least 16 characters');
  return token;
}

export function loadConfig(env: Env, argv: readonly string[] = []): Config {
  const minEnergy = integer(env, 'MIN_ENERGY', 1000n, 1n, 1_000_000_000_000n);
  const maxEnergy = integer(env, 'MAX_ENERGY', 10_000_000n, 1n, 1_000_000_000_000n);
  if (maxEnergy < minEnergy) throw new ConfigError('MAX_ENERGY', `must not be below MIN_ENERGY (${minEnergy})`);
  const durations = parseDurations(env);
  const role = parseRole(env, argv);
  const chain = parseChain(env);
  if (chain.fullHost !== undefined && chain.poolKeys.length === 0 && (role === 'all' || role === 'worker')) {
    throw new ConfigError('POOL_PRIVATE_KEYS', 'set it (or POOL_KEYS_FILE) when TRON_FULL_HOST is set: the worker needs pool accounts to delegate from');
  }
  const host = text(env, 'HOST', '127.0.0.1');
  const apiKeys = parseApiKeys(env);
  return {
    role,
    host,
    port: Number(integer(env, 'PORT', 8002n, 0n, 65_535n)),
    databaseUrl: parseDatabaseUrl(env),
    dataDir: text(env, 'DATA_DIR', './data'),
    adminToken: parseAdminToken(env),
    apiKeys,
    clientAuth: parseClientAuth(env, role, host, apiKeys),
    minEnergy,
    maxEnergy,
    durations,
    rates: parseRates(env, durations, maxEnergy),
    ratesUsdt: parseUsdtRates(env, durations, maxEnergy),
    deposits: parseDeposits(env),
    flashRent: parseFlashRent(env, durations, { min: minEnergy, max: maxEnergy }),
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    http: {
      requestTimeoutMs: ms(env, 'HTTP_REQUEST_TIMEOUT_MS', 10_000, 100, 600_000),
      idleTimeoutMs: ms(env, 'HTTP_IDLE_TIMEOUT_MS', 5_000, 100, 600_000),
      maxConnections: ms(env, 'HTTP_MAX_CONNECTIONS', 1000, 1, 1_000_000),
      maxConcurrentReads: ms(env, 'HTTP_MAX_CONCURRENT_READS', 16, 1, 10_000),
      rateLimitPerMin: rateLimit(env, 'RATE_LIMIT_PER_MIN', 600),
    },
    chain,
    engine: parseEngine(env, chain),
    queue: parseQueue(env),
    webhooks: {
      allowPrivate: bool(env, 'WEBHOOK_ALLOW_PRIVATE', false),
      timeoutMs: ms(env, 'WEBHOOK_TIMEOUT_MS', 10_000, 100, 60_000),
      retryBaseMs: ms(env, 'WEBHOOK_RETRY_BASE_MS', 10_000, 10, 3_600_000),
      concurrency: ms(env, 'WEBHOOK_CONCURRENCY', 16, 1, 1000),
    },
    metricsPublic: bool(env, 'METRICS_PUBLIC', false),
    workerMetricsPort: env.WORKER_METRICS_PORT?.trim() ? Number(integer(env, 'WORKER_METRICS_PORT', 0n, 0n, 65_535n)) : undefined,
    bot: role === 'bot' ? parseBot(env) : undefined,
  };
}

function httpUrl(env: Env, name: string, fallback: string | undefined, https = false): string | undefined {
  const raw = env[name]?.trim() || fallback;
  if (raw === undefined) return undefined;
  const pattern = https ? /^https:\/\/[^\s]+$/ : /^https?:\/\/[^\s]+$/;
  if (!pattern.test(raw)) throw new ConfigError(name, `must be an ${https ? 'https' : 'http(s)'} URL, got "${raw}"`);
  return raw.replace(/\/+$/, '');
}

function secret(env: Env, name: string, minLength: number): string | undefined {
  const value = env[name]?.trim();
  if (value === undefined || value === '') return undefined;
  // Secrets: the message says what is wrong, never what the value is.
  if (value.length < minLength) throw new ConfigError(name, `must be at least ${minLength} characters`);
  return value;
}

function parseBot(env: Env): BotConfig {
  const token = env.TELEGRAM_BOT_TOKEN?.trim();
  if (!token) throw new ConfigError('TELEGRAM_BOT_TOKEN', 'is required for role bot (the token @BotFather gave the bot)');
  if (!/^[0-9]{1,20}:[A-Za-z0-9_-]{20,}$/.test(token)) throw new ConfigError('TELEGRAM_BOT_TOKEN', 'is not a bot token (<digits>:<at least 20 letters, digits, _ or ->)');
  const jouleKey = secret(env, 'JOULE_API_KEY', MIN_KEY_LENGTH);
  if (jouleKey === undefined) throw new ConfigError('JOULE_API_KEY', 'is required for role bot: a client key made with POST /api/admin/api-keys');
  const adminIds = list(env, 'TELEGRAM_ADMIN_IDS', '').map((id) => {
    if (!/^[0-9]{1,15}$/.test(id)) throw new ConfigError('TELEGRAM_ADMIN_IDS', `"${id}" is not a Telegram user id`);
    return Number(id);
  });
  const jouleAdminToken = secret(env, 'JOULE_ADMIN_TOKEN', 16);
  if (adminIds.length > 0 && jouleAdminToken === undefined) {
    throw new ConfigError('JOULE_ADMIN_TOKEN', 'is required with TELEGRAM_ADMIN_IDS: /stats and alerts read admin endpoints');
  }
  const webhookSecret = env.TELEGRAM_WEBHOOK_SECRET?.trim() || undefined;
  if (webhookSecret !== undefined && !/^[A-Za-z0-9_-]{16,256}$/.test(webhookSecret)) {
    throw new ConfigError('TELEGRAM_WEBHOOK_SECRET', 'must be 16 to 256 letters, digits, _ or - (what Telegram allows as secret_token)');
  }
  return {
    token,
    apiRoot: httpUrl(env, 'TELEGRAM_API_ROOT', 'https://api.telegram.org')!,
    webhookUrl: httpUrl(env, 'TELEGRAM_WEBHOOK_URL', undefined, true),
    webhookSecret,
    adminIds,
    jouleUrl: httpUrl(env, 'JOULE_API_URL', 'http://127.0.0.1:8002')!,
    jouleKey,
    jouleAdminToken,
    jouleWebhookSecret: secret(env, 'JOULE_WEBHOOK_SECRET', 16),
    host: text(env, 'BOT_HOST', '127.0.0.1'),
    port: Number(integer(env, 'BOT_PORT', 8003n, 0n, 65_535n)),
    statusPollMs: ms(env, 'BOT_STATUS_POLL_MS', 3000, 100, 600_000),
    alertPollMs: ms(env, 'BOT_ALERT_POLL_MS', 30_000, 100, 3_600_000),
    poolLowEnergy: integer(env, 'BOT_POOL_LOW_ENERGY', 1_000_000n, 0n, 10n ** 15n),
    userRatePerMin: ms(env, 'BOT_USER_RATE_PER_MIN', 30, 1, 10_000),
    readsPerMin: ms(env, 'BOT_READS_PER_MIN', 120, 1, 100_000),
    jouleTimeoutMs: ms(env, 'JOULE_TIMEOUT_MS', 10_000, 100, 120_000),
  };
}
