// The /wallet/* and /walletsolidity/* endpoints, answering in java-tron's JSON
// shapes: protobuf JSON with default (zero, empty) fields left out, `{}` for
// anything unknown, `{"Error": …}` for a bad request.
import type { Account, Permission } from './account.js';
import { actuators } from './actuators.js';
import { toBase58, toHexAddress } from './address.js';
import type { BlockRecord, ChainView, Delegation, RawData, TxRecord } from './chain-state.js';
import {
  CODE_VERSION,
  CREATE_ACCOUNT_FEE,
  FREE_NET_LIMIT,
  MAX_DELEGATE_LOCK_PERIOD,
  RESOURCE_WINDOW_SLOTS,
  TOTAL_NET_LIMIT,
  TRX,
  UPDATE_PERMISSION_FEE,
} from './constants.js';
import { ContractValidateError } from './contract-error.js';
import { claimedPermission, contextFor, SignatureError } from './broadcast.js';
import { addressField } from './contract-input.js';
import { SignatureFormatError } from './signature.js';
import type { DevnetNode } from './devnet-node.js';
import { currentEnergyUsage, delegatableEnergySun, energyLimit } from './energy.js';
import { parseInt64 } from './json-wire.js';
import { MalformedTransactionError, decodeTransaction, encodeRawData, sha256Hex } from './transaction-codec.js';

export interface WalletRequest {
  params: Record<string, unknown>;
  view: ChainView;
  solidity: boolean;
  node: DevnetNode;
  visible: boolean;
}

type Handler = (req: WalletRequest) => unknown;

/** A request the node refuses; answered as 200 `{"Error": …}` like java-tron's servlets. */
export class BadRequest extends Error {
  override readonly name = 'BadRequest';
}

const WITNESS = '41' + '7d'.repeat(20);

function addr(req: WalletRequest, hex: string): string {
  return req.visible ? toBase58(hex) : hex;
}

/** Drops fields whose value is a protobuf default, as proto3 JSON printing does. */
function compact<T extends Record<string, unknown>>(obj: T): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined || v === 0n || v === 0 || v === false || v === '') continue;
    if (Array.isArray(v) && v.length === 0) continue;
    out[k] = v;
  }
  return out as Partial<T>;
}

function addressParam(req: WalletRequest, ...names: string[]): string {
  for (const name of names) {
    const raw = req.params[name];
    if (raw === undefined) continue;
    const hex = toHexAddress(raw);
    if (hex === null) throw new BadRequest(`INVALID address ${String(raw)}`);
    return hex;
  }
  throw new BadRequest(`${names[0]} is required`);
}

function permissionJson(req: WalletRequest, p: Permission): Record<string, unknown> {
  return compact({
    type: p.type === 'Owner' ? undefined : p.type,
    id: p.id,
    permission_name: p.name,
    threshold: p.threshold,
    operations: p.operations,
    keys: p.keys.map((k) => ({ address: addr(req, k.address), weight: k.weight })),
  });
}

function accountJson(req: WalletRequest, a: Account): Record<string, unknown> {
  return compact({
    address: addr(req, a.address),
    type: a.type === 'Contract' ? 'Contract' : undefined,
    balance: a.balance,
    create_time: BigInt(a.createTime),
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

function blockJson(req: WalletRequest, b: BlockRecord, detail: boolean): Record<string, unknown> {
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
    json.transactions = b.txIds.map((id) => transactionJson(req.node.state.txs.get(id)!));
  }
  return json;
}

function transactionJson(tx: TxRecord): Record<string, unknown> {
  return {
    ret: [compact({ fee: tx.fee, contractRet: 'SUCCESS' })],
    signature: tx.tx.signature,
    txID: tx.txID,
    raw_data: tx.tx.raw_data,
    raw_data_hex: tx.tx.raw_data_hex,
  };
}

function transactionInfoJson(tx: TxRecord): Record<string, unknown> {
  const netUsage = BigInt(Math.ceil((tx.tx.raw_data_hex?.length ?? 0) / 2) + 65 * tx.tx.signature.length + 64);
  return compact({
    id: tx.txID,
    fee: tx.fee,
    blockNumber: BigInt(tx.blockNumber ?? 0),
    blockTimeStamp: BigInt(tx.blockTimestamp ?? 0),
    contractResult: [''],
    receipt: { net_usage: netUsage },
  });
}

function delegationJson(req: WalletRequest, d: Delegation): Record<string, unknown> {
  return compact({
    from: addr(req, d.from),
    to: addr(req, d.to),
    frozen_balance_for_bandwidth: d.bandwidth,
    frozen_balance_for_energy: d.energy,
    expire_time_for_bandwidth: BigInt(d.bandwidthExpireTime),
    expire_time_for_energy: BigInt(d.energyExpireTime),
  });
}

function blockParam(req: WalletRequest): BlockRecord | undefined {
  const raw = req.params.id_or_num;
  if (raw === undefined || raw === '') return req.view.block;
  const text = String(raw);
  if (/^\d+$/.test(text)) return req.view.blockByNumber(Number(text));
  return req.view.blockById(text);
}

function detailParam(req: WalletRequest): boolean {
  return req.params.detail === true || req.params.detail === 'true';
}

function blockRange(req: WalletRequest, start: number, end: number): Record<string, unknown> {
  const blocks: Record<string, unknown>[] = [];
  for (let n = Math.max(0, start); n < end && n <= req.view.block.number; n++) {
    const b = req.view.blockByNumber(n);
    if (b !== undefined) blocks.push(blockJson(req, b, true));
  }
  return blocks.length === 0 ? {} : { block: blocks };
}

function chainParameters(req: WalletRequest): Record<string, unknown> {
  const params: Array<[string, bigint]> = [
    ['getMaintenanceTimeInterval', 21_600_000n],
    ['getTransactionFee', 1000n],
    ['getCreateAccountFee', 100_000n],
    ['getCreateNewAccountFeeInSystemContract', CREATE_ACCOUNT_FEE],
    ['getCreateNewAccountBandwidthRate', 1n],
    ['getTotalEnergyLimit', req.view.config.totalEnergyLimit],
    ['getTotalEnergyCurrentLimit', req.view.config.totalEnergyLimit],
    ['getEnergyFee', 100n],
    ['getAllowMultiSign', 1n],
    ['getUpdateAccountPermissionFee', UPDATE_PERMISSION_FEE],
    ['getMultiSignFee', 1_000_000n],
    ['getAllowDelegateResource', 1n],
    ['getUnfreezeDelayDays', 14n],
    ['getAllowNewResourceModel', 1n],
    ['getMaxDelegateLockPeriod', MAX_DELEGATE_LOCK_PERIOD],
    ['getFreeNetLimit', FREE_NET_LIMIT],
    ['getTotalNetLimit', TOTAL_NET_LIMIT],
  ];
  return { chainParameter: params.map(([key, value]) => compact({ key, value })) };
}

/** Builds an unsigned transaction as java-tron's building endpoints do (validate first). */
function buildTransaction(contractType: string, addressFields: string[]): Handler {
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
      actuator.validate(actuator.parse(value), contextFor(req.node.state));
    } catch (err) {
      if (err instanceof ContractValidateError) {
        throw new BadRequest(`class org.tron.core.exception.ContractValidateException : ${err.message}`);
      }
      throw err;
    }
    const head = req.node.state.headBlock();
    const contract: RawData['contract'][number] = {
      parameter: { value, type_url: `type.googleapis.com/protocol.${contractType}` },
      type: contractType,
    };
    const permissionId = parseInt64(req.params.Permission_id ?? req.params.permission_id);
    if (permissionId !== null && permissionId > 0n) contract.Permission_id = Number(permissionId);
    const raw_data: RawData = {
      contract: [contract],
      ref_block_bytes: head.number.toString(16).padStart(4, '0').slice(-4),
      ref_block_hash: head.id.slice(16, 32),
      expiration: head.timestamp + 60_000,
      timestamp: Date.now(),
    };
    let bytes: Uint8Array;
    try {
      bytes = encodeRawData({ raw_data });
    } catch (err) {
      throw new MalformedTransactionError(err instanceof Error ? err.message : String(err));
    }
    return { visible: false, txID: sha256Hex(bytes), raw_data, raw_data_hex: Buffer.from(bytes).toString('hex') };
  };
}

const readHandlers: Record<string, Handler> = {
  getnowblock: (req) => blockJson(req, req.view.block, true),
  getblock: (req) => {
    const b = blockParam(req);
    return b === undefined ? {} : blockJson(req, b, detailParam(req));
  },
  getblockbynum: (req) => {
    const num = parseInt64(req.params.num);
    const b = num === null ? undefined : req.view.blockByNumber(Number(num));
    return b === undefined ? {} : blockJson(req, b, true);
  },
  getblockbyid: (req) => {
    const b = req.view.blockById(String(req.params.value ?? ''));
    return b === undefined ? {} : blockJson(req, b, true);
  },
  getblockbylatestnum: (req) => {
    const num = Number(parseInt64(req.params.num) ?? 0n);
    const head = req.view.block.number;
    return blockRange(req, head - num + 1, head + 1);
  },
  getblockbylimitnext: (req) =>
    blockRange(req, Number(parseInt64(req.params.startNum) ?? 0n), Number(parseInt64(req.params.endNum) ?? 0n)),
  getaccount: (req) => {
    const account = req.view.account(addressParam(req, 'address'));
    return account === undefined ? {} : accountJson(req, account);
  },
  getaccountresource: (req) => {
    const account = req.view.account(addressParam(req, 'address'));
    if (account === undefined) return {};
    const totals = req.view.energyTotals();
    const netWeight = req.view.totalNetWeight();
    const netStake = (account.frozenBandwidth + account.acquiredBandwidth) / TRX;
    return compact({
      freeNetLimit: FREE_NET_LIMIT,
      NetLimit: netWeight > 0n ? (netStake * TOTAL_NET_LIMIT) / netWeight : 0n,
      TotalNetLimit: TOTAL_NET_LIMIT,
      TotalNetWeight: netWeight,
      tronPowerLimit: (account.frozenEnergy + account.frozenBandwidth + account.delegatedEnergy + account.delegatedBandwidth) / TRX,
      EnergyUsed: currentEnergyUsage(account, req.view.slot),
      EnergyLimit: energyLimit(account, totals),
      TotalEnergyLimit: totals.totalEnergyLimit,
      TotalEnergyWeight: totals.totalEnergyWeight,
    });
  },
  getaccountnet: (req) => {
    const account = req.view.account(addressParam(req, 'address'));
    if (account === undefined) return {};
    const netWeight = req.view.totalNetWeight();
    const netStake = (account.frozenBandwidth + account.acquiredBandwidth) / TRX;
    return compact({
      freeNetLimit: FREE_NET_LIMIT,
      NetLimit: netWeight > 0n ? (netStake * TOTAL_NET_LIMIT) / netWeight : 0n,
      TotalNetLimit: TOTAL_NET_LIMIT,
      TotalNetWeight: netWeight,
    });
  },
  getdelegatedresourcev2: (req) => {
    const from = addressParam(req, 'fromAddress', 'from_address');
    const to = addressParam(req, 'toAddress', 'to_address');
    const records = [req.view.delegation(from, to, false), req.view.delegation(from, to, true)].filter(
      (d): d is Delegation => d !== undefined,
    );
    return records.length === 0 ? {} : { delegatedResource: records.map((d) => delegationJson(req, d)) };
  },
  getdelegatedresourceaccountindexv2: (req) => {
    const account = addressParam(req, 'value', 'address');
    const fromAccounts = new Set<string>();
    const toAccounts = new Set<string>();
    for (const d of req.view.delegations()) {
      if (d.to === account) fromAccounts.add(d.from);
      if (d.from === account) toAccounts.add(d.to);
    }
    if (fromAccounts.size === 0 && toAccounts.size === 0) return {};
    return compact({
      account: addr(req, account),
      fromAccounts: [...fromAccounts].map((a) => addr(req, a)),
      toAccounts: [...toAccounts].map((a) => addr(req, a)),
    });
  },
  getcandelegatedmaxsize: (req) => {
    const account = req.view.account(addressParam(req, 'owner_address'));
    if (account === undefined) return {};
    const type = Number(parseInt64(req.params.type) ?? 0n);
    const max = type === 1 ? delegatableEnergySun(account, req.view.slot, req.view.energyTotals()) : account.frozenBandwidth;
    return compact({ max_size: max });
  },
  getavailableunfreezecount: (req) => (req.view.account(addressParam(req, 'owner_address')) === undefined ? {} : { count: 32n }),
  getcanwithdrawunfreezeamount: () => ({}),
  gettransactionbyid: (req) => {
    const tx = req.view.transaction(String(req.params.value ?? ''));
    return tx === undefined ? {} : transactionJson(tx);
  },
  gettransactioninfobyid: (req) => {
    const tx = req.view.transaction(String(req.params.value ?? ''));
    return tx === undefined ? {} : transactionInfoJson(tx);
  },
  gettransactioninfobyblocknum: (req) => {
    const b = req.view.blockByNumber(Number(parseInt64(req.params.num) ?? -1n));
    return (b?.txIds ?? []).map((id) => transactionInfoJson(req.node.state.txs.get(id)!));
  },
  getchainparameters: chainParameters,
  getnodeinfo: (req) => ({
    beginSyncNum: BigInt(req.view.block.number),
    block: `Num:${req.view.block.number},ID:${req.view.block.id}`,
    solidityBlock: `Num:${req.node.state.solidBlock},ID:${req.node.state.blocks.get(req.node.state.solidBlock)?.id ?? ''}`,
    currentConnectCount: 0,
    activeConnectCount: 0,
    passiveConnectCount: 0,
    totalFlow: 0,
    peerList: [],
    configNodeInfo: { codeVersion: CODE_VERSION, p2pVersion: 'devnet', versionNum: '1', blockProducedTimeOut: 75 },
    machineInfo: {},
    cheatWitnessInfoMap: {},
  }),
  getenergyprices: () => ({ prices: '0:100' }),
  getbandwidthprices: () => ({ prices: '0:1000' }),
};

/** wallet/getsignweight: what TronWeb's multiSign asks before adding a signature. */
async function signWeight(req: WalletRequest): Promise<unknown> {
  const tx = decodeTransaction(req.params);
  const transaction = {
    visible: req.params.visible === true,
    txID: tx.txID,
    raw_data: req.params.raw_data,
    raw_data_hex: tx.rawDataHex,
    ...(tx.signatures.length > 0 ? { signature: tx.signatures } : {}),
  };
  const wrapped = { result: { result: true }, txid: tx.txID, transaction };
  const owner = addressField(tx.value, 'owner_address');
  let permission: Permission;
  try {
    permission = claimedPermission(req.node.state, tx, owner, false);
  } catch (err) {
    if (err instanceof SignatureError) return { result: { code: 'PERMISSION_ERROR', message: err.message }, transaction: wrapped };
    throw err;
  }
  const approved: string[] = [];
  let weight = 0n;
  const signers = await req.node.verifier.signersOf(tx, permission.keys.map((k) => k.address));
  for (const signer of signers) {
    if (signer instanceof SignatureFormatError) {
      return { result: { code: 'SIGNATURE_FORMAT_ERROR', message: signer.message }, transaction: wrapped };
    }
    const key = permission.keys.find((k) => k.address === signer);
    if (key === undefined) {
      return {
        result: { code: 'PERMISSION_ERROR', message: `${toBase58(signer)} is not contained of permission.` },
        transaction: wrapped,
      };
    }
    approved.push(addr(req, signer));
    weight += key.weight;
  }
  return compact({
    permission: permissionJson(req, permission),
    approved_list: approved,
    current_weight: weight,
    result: { code: weight >= permission.threshold ? 'ENOUGH_PERMISSION' : 'NOT_ENOUGH_PERMISSION' },
    transaction: wrapped,
  });
}

const fullNodeOnly: Record<string, Handler> = {
  getsignweight: signWeight,
  broadcasttransaction: (req) => req.node.broadcast(req.params),
  createtransaction: buildTransaction('TransferContract', ['owner_address', 'to_address']),
  freezebalancev2: buildTransaction('FreezeBalanceV2Contract', ['owner_address']),
  delegateresource: buildTransaction('DelegateResourceContract', ['owner_address', 'receiver_address']),
  undelegateresource: buildTransaction('UnDelegateResourceContract', ['owner_address', 'receiver_address']),
  accountpermissionupdate: buildTransaction('AccountPermissionUpdateContract', ['owner_address']),
};

/** The handler for `/wallet/<name>` or `/walletsolidity/<name>`, if there is one. */
export function walletHandler(name: string, solidity: boolean): Handler | undefined {
  const key = name.toLowerCase();
  return readHandlers[key] ?? (solidity ? undefined : fullNodeOnly[key]);
}
