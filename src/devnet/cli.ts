// `devnet` as a program (role `devnet`): settings and flags in, a running
// chain out, with the pool and customer keys printed — it is a devnet, they
// are meant to be copied. The settings come from Joule's configuration (the
// DEVNET_* variables, read there and nowhere else); a flag wins over them.
import { parseArgs } from 'node:util';
import { defaultGenesis, PROFILE_NAMES, startDevnet, type Devnet, type ProfileName, type RateLimit } from './index.js';

/** What the devnet program starts with before its flags (Joule's DEVNET_* settings). */
export interface DevnetSettings {
  host: string;
  port: number;
  /** Timing preset; undefined: 'default'. */
  profile?: ProfileName | undefined;
  /** Undefined: the profile's. */
  blockIntervalMs: number | undefined;
  solidifyLag: number | undefined;
  /** Undefined: the profile's (trongrid: 15, 100000, 30000); any of them set limits every profile. */
  rateLimitPerSecond: number | undefined;
  rateLimitPerDay: number | undefined;
  rateLimitSuspendMs: number | undefined;
  totalEnergyLimit: bigint | undefined;
  genesisFile: string | undefined;
  seed: string | undefined;
  dataFile: string | undefined;
}

const USAGE = `usage: devnet [options]      (each flag wins over the DEVNET_* variable named)
  --host <host>            listen address (DEVNET_HOST)
  --port <port>            listen port (DEVNET_PORT)
  --profile <name>         default (a block a second, lag 2), mainnet (3 s blocks, lag 19) or trongrid
                           (mainnet's timing behind TronGrid's free-plan request limits) (DEVNET_PROFILE)
  --block-interval <ms>    block every <ms>, 0 = only on POST /devnet/mine; each block is 3 s of chain time
                           whatever the interval (DEVNET_BLOCK_INTERVAL_MS, default the profile's)
  --solidify-lag <blocks>  solidified view trails head by this much (DEVNET_SOLIDIFY_LAG, default the profile's)
  --rate-limit-per-second <n>
                           requests per API key per second of chain time (DEVNET_RATE_LIMIT_PER_SECOND,
                           default the profile's: 15 for trongrid); any --rate-limit-* limits every profile
  --rate-limit-per-day <n> requests per API key per chain day (DEVNET_RATE_LIMIT_PER_DAY, trongrid: 100000)
  --rate-limit-suspend <ms>
                           chain time a key is refused after going over the rate
                           (DEVNET_RATE_LIMIT_SUSPEND_MS, trongrid: 30000)
  --energy-limit <energy>  TotalEnergyLimit (DEVNET_TOTAL_ENERGY_LIMIT, default 180000000000)
  --genesis <file>         genesis JSON (DEVNET_GENESIS, default built in)
  --seed <text>            derive the default genesis keys from this seed instead (DEVNET_SEED)
  --data-file <file>       keep state across restarts in this file (DEVNET_DATA_FILE)
  --quiet                  no per-block log lines
  --help`;

function integer<F extends number | undefined>(name: string, text: string | undefined, fallback: F): number | F {
  if (text === undefined || text === '') return fallback;
  if (!/^\d+$/.test(text)) throw new Error(`${name} must be a non-negative integer, got ${text}`);
  return Number(text);
}

/** Starts the devnet from its settings and command-line flags; resolves once it listens. */
export async function main(argv: string[], settings: DevnetSettings): Promise<Devnet> {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      profile: { type: 'string' },
      'block-interval': { type: 'string' },
      'solidify-lag': { type: 'string' },
      'rate-limit-per-second': { type: 'string' },
      'rate-limit-per-day': { type: 'string' },
      'rate-limit-suspend': { type: 'string' },
      'energy-limit': { type: 'string' },
      genesis: { type: 'string' },
      seed: { type: 'string' },
      'data-file': { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean' },
    },
    allowPositionals: true,
  });
  if (values.help === true) {
    console.log(USAGE);
    process.exit(0);
  }
  const energyLimit = values['energy-limit'] === undefined ? settings.totalEnergyLimit : BigInt(integer('energy limit', values['energy-limit'], 0));
  const seed = values.seed ?? settings.seed;
  const genesis = values.genesis ?? settings.genesisFile ?? (seed ? { ...defaultGenesis(), seed } : undefined);
  const dataFile = values['data-file'] ?? settings.dataFile;
  const quiet = values.quiet === true;
  const profile = values.profile ?? settings.profile ?? 'default';
  if (!(PROFILE_NAMES as string[]).includes(profile)) throw new Error(`profile must be one of ${PROFILE_NAMES.join(', ')}, got ${profile}`);
  const blockIntervalMs = integer('block interval', values['block-interval'], settings.blockIntervalMs);
  const solidifyLag = integer('solidify lag', values['solidify-lag'], settings.solidifyLag);
  const rateLimit: Partial<RateLimit> = {};
  const perSecond = integer('rate limit per second', values['rate-limit-per-second'], settings.rateLimitPerSecond);
  const perDay = integer('rate limit per day', values['rate-limit-per-day'], settings.rateLimitPerDay);
  const suspendMs = integer('rate limit suspension', values['rate-limit-suspend'], settings.rateLimitSuspendMs);
  if (perSecond !== undefined) rateLimit.perSecond = perSecond;
  if (perDay !== undefined) rateLimit.perDay = perDay;
  if (suspendMs !== undefined) rateLimit.suspendMs = suspendMs;
  const devnet = await startDevnet({
    host: values.host ?? settings.host,
    port: integer('port', values.port, settings.port),
    profile: profile as ProfileName,
    ...(blockIntervalMs === undefined ? {} : { blockIntervalMs }),
    ...(solidifyLag === undefined ? {} : { solidifyLag }),
    ...(Object.keys(rateLimit).length === 0 ? {} : { rateLimit }),
    ...(energyLimit !== undefined ? { totalEnergyLimit: energyLimit } : {}),
    ...(genesis ? { genesis } : {}),
    ...(dataFile ? { dataFile } : {}),
    log: (line) => {
      if (!quiet || !line.startsWith('block ')) console.log(`[devnet] ${line}`);
    },
  });
  console.log(`TRON devnet at ${devnet.url}  (TronWeb fullHost), profile ${devnet.profile}`);
  if (devnet.rateLimit !== undefined) {
    const { perSecond: rate, perDay: quota, suspendMs: suspend } = devnet.rateLimit;
    console.log(`rate limited like TronGrid: per API key (TRON-PRO-API-KEY) or address, ${rate} a second and ${quota} a day of chain time, ${suspend} ms suspension`);
  }
  console.log(`admin API at ${devnet.url}/devnet/ (faults, keys): answers loopback clients only`);
  for (const [title, list] of [
    ['pools', devnet.accounts.pools],
    ['customers', devnet.accounts.customers],
  ] as const) {
    console.log(`${title}:`);
    for (const a of list) console.log(`  ${a.name.padEnd(12)} ${a.address}  key ${a.privateKey}`);
  }
  console.log(`contracts: ${devnet.accounts.contracts.join(', ')}`);
  const stop = (): void => {
    devnet.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return devnet;
}
