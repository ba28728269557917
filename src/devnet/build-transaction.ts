// The transaction-building endpoints (createtransaction, delegateresource, …):
// validate the contract against the chain first, as java-tron does, then
// return an unsigned transaction referencing the head block.
import { actuators } from './actuators.js';
import { toHexAddress } from './address.js';
import { contextFor } from './broadcast.js';
import type { BlockRecord, RawData } from './chain-state.js';
import { ContractValidateError } from './contract-error.js';
import { parseInt64 } from './json-wire.js';
import { encodeRawData, MalformedTransactionError, sha256Hex } from './transaction-codec.js';
import { BadRequest, type Handler } from './wallet-json.js';

export interface UnsignedTransaction {
  visible: false;
  txID: string;
  raw_data: RawData;
  raw_data_hex: string;
}

/** Builds an unsigned transaction as java-tron's building endpoints do (validate first). */
export function buildTransaction(contractType: string, addressFields: string[]): Handler {
  return (req) => {
    const value: Record<string, unknown> = {};
    for (const [key, raw] of Object.entries(req.params)) {
      if (key === 'visible' || key === 'Permission_id' || key === 'permission_id' || key === 'extra_data') continue;
      value[key] = addressFields.includes(key) && typeof raw === 'string' ? (toHexAddress(raw) ?? raw) : raw;
    }
    for (const field of ['amount', 'frozen_balance', 'balance', 'lock_period']) {
      if (value[field] !== undefined) value[field] = Number(parseInt64(value[field]) ?? 0n);
    }
    if (contractType !== 'TransferContract' && contractType !== 'AccountPermissionUpdateContract' && value.resource === undefined) {
      value.resource = 'BANDWIDTH';
    }
    if (contractType === 'AccountPermissionUpdateContract') {
      for (const p of [value.owner, ...(Array.isArray(value.actives) ? value.actives : [])]) {
        if (p === null || typeof p !== 'object') continue;
        const keys = (p as { keys?: Array<{ address: string }> }).keys ?? [];
        for (const k of keys) k.address = toHexAddress(k.address) ?? k.address;
      }
    }
    const actuator = actuators[contractType]!;
    try {
      actuator.validate(actuator.parse(value), { ...contextFor(req.node.state), building: true });
    } catch (err) {
      if (err instanceof ContractValidateError) {
        throw new BadRequest(`class org.tron.core.exception.ContractValidateException : ${err.message}`);
      }
      throw err;
    }
    return unsignedTransaction(req.node.state.headBlock(), contractType, value, req.params);
  };
}

/**
 * An unsigned transaction of one contract referencing `head`, as java-tron's
 * createTransactionCapsule makes it (expiring 60 s after the head); with
 * `feeLimit`, raw_data carries it (a smart-contract call).
 */
export function unsignedTransaction(
  head: BlockRecord,
  contractType: string,
  value: Record<string, unknown>,
  params: Record<string, unknown>,
  feeLimit?: bigint,
): UnsignedTransaction {
  const contract: RawData['contract'][number] = {
    parameter: { value, type_url: `type.googleapis.com/protocol.${contractType}` },
    type: contractType,
  };
  const permissionId = parseInt64(params.Permission_id ?? params.permission_id);
  if (permissionId !== null && permissionId > 0n) contract.Permission_id = Number(permissionId);
  const raw_data: RawData = {
    contract: [contract],
    ref_block_bytes: head.number.toString(16).padStart(4, '0').slice(-4),
    ref_block_hash: head.id.slice(16, 32),
    expiration: head.timestamp + 60_000,
  };
  if (feeLimit !== undefined && feeLimit > 0n) raw_data.fee_limit = Number(feeLimit);
  raw_data.timestamp = Date.now();
  let bytes: Uint8Array;
  try {
    bytes = encodeRawData({ raw_data });
  } catch (err) {
    throw new MalformedTransactionError(err instanceof Error ? err.message : String(err));
  }
  return { visible: false, txID: sha256Hex(bytes), raw_data, raw_data_hex: Buffer.from(bytes).toString('hex') };
}

