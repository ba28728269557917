// java-tron's JSON shapes for what the wallet endpoints return: protobuf JSON
// with default (zero, empty) fields left out, addresses hex unless `visible`.
import type { Account, Permission } from './account.js';
import { toBase58, toHexAddress } from './address.js';
import type { BlockRecord, ChainView, Delegation, TxRecord } from './chain-state.js';
import { RESOURCE_WINDOW_SLOTS } from './constants.js';
import type { DevnetNode } from './devnet-node.js';
import { sha256Hex } from './transaction-codec.js';

export interface WalletRequest {
  params: Record<string, unknown>;
  view: ChainView;
  solidity: boolean;
  node: DevnetNode;
  visible: boolean;
}

export type Handler = (req: WalletRequest) => unknown;

/** A request the node refuses; answered as 200 `{"Error": …}` like java-tron's servlets. */
export class BadRequest extends Error {
  override readonly name = 'BadRequest';
}

/** The devnet's one block producer, as it appears in block headers. */
const WITNESS = '41' + '7d'.repeat(20);

export function addr(req: WalletRequest, hex: string): string {
  return req.visible ? toBase58(hex) : hex;
}

/** Drops fields whose value is a protobuf default, as proto3 JSON printing does. */
export function compact<T extends Record<string, unknown>>(obj: T): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined || v === 0n || v === 0 || v === false || v === '') continue;
    if (Array.isArray(v) && v.length === 0) continue;
    out[k] = v;
  }
  return out as Partial<T>;
}

export function addressParam(req: WalletRequest, ...names: string[]): string {
  for (const name of names) {
    const raw = req.params[name];
    if (raw === undefined) continue;
    const hex = toHexAddress(raw);
    if (hex === null) throw new BadRequest(`INVALID address ${String(raw)}`);
    return hex;
  }
  throw new BadRequest(`${names[0]} is required`);
}

export function permissionJson(req: WalletRequest, p: Permission): Record<string, unknown> {
  return compact({
    type: p.type === 'Owner' ? undefined : p.type,
    id: p.id,
    permission_name: p.name,
    threshold: p.threshold,
    operations: p.operations,
    keys: p.keys.map((k) => ({ address: addr(req, k.address), weight: k.weight })),
  });
}

export function accountJson(req: WalletRequest, a: Account): Record<string, unknown> {
  return compact({
    address: addr(req, a.address),
    type: a.type === 'Contract' ? 'Contract' : undefined,
    balance: a.balance,
    create_time: BigInt(a.createTime),
    net_usage: a.netUsage,
    free_net_usage: a.freeNetUsage,
    latest_consume_time: BigInt(a.netUsageSlot),
    latest_consume_free_time: BigInt(a.freeNetUsageSlot),
    net_window_size: RESOURCE_WINDOW_SLOTS,
    account_resource: compact({
      energy_usage: a.energyUsage,
      latest_consume_time_for_energy: BigInt(a.energyUsageSlot),
      energy_window_size: RESOURCE_WINDOW_SLOTS,
      delegated_frozenV2_balance_for_energy: a.delegatedEnergy,
      acquired_delegated_frozenV2_balance_for_energy: a.acquiredEnergy,
    }),
    owner_permission: permissionJson(req, a.owner),
    active_permission: a.actives.map((p) => permissionJson(req, p)),
    frozenV2: [compact({ amount: a.frozenBandwidth }), compact({ type: 'ENERGY', amount: a.frozenEnergy }), { type: 'TRON_POWER' }],
    delegated_frozenV2_balance_for_bandwidth: a.delegatedBandwidth,
    acquired_delegated_frozenV2_balance_for_bandwidth: a.acquiredBandwidth,
  });
}

export function blockJson(req: WalletRequest, b: BlockRecord, detail: boolean): Record<string, unknown> {
  const json: Record<string, unknown> = {
    blockID: b.id,
    block_header: {
      raw_data: {
        // Kept even for block 0 (proto3 would drop it): TronWeb reads it unconditionally.
        number: BigInt(b.number),
        txTrieRoot: b.txIds.length === 0 ? '0'.repeat(64) : sha256Hex(Buffer.from(b.txIds.join(''), 'hex')),
        witness_address: addr(req, WITNESS),
        parentHash: b.parentId,
        version: 32,
        timestamp: BigInt(b.timestamp),
      },
      witness_signature: sha256Hex(Buffer.from(b.id, 'hex')) + sha256Hex(Buffer.from(b.parentId, 'hex')) + '00',
    },
  };
  if (detail && b.txIds.length > 0) {
    json.transactions = b.txIds.map((id) => transactionJson(req.node.state.transaction(id)!));
  }
  return json;
}

export function transactionJson(tx: TxRecord): Record<string, unknown> {
  return {
    // Only the result code: java-tron keeps what a transaction burnt in its TransactionInfo.
    ret: [{ contractRet: tx.vm?.contractRet ?? 'SUCCESS' }],
    signature: tx.tx.signature,
    txID: tx.txID,
    raw_data: tx.tx.raw_data,
    raw_data_hex: tx.tx.raw_data_hex,
  };
}

/**
 * TransactionInfo: `fee` is everything burnt; the receipt says how the bytes were paid (net_usage,
 * or net_fee in sun) and, for a smart-contract call, its energy (energy_usage from the caller's
 * energy, energy_fee burnt for the rest, energy_usage_total) and result. A failed call carries
 * `result: FAILED` and the VM's message (hex) in resMessage.
 */
export function transactionInfoJson(tx: TxRecord): Record<string, unknown> {
  const vm = tx.vm;
  return compact({
    id: tx.txID,
    fee: tx.fee,
    blockNumber: BigInt(tx.blockNumber ?? 0),
    blockTimeStamp: BigInt(tx.blockTimestamp ?? 0),
    contractResult: [vm?.contractResult ?? ''],
    contract_address: vm?.contractAddress,
    receipt: compact({
      energy_usage: vm?.energyUsage,
      energy_fee: vm?.energyFee,
      energy_usage_total: vm?.energyUsageTotal,
      net_usage: tx.netUsage ?? 0n,
      net_fee: tx.netFee ?? 0n,
      result: vm?.contractRet,
    }),
    log: vm?.logs,
    result: vm !== undefined && vm.contractRet !== 'SUCCESS' ? 'FAILED' : undefined,
    resMessage: vm?.runtimeError === undefined ? undefined : Buffer.from(vm.runtimeError, 'utf8').toString('hex'),
  });
}

export function delegationJson(req: WalletRequest, d: Delegation): Record<string, unknown> {
  return compact({
    from: addr(req, d.from),
    to: addr(req, d.to),
    frozen_balance_for_bandwidth: d.bandwidth,
    frozen_balance_for_energy: d.energy,
    expire_time_for_bandwidth: BigInt(d.bandwidthExpireTime),
    expire_time_for_energy: BigInt(d.energyExpireTime),
  });
}

