// What the chain starts with. Keys come from a fixed seed so every start of
// the default devnet yields the same addresses: docs, tests and a newcomer's
// first run all see the same pools and customers.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { addressOfPrivateKey, toHexAddress } from './address.js';
import { USDT_ADDRESS } from './trc20.js';

export type Amount = string | number;

export interface GenesisAccountSpec {
  name: string;
  /** 'pool' accounts stake and delegate; 'customer' accounts receive. Default 'other'. */
  role?: 'pool' | 'customer' | 'other';
  /** Hex private key; derived from the seed and the name when absent. */
  privateKey?: string;
  /** Sun. */
  balance?: Amount;
  /** Sun staked with FreezeBalanceV2 for ENERGY. */
  stakeEnergy?: Amount;
  /** Sun staked with FreezeBalanceV2 for BANDWIDTH. */
  stakeBandwidth?: Amount;
  /** USDT it holds, in the token's smallest unit (6 decimals: 1000000 is 1 USDT); needs the USDT contract in `contracts`. */
  usdt?: Amount;
}

export interface GenesisSpec {
  /** Seed for keys of accounts without privateKey. */
  seed?: string;
  /**
   * TotalEnergyWeight (TRX) staked by the rest of the network. With mainnet's
   * ~19.2e9 and TotalEnergyLimit 180e9, one TRX yields ~9.35 energy.
   */
  restOfNetworkEnergyWeight?: Amount;
  /** TotalNetWeight (TRX) of the rest of the network. */
  restOfNetworkNetWeight?: Amount;
  accounts: GenesisAccountSpec[];
  /** Addresses that exist as smart contracts (delegation to them is refused). */
  contracts?: string[];
}

export interface GenesisAccount {
  name: string;
  role: 'pool' | 'customer' | 'other';
  address: string; // base58
  hex: string;
  privateKey: string;
  balance: bigint;
  stakeEnergy: bigint;
  stakeBandwidth: bigint;
  usdt: bigint;
}

export interface ResolvedGenesis {
  accounts: GenesisAccount[];
  contracts: string[]; // base58 as given
  contractHex: string[];
  restEnergyWeight: bigint;
  restNetWeight: bigint;
}

export function defaultGenesis(): GenesisSpec {
  return {
    seed: 'joule-devnet',
    restOfNetworkEnergyWeight: '19240000000',
    restOfNetworkNetWeight: '30000000000',
    accounts: [
      // 5M TRX staked each: ~46.8M energy per pool at mainnet's ratio.
      { name: 'pool-1', role: 'pool', balance: '1000000000000', stakeEnergy: '5000000000000', stakeBandwidth: '10000000000' },
      { name: 'pool-2', role: 'pool', balance: '1000000000000', stakeEnergy: '5000000000000', stakeBandwidth: '10000000000' },
      // 1,000 TRX and 1,000 USDT each.
      { name: 'customer-1', role: 'customer', balance: '1000000000', usdt: '1000000000' },
      { name: 'customer-2', role: 'customer', balance: '1000000000', usdt: '1000000000' },
      { name: 'customer-3', role: 'customer', balance: '1000000000', usdt: '1000000000' },
    ],
    contracts: [USDT_ADDRESS],
  };
}

export function derivePrivateKey(seed: string, name: string): string {
  return createHash('sha256').update(`${seed}/${name}`).digest('hex');
}

function amount(value: Amount | undefined, what: string): bigint {
  if (value === undefined) return 0n;
  const text = String(value);
  if (!/^\d+$/.test(text)) throw new Error(`genesis: ${what} must be a whole number of sun, got ${text}`);
  return BigInt(text);
}

export function loadGenesis(input: GenesisSpec | string | undefined): GenesisSpec {
  if (input === undefined) return defaultGenesis();
  if (typeof input === 'string') return JSON.parse(readFileSync(input, 'utf8')) as GenesisSpec;
  return input;
}

export function resolveGenesis(spec: GenesisSpec): ResolvedGenesis {
  const seed = spec.seed ?? 'joule-devnet';
  const seen = new Set<string>();
  const accounts = spec.accounts.map((a): GenesisAccount => {
    const privateKey = (a.privateKey ?? derivePrivateKey(seed, a.name)).replace(/^0x/, '').toLowerCase();
    const address = addressOfPrivateKey(privateKey);
    const hex = toHexAddress(address)!;
    if (seen.has(hex)) throw new Error(`genesis: account ${a.name} duplicates another address`);
    seen.add(hex);
    const resolved: GenesisAccount = {
      name: a.name,
      role: a.role ?? 'other',
      address,
      hex,
      privateKey,
      balance: amount(a.balance, `${a.name}.balance`),
      stakeEnergy: amount(a.stakeEnergy, `${a.name}.stakeEnergy`),
      stakeBandwidth: amount(a.stakeBandwidth, `${a.name}.stakeBandwidth`),
      usdt: amount(a.usdt, `${a.name}.usdt`),
    };
    return resolved;
  });
  const contracts = spec.contracts ?? [];
  const contractHex = contracts.map((c) => {
    const hex = toHexAddress(c);
    if (hex === null) throw new Error(`genesis: ${c} is not an address`);
    return hex;
  });
  return {
    accounts,
    contracts,
    contractHex,
    restEnergyWeight: amount(spec.restOfNetworkEnergyWeight, 'restOfNetworkEnergyWeight'),
    restNetWeight: amount(spec.restOfNetworkNetWeight, 'restOfNetworkNetWeight'),
  };
}
