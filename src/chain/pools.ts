import type { PoolKey } from '../config.js';
import type { PoolAccount } from './gateway.js';
import { TronWebGateway } from './tronweb-gateway.js';

/** Pool accounts from their keys: the address is derived from an owner key, given with a permission key. */
export function poolAccounts(keys: readonly PoolKey[]): PoolAccount[] {
  return keys.map((k) => ({
    address: k.ownerAddress ?? TronWebGateway.addressOf(k.privateKey),
    privateKey: k.privateKey,
    permissionId: k.permissionId,
  }));
}
