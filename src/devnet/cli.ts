// `devnet` as a program (role `devnet`): settings and flags in, a running
// chain out, with the pool and customer keys printed — it is a devnet, they
// are meant to be copied. The settings come from Joule's configuration (the
// DEVNET_* variables, read there and nowhere else); a flag wins over them.
import { parseArgs } from 'node:util';
import { defaultGenesis, startDevnet, type Devnet } from './index.js';

/** What the devnet program starts with before its flags (Joule's DEVNET_* settings). */
export interface DevnetSettings {
  host: string;
  port: number;
  blockIntervalMs: number;
  solidifyLag: number;
  totalEnergyLimit: bigint | undefined;
  genesisFile: string | undefined;
  seed: string | undefined;
  dataFile: string | undefined;
}

const USAGE = `usage: devnet [options]      (each flag wins over the DEVNET_* variable named)
  --host <host>            listen address (DEVNET_HOST)
  --port <port>            listen port (DEVNET_PORT)
  --block-interval <ms>    block every <ms>, 0 = only on POST /devnet/mine (DEVNET_BLOCK_INTERVAL_MS)
  --solidify-lag <blocks>  solidified view trails head by this much (DEVNET_SOLIDIFY_LAG)
  --energy-limit <energy>  TotalEnergyLimit (DEVNET_TOTAL_ENERGY_LIMIT, default 180000000000)
  --genesis <file>         genesis JSON (DEVNET_GENESIS, default built in)
  --seed <text>            derive the default genesis keys from this seed instead (DEVNET_SEED)
  --data-file <file>       keep state across restarts in this file (DEVNET_DATA_FILE)
  --quiet                  no per-block log lines
  --help`;

function integer(name: string, text: string | undefined, fallback: number): number {
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
      'block-interval': { type: 'string' },
      'solidify-lag': { type: 'string' },
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
  const devnet = await startDevnet({
    host: values.host ?? settings.host,
    port: integer('port', values.port, settings.port),
    blockIntervalMs: integer('block interval', values['block-interval'], settings.blockIntervalMs),
    solidifyLag: integer('solidify lag', values['solidify-lag'], settings.solidifyLag),
    ...(energyLimit !== undefined ? { totalEnergyLimit: energyLimit } : {}),
    ...(genesis ? { genesis } : {}),
    ...(dataFile ? { dataFile } : {}),
    log: (line) => {
      if (!quiet || !line.startsWith('block ')) console.log(`[devnet] ${line}`);
    },
  });
  console.log(`TRON devnet at ${devnet.url}  (TronWeb fullHost)`);
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
