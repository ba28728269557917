// Turns broadcast JSON into what the node checks: the txID re-derived from
// raw_data (java-tron ignores the client's txID and raw_data_hex), the raw
// bytes that were signed, and the single contract. TronWeb's own protobuf
// helpers do the encoding, so the bytes are exactly what TronWeb signs.
import { createHash } from 'node:crypto';
import { utils } from 'tronweb';
import type { RawData, SignedTransaction } from './chain-state.js';

export interface DecodedTransaction {
  txID: string;
  rawBytes: Uint8Array;
  rawDataHex: string;
  contractType: string;
  value: Record<string, unknown>;
  permissionId: number;
  expiration: number;
  /** raw_data.fee_limit, 0 when absent. */
  feeLimit: bigint;
  /** raw_data.data (the memo) is not empty. */
  hasMemo: boolean;
  refBlockBytes: string;
  refBlockHash: string;
  signatures: string[];
}

export class MalformedTransactionError extends Error {
  override readonly name = 'MalformedTransactionError';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

interface RawDataPb {
  serializeBinary(): Uint8Array;
  getData_asU8(): Uint8Array;
}

function rawDataPb(tx: { raw_data: RawData; visible?: boolean }): RawDataPb {
  return utils.transaction.txJsonToPb(tx).getRawData() as RawDataPb;
}

/** Protobuf bytes of raw_data, from its JSON form. */
export function encodeRawData(tx: { raw_data: RawData; visible?: boolean }): Uint8Array {
  return rawDataPb(tx).serializeBinary();
}

/** Whether raw_data carries a memo: its `data` bytes, as they are signed, are not empty. */
export function carriesMemo(tx: { raw_data: RawData; visible?: boolean }): boolean {
  return rawDataPb(tx).getData_asU8().length > 0;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function decodeTransaction(body: unknown): DecodedTransaction {
  if (!isObject(body) || !isObject(body.raw_data)) throw new MalformedTransactionError('raw_data is missing');
  const raw = body.raw_data as unknown as RawData;
  if (!Array.isArray(raw.contract) || raw.contract.length !== 1 || !isObject(raw.contract[0])) {
    throw new MalformedTransactionError('contract size should be exactly 1');
  }
  const contract = raw.contract[0];
  if (typeof contract.type !== 'string' || !isObject(contract.parameter) || !isObject(contract.parameter.value)) {
    throw new MalformedTransactionError('contract parameter is missing');
  }
  let rawBytes: Uint8Array;
  let hasMemo: boolean;
  try {
    const pb = rawDataPb({ raw_data: raw, visible: body.visible === true });
    rawBytes = pb.serializeBinary();
    hasMemo = pb.getData_asU8().length > 0;
  } catch (err) {
    throw new MalformedTransactionError(err instanceof Error ? err.message : String(err));
  }
  const signatures = Array.isArray(body.signature) ? body.signature.map((s) => String(s).replace(/^0x/, '')) : [];
  return {
    txID: sha256Hex(rawBytes),
    rawBytes,
    rawDataHex: Buffer.from(rawBytes).toString('hex'),
    contractType: contract.type,
    value: contract.parameter.value,
    permissionId: typeof contract.Permission_id === 'number' ? contract.Permission_id : 0,
    expiration: typeof raw.expiration === 'number' ? raw.expiration : 0,
    feeLimit: typeof raw.fee_limit === 'number' && Number.isInteger(raw.fee_limit) ? BigInt(raw.fee_limit) : 0n,
    hasMemo,
    refBlockBytes: typeof raw.ref_block_bytes === 'string' ? raw.ref_block_bytes.toLowerCase() : '',
    refBlockHash: typeof raw.ref_block_hash === 'string' ? raw.ref_block_hash.toLowerCase() : '',
    signatures,
  };
}

/** The transaction as the node stores and returns it. */
export function storedTransaction(body: Record<string, unknown>, decoded: DecodedTransaction): SignedTransaction {
  return {
    visible: body.visible === true,
    txID: decoded.txID,
    raw_data: body.raw_data as RawData,
    raw_data_hex: decoded.rawDataHex,
    signature: decoded.signatures,
  };
}
