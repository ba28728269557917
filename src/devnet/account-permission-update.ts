// AccountPermissionUpdateContract: replaces the owner and active permissions,
// which is how an operator gives a hot key the right to delegate and nothing
// else. Checks and messages follow java-tron's AccountPermissionUpdateActuator.
import type { Permission } from './account.js';
import type { Actuator, ContractSummary } from './actuator.js';
import { isValidHexAddress, toHexAddress } from './address.js';
import { TOTAL_SIGN_NUM, UPDATE_PERMISSION_FEE } from './constants.js';
import { addressField } from './contract-input.js';
import { BroadcastError, ContractValidateError } from './contract-error.js';
import { parseInt64 } from './json-wire.js';

interface RawPermission {
  type: 'Owner' | 'Witness' | 'Active' | 'Invalid';
  name: string;
  threshold: bigint;
  parentId: bigint;
  operations: string;
  keys: Array<{ address: string; weight: bigint }>;
}

interface PermissionUpdate extends ContractSummary {
  ownerPermission?: RawPermission;
  witness?: RawPermission;
  actives: RawPermission[];
}

/** Contract types a permission may name: mainnet's available set (types 0..59 that exist). */
const AVAILABLE_OPERATIONS = '7fff1fc0037efb0f000000000000000000000000000000000000000000000000';

function permissionType(raw: unknown): RawPermission['type'] {
  if (raw === undefined || raw === null || raw === 0 || raw === 'Owner') return 'Owner';
  if (raw === 1 || raw === 'Witness') return 'Witness';
  if (raw === 2 || raw === 'Active') return 'Active';
  return 'Invalid';
}

function parsePermission(raw: unknown): RawPermission | undefined {
  if (raw === undefined || raw === null || typeof raw !== 'object') return undefined;
  const p = raw as Record<string, unknown>;
  const keys = Array.isArray(p.keys) ? (p.keys as Array<Record<string, unknown>>) : [];
  return {
    type: permissionType(p.type),
    name: typeof p.permission_name === 'string' ? p.permission_name : '',
    threshold: parseInt64(p.threshold) ?? 0n,
    parentId: parseInt64(p.parent_id ?? p.parentId) ?? 0n,
    operations: typeof p.operations === 'string' ? p.operations.toLowerCase().replace(/^0x/, '') : '',
    keys: keys.map((k) => ({
      address: toHexAddress(k.address) ?? String(k.address ?? ''),
      weight: parseInt64(k.weight) ?? 0n,
    })),
  };
}

function checkPermission(p: RawPermission): void {
  if (p.keys.length > TOTAL_SIGN_NUM) {
    throw new ContractValidateError(`number of keys in permission should not be greater than ${TOTAL_SIGN_NUM}`);
  }
  if (p.keys.length === 0) throw new ContractValidateError("key's count should be greater than 0");
  if (p.type === 'Witness' && p.keys.length !== 1) {
    throw new ContractValidateError("Witness permission's key count should be 1");
  }
  if (p.threshold <= 0n) throw new ContractValidateError("permission's threshold should be greater than 0");
  if (p.name.length > 32) throw new ContractValidateError("permission's name is too long");
  if (p.parentId !== 0n) throw new ContractValidateError("permission's parent should be owner");
  if (new Set(p.keys.map((k) => k.address)).size !== p.keys.length) {
    throw new ContractValidateError(`address should be distinct in permission ${p.type}`);
  }
  let weightSum = 0n;
  for (const key of p.keys) {
    if (!isValidHexAddress(key.address)) throw new ContractValidateError('key is not a validate address');
    if (key.weight <= 0n) throw new ContractValidateError("key's weight should be greater than 0");
    weightSum += key.weight;
  }
  if (weightSum < p.threshold) {
    throw new ContractValidateError(`sum of all key's weight should not be less than threshold in permission ${p.type}`);
  }
  if (p.type !== 'Active') {
    if (p.operations !== '') throw new ContractValidateError(`${p.type} permission needn't operations`);
    return;
  }
  if (p.operations.length !== 64 || !/^[0-9a-f]+$/.test(p.operations)) {
    throw new ContractValidateError('operations size must 32');
  }
  for (let i = 0; i < 256; i++) {
    const byteIndex = (i >> 3) * 2;
    const wanted = Number.parseInt(p.operations.slice(byteIndex, byteIndex + 2), 16) & (1 << (i & 7));
    const available = Number.parseInt(AVAILABLE_OPERATIONS.slice(byteIndex, byteIndex + 2), 16) & (1 << (i & 7));
    if (wanted !== 0 && available === 0) throw new ContractValidateError(`${i} isn't a validate ContractType`);
  }
}

function toPermission(raw: RawPermission, id: number): Permission {
  const permission: Permission = {
    type: raw.type === 'Active' ? 'Active' : 'Owner',
    id,
    name: raw.name,
    threshold: raw.threshold,
    keys: raw.keys.map((k) => ({ address: k.address, weight: k.weight })),
  };
  if (raw.type === 'Active') permission.operations = raw.operations;
  return permission;
}

export const accountPermissionUpdate: Actuator<PermissionUpdate> = {
  typeNumber: 46,
  parse(value) {
    const actives = Array.isArray(value.actives) ? value.actives : value.actives === undefined ? [] : [value.actives];
    return {
      owner: addressField(value, 'owner_address'),
      ownerPermission: parsePermission(value.owner),
      witness: parsePermission(value.witness),
      actives: actives.map(parsePermission).filter((p): p is RawPermission => p !== undefined),
    };
  },
  validate({ owner, ownerPermission, witness, actives }, { view }) {
    if (!isValidHexAddress(owner)) throw new ContractValidateError('invalidate ownerAddress');
    if (view.account(owner) === undefined) throw new ContractValidateError('ownerAddress account does not exist');
    if (ownerPermission === undefined) throw new ContractValidateError('owner permission is missed');
    // Devnet accounts are never witnesses.
    if (witness !== undefined) throw new ContractValidateError("account isn't witness can't set witness permission");
    if (actives.length === 0) throw new ContractValidateError('active permission is missed');
    if (actives.length > 8) throw new ContractValidateError('active permission is too many');
    if (ownerPermission.type !== 'Owner') throw new ContractValidateError('owner permission type is error');
    checkPermission(ownerPermission);
    for (const active of actives) {
      if (active.type !== 'Active') throw new ContractValidateError('active permission type is error');
      checkPermission(active);
    }
  },
  execute({ owner, ownerPermission, actives }, { state, view }) {
    const account = view.account(owner)!;
    if (account.balance < UPDATE_PERMISSION_FEE) {
      // java-tron charges the fee in execute, so a poor account fails there, not in validate.
      throw new BroadcastError(
        'CONTRACT_EXE_ERROR',
        `Contract execute error : ${owner} insufficient balance, balance: ${account.balance}, amount: ${UPDATE_PERMISSION_FEE}`,
      );
    }
    state.putAccount({
      ...account,
      balance: account.balance - UPDATE_PERMISSION_FEE,
      owner: toPermission(ownerPermission!, 0),
      actives: actives.map((a, i) => toPermission(a, i + 2)),
    });
    return UPDATE_PERMISSION_FEE;
  },
};
