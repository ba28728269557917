import { parseDuration, type Duration } from './domain/durations.js';

/**
 * Environment -> one typed, validated object. Nothing else in Joule reads
 * process.env. A bad value stops start-up with one line naming the variable.
 */
export const ROLES = ['all', 'api'] as const;
export type Role = (typeof ROLES)[number];

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
  minEnergy: bigint;
  maxEnergy: bigint;
  durations: readonly Duration[];
  /** Sun per energy per day, for every allowed duration. */
  rates: ReadonlyMap<string, bigint>;
  logLevel: LogLevel;
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
    if (!out.some((o) => o.text === d.text)) out.push(d);
  }
  if (out.length === 0) throw new ConfigError('ALLOWED_DURATIONS', 'must name at least one duration');
  return out;
}

function parseRates(env: Env, durations: readonly Duration[]): Map<string, bigint> {
  const fallback = integer(env, 'PRICE_SUN_PER_ENERGY_DAY', DEFAULT_RATE, 1n, 1_000_000n);
  const table = new Map<string, bigint>();
  for (const entry of list(env, 'PRICE_TABLE', DEFAULT_PRICE_TABLE)) {
    const m = /^([^:\s]+)\s*:\s*([0-9]{1,7})$/.exec(entry);
    if (!m || !parseDuration(m[1]!)) {
      throw new ConfigError('PRICE_TABLE', `"${entry}" is not <duration>:<sun per energy per day> (e.g. 1h:65)`);
    }
    const rate = BigInt(m[2]!);
    if (rate < 1n) throw new ConfigError('PRICE_TABLE', `rate for ${m[1]} must be at least 1 sun`);
    table.set(m[1]!, rate);
  }
  return new Map(durations.map((d) => [d.text, table.get(d.text) ?? fallback]));
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
  return {
    role: parseRole(env, argv),
    host: text(env, 'HOST', '127.0.0.1'),
    port: Number(integer(env, 'PORT', 8002n, 0n, 65_535n)),
    databaseUrl: parseDatabaseUrl(env),
    dataDir: text(env, 'DATA_DIR', './data'),
    adminToken: parseAdminToken(env),
    apiKeys: list(env, 'API_KEYS', ''),
    minEnergy,
    maxEnergy,
    durations,
    rates: parseRates(env, durations),
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
  };
}
