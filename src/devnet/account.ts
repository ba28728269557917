// The slice of java-tron's Account that Stake 2.0 delegation and resource
// accounting (energy, staked and free bandwidth) touch.
import { DEFAULT_ACTIVE_OPERATIONS } from './constants.js';

export interface PermissionKey {
  address: string; // 41… hex
  weight: bigint;
}

export interface Permission {
  type: 'Owner' | 'Active';
  id: number;
  name: string;
  threshold: bigint;
  /** 32-byte bitmask as 64 hex chars; only active permissions have one. */
  operations?: string;
  keys: PermissionKey[];
}

export interface Account {
  address: string;
  type: 'Normal' | 'Contract';
  balance: bigint;
  createTime: number;
  /** Staked (FreezeBalanceV2) and not delegated away. */
  frozenEnergy: bigint;
  frozenBandwidth: bigint;
  /** Staked and delegated to others (delegated_frozenV2_balance_for_*). */
  delegatedEnergy: bigint;
  delegatedBandwidth: bigint;
  /** Received from others (acquired_delegated_frozenV2_balance_for_*). */
  acquiredEnergy: bigint;
  acquiredBandwidth: bigint;
  /** Energy used, as of `energyUsageSlot`; it decays linearly over 24 h. */
  energyUsage: bigint;
  energyUsageSlot: number;
  /** Staked bandwidth used (net_usage), as of `netUsageSlot` (latest_consume_time). */
  netUsage: bigint;
  netUsageSlot: number;
  /** Free daily bandwidth used (free_net_usage), as of `freeNetUsageSlot` (latest_consume_free_time). */
  freeNetUsage: bigint;
  freeNetUsageSlot: number;
  owner: Permission;
  actives: Permission[];
}

export function defaultOwnerPermission(address: string): Permission {
  return { type: 'Owner', id: 0, name: 'owner', threshold: 1n, keys: [{ address, weight: 1n }] };
}

export function defaultActivePermission(address: string): Permission {
  return {
    type: 'Active',
    id: 2,
    name: 'active',
    threshold: 1n,
    operations: DEFAULT_ACTIVE_OPERATIONS,
    keys: [{ address, weight: 1n }],
  };
}

/** A freshly activated account, as a transfer or the genesis creates it. */
export function newAccount(address: string, createTime: number, type: Account['type'] = 'Normal'): Account {
  return {
    address,
    type,
    balance: 0n,
    createTime,
    frozenEnergy: 0n,
    frozenBandwidth: 0n,
    delegatedEnergy: 0n,
    delegatedBandwidth: 0n,
    acquiredEnergy: 0n,
    acquiredBandwidth: 0n,
    energyUsage: 0n,
    energyUsageSlot: 0,
    netUsage: 0n,
    netUsageSlot: 0,
    freeNetUsage: 0n,
    freeNetUsageSlot: 0,
    owner: defaultOwnerPermission(address),
    actives: [defaultActivePermission(address)],
  };
}

/** An account as saved before bandwidth was modelled gets the fields it lacks, at zero. */
export function withAccountDefaults(account: Account): Account {
  return {
    ...account,
    netUsage: account.netUsage ?? 0n,
    netUsageSlot: account.netUsageSlot ?? 0,
    freeNetUsage: account.freeNetUsage ?? 0n,
    freeNetUsageSlot: account.freeNetUsageSlot ?? 0,
  };
}

export function permissionById(account: Account, id: number): Permission | undefined {
  if (id === 0) return account.owner;
  return account.actives.find((p) => p.id === id);
}

/** Whether an active permission's bitmask allows contract type number `contractType`. */
export function allowsOperation(permission: Permission, contractType: number): boolean {
  if (permission.operations === undefined) return false;
  const byte = Number.parseInt(permission.operations.slice((contractType >> 3) * 2, (contractType >> 3) * 2 + 2), 16);
  return Number.isFinite(byte) && (byte & (1 << (contractType & 7))) !== 0;
}
