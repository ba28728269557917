// `devnet` as a program: flags (or DEVNET_* variables) in, a running chain
// out, with the pool and customer keys printed — it is a devnet, they are
// meant to be copied.
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { defaultGenesis, startDevnet, type Devnet } from './index.js';

const USAGE = `usage: devnet [options]
  --host <host>            listen address (DEVNET_HOST, default 127.0.0.1)
  --port <port>            listen port (DEVNET_PORT, default 8090)
  --block-interval <ms>    block every <ms>, 0 = only on POST /devnet/mine (DEVNET_BLOCK_INTERVAL_MS, default 3000)
  --solidify-lag <blocks>  solidified view trails head by this much (DEVNET_SOLIDIFY_LAG, default 19)
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

/** Starts the devnet from command-line arguments; resolves once it listens. */
export async function main(argv: string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): Promise<Devnet> {
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
  const energyLimit = values['energy-limit'] ?? env.DEVNET_TOTAL_ENERGY_LIMIT;
  const seed = values.seed ?? env.DEVNET_SEED;
  const genesis = values.genesis ?? env.DEVNET_GENESIS ?? (seed ? { ...defaultGenesis(), seed } : undefined);
  const dataFile = values['data-file'] ?? env.DEVNET_DATA_FILE;
  const quiet = values.quiet === true;
  const devnet = await startDevnet({
    host: values.host ?? env.DEVNET_HOST ?? '127.0.0.1',
    port: integer('port', values.port ?? env.DEVNET_PORT, 8090),
    blockIntervalMs: integer('block interval', values['block-interval'] ?? env.DEVNET_BLOCK_INTERVAL_MS, 3000),
    solidifyLag: integer('solidify lag', values['solidify-lag'] ?? env.DEVNET_SOLIDIFY_LAG, 19),
    ...(energyLimit ? { totalEnergyLimit: BigInt(integer('energy limit', energyLimit, 0)) } : {}),
    ...(genesis ? { genesis } : {}),
    ...(dataFile ? { dataFile } : {}),
    log: (line) => {
      if (!quiet || !line.startsWith('block ')) console.log(`[devnet] ${line}`);
    },
  });
  console.log(`TRON devnet at ${devnet.url}  (TronWeb fullHost)`);
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

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
