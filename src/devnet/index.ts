// Public face of the devnet: start a local java-tron HTTP API simulator that
// unmodified TronWeb can use as its fullHost.
import type { AddressInfo } from 'node:net';
import { chainTimeNow } from './chain-clock.js';
import { DevnetNode } from './devnet-node.js';
import { defaultGenesis, loadGenesis, resolveGenesis, type GenesisSpec } from './genesis.js';
import { isProfileName, PROFILE_NAMES, PROFILES, type Profile, type ProfileName } from './profile.js';
import { RateLimiter, resolveRateLimit, type RateLimit } from './rate-limit.js';
import { createDevnetServer } from './server.js';

export { defaultGenesis, PROFILE_NAMES };
export type { GenesisSpec, GenesisAccountSpec } from './genesis.js';
export type { ProfileName } from './profile.js';
export type { RateLimit } from './rate-limit.js';

export interface DevnetOptions {
  host?: string;
  port?: number;
  /**
   * Preset: 'default' (a block a second, lag 2), 'mainnet' (3 s, lag 19) or 'trongrid' (mainnet's timing
   * behind TronGrid's free-plan request limits); the three options below win over it.
   */
  profile?: ProfileName;
  blockIntervalMs?: number;
  solidifyLag?: number;
  /**
   * Request limits per API key on /wallet and /walletsolidity, in chain time: the 'trongrid' profile's
   * (15 a second, 100,000 a day, 30 s suspension) with these fields set over them. Given with another
   * profile, it limits that one too.
   */
  rateLimit?: Partial<RateLimit>;
  totalEnergyLimit?: bigint;
  /** getMaxDelegateLockPeriod in blocks (default mainnet's 864,000; 86,400 or less fixes every lock at 3 days). */
  maxDelegateLockPeriod?: bigint;
  genesis?: GenesisSpec | string;
  dataFile?: string;
  log?: (line: string) => void;
}

export interface DevAccount {
  name: string;
  address: string;
  privateKey: string;
}

export interface Devnet {
  url: string;
  profile: ProfileName;
  /** The request limits in force; undefined: none. */
  rateLimit: RateLimit | undefined;
  accounts: { pools: DevAccount[]; customers: DevAccount[]; contracts: string[] };
  mine(blocks?: number): Promise<void>;
  headNumber(): number;
  close(): Promise<void>;
}

export async function startDevnet(opts: DevnetOptions = {}): Promise<Devnet> {
  const host = opts.host ?? '127.0.0.1';
  const profile = opts.profile ?? 'default';
  if (!isProfileName(profile)) throw new Error(`profile must be one of ${PROFILE_NAMES.join(', ')}`);
  const preset: Profile = PROFILES[profile];
  const blockIntervalMs = opts.blockIntervalMs ?? preset.blockIntervalMs;
  const solidifyLag = opts.solidifyLag ?? preset.solidifyLag;
  const rateLimit = resolveRateLimit(preset.rateLimit, opts.rateLimit);
  if (!Number.isInteger(solidifyLag) || solidifyLag < 0) throw new Error('solidifyLag must be a non-negative integer');
  if (!Number.isInteger(blockIntervalMs) || blockIntervalMs < 0) throw new Error('blockIntervalMs must be a non-negative integer');
  const log = opts.log ?? (() => {});
  const genesis = resolveGenesis(loadGenesis(opts.genesis));
  const node = new DevnetNode({
    genesis,
    totalEnergyLimit: opts.totalEnergyLimit ?? 180_000_000_000n,
    solidifyLag,
    ...(opts.maxDelegateLockPeriod === undefined ? {} : { maxDelegateLockPeriod: opts.maxDelegateLockPeriod }),
    ...(opts.dataFile === undefined ? {} : { dataFile: opts.dataFile }),
    log,
  });
  const rateLimiter =
    rateLimit === undefined
      ? undefined
      : new RateLimiter(rateLimit, () => chainTimeNow(node.state.headBlock().timestamp, node.headProducedAt, blockIntervalMs));
  const http = createDevnetServer({ node, genesis, blockIntervalMs, profile, rateLimiter });
  await new Promise<void>((resolve, reject) => {
    http.server.once('error', reject);
    http.server.listen(opts.port ?? 0, host, () => {
      http.server.off('error', reject);
      resolve();
    });
  });
  const { port } = http.server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const produce = (): void => {
    try {
      node.mine(1);
    } catch (err) {
      // A failed save (disk full, say) must not take the host process down with it.
      log(`block production failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  const timer = blockIntervalMs > 0 ? setInterval(produce, blockIntervalMs) : undefined;
  const pace = blockIntervalMs === 0 ? 'blocks on request' : `a block every ${blockIntervalMs} ms`;
  const limits = rateLimit === undefined ? '' : `; per API key ${rateLimit.perSecond}/s and ${rateLimit.perDay}/day of chain time`;
  log(`devnet listening on ${url}, head block ${node.state.head}, profile ${profile} (${pace}, solid ${solidifyLag} behind${limits})`);

  const pick = (role: 'pool' | 'customer'): DevAccount[] =>
    genesis.accounts.filter((a) => a.role === role).map((a) => ({ name: a.name, address: a.address, privateKey: a.privateKey }));
  let closed = false;
  return {
    url,
    profile,
    rateLimit,
    accounts: { pools: pick('pool'), customers: pick('customer'), contracts: [...genesis.contracts] },
    mine: async (blocks = 1) => {
      node.mine(blocks);
    },
    headNumber: () => node.state.head,
    close: async () => {
      if (closed) return;
      closed = true;
      if (timer !== undefined) clearInterval(timer);
      await http.close();
      await node.close();
    },
  };
}
