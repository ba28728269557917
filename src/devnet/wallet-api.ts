// The /wallet/* and /walletsolidity/* endpoints, answering in java-tron's JSON
// shapes: `{}` for anything unknown, `{"Error": …}` for a bad request.
import { buildTransaction } from './build-transaction.js';
import { contractFullNodeHandlers, contractReadHandlers } from './contract-api.js';
import { currentFreeNetUsage, currentNetUsage, delegatableBandwidthSun, delegationSizeEstimate, netLimit } from './bandwidth.js';
import {
  CODE_VERSION,
  CREATE_ACCOUNT_BANDWIDTH_FEE,
  CREATE_ACCOUNT_FEE,
  ENERGY_FEE,
  FREE_NET_LIMIT,
  MAX_CREATE_ACCOUNT_TX_SIZE,
  MAX_FEE_LIMIT,
  MEMO_FEE,
  MULTI_SIGN_FEE,
  TRANSACTION_FEE,
  TRX,
  UPDATE_PERMISSION_FEE,
} from './constants.js';
import { currentEnergyUsage, delegatableEnergySun, energyLimit } from './energy.js';
import type { Account } from './account.js';
import type { BlockRecord, Delegation } from './chain-state.js';
import { parseInt64 } from './json-wire.js';
import { signWeight } from './sign-weight.js';
import {
  accountJson,
  addr,
  addressParam,
  blockJson,
  compact,
  delegationJson,
  transactionInfoJson,
  transactionJson,
  type Handler,
  type WalletRequest,
} from './wallet-json.js';

export { BadRequest } from './wallet-json.js';

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

/** GetBlockByLimitNextServlet.BLOCK_LIMIT_NUM. */
const BLOCKS_PER_REQUEST = 100;

function chainParameters(req: WalletRequest): Record<string, unknown> {
  const params: Array<[string, bigint]> = [
    ['getMaintenanceTimeInterval', 21_600_000n],
    ['getTransactionFee', TRANSACTION_FEE],
    ['getCreateAccountFee', CREATE_ACCOUNT_BANDWIDTH_FEE],
    ['getCreateNewAccountFeeInSystemContract', CREATE_ACCOUNT_FEE],
    ['getCreateNewAccountBandwidthRate', 1n],
    ['getTotalEnergyLimit', req.view.config.totalEnergyLimit],
    ['getTotalEnergyCurrentLimit', req.view.config.totalEnergyLimit],
    ['getEnergyFee', ENERGY_FEE],
    ['getAllowMultiSign', 1n],
    ['getUpdateAccountPermissionFee', UPDATE_PERMISSION_FEE],
    ['getMultiSignFee', MULTI_SIGN_FEE],
    ['getAllowDelegateResource', 1n],
    ['getUnfreezeDelayDays', 14n],
    ['getAllowNewResourceModel', 1n],
    ['getMaxDelegateLockPeriod', req.view.config.maxDelegateLockPeriod],
    ['getFreeNetLimit', FREE_NET_LIMIT],
    ['getTotalNetLimit', req.view.netTotals().totalNetLimit],
    ['getMaxCreateAccountTxSize', MAX_CREATE_ACCOUNT_TX_SIZE],
    ['getMaxFeeLimit', MAX_FEE_LIMIT],
    ['getAllowTvmFreezeV2', 1n],
    ['getMemoFee', MEMO_FEE],
  ];
  return { chainParameter: params.map(([key, value]) => compact({ key, value })) };
}

/** The bandwidth half of getaccountresource, which is all of getaccountnet (usage as recovered by now). */
function bandwidthFields(req: WalletRequest, account: Account): Record<string, unknown> {
  const totals = req.view.netTotals();
  return {
    freeNetUsed: currentFreeNetUsage(account, req.view.slot),
    freeNetLimit: FREE_NET_LIMIT,
    NetUsed: currentNetUsage(account, req.view.slot),
    NetLimit: netLimit(account, totals),
    TotalNetLimit: totals.totalNetLimit,
    TotalNetWeight: totals.totalNetWeight,
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
  // GetBlockByLimitNextServlet: [startNum, endNum), at most 100 blocks, else `{}`; on the
  // solidified view only solidified blocks (Chainbase reads the SOLIDITY cursor).
  getblockbylimitnext: (req) => {
    const start = Number(parseInt64(req.params.startNum) ?? 0n);
    const end = Number(parseInt64(req.params.endNum) ?? 0n);
    return end > 0 && end > start && end - start <= BLOCKS_PER_REQUEST ? blockRange(req, start, end) : {};
  },
  getaccount: (req) => {
    const account = req.view.account(addressParam(req, 'address'));
    return account === undefined ? {} : accountJson(req, account);
  },
  getaccountresource: (req) => {
    const account = req.view.account(addressParam(req, 'address'));
    if (account === undefined) return {};
    const totals = req.view.energyTotals();
    return compact({
      ...bandwidthFields(req, account),
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
    return compact(bandwidthFields(req, account));
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
    const { view } = req;
    let max = 0n;
    if (type === 1) max = delegatableEnergySun(account, view.slot, view.energyTotals());
    if (type === 0) {
      // Bandwidth keeps back what the delegation transaction itself will cost.
      const reserve = delegationSizeEstimate(account.frozenBandwidth, view.config.maxDelegateLockPeriod);
      max = delegatableBandwidthSun(account, view.slot, view.netTotals(), reserve);
    }
    // Less than 1 TRX cannot be delegated, so java-tron reports it as nothing.
    return compact({ max_size: max < TRX ? 0n : max });
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
    return (b?.txIds ?? []).map((id) => transactionInfoJson(req.node.state.transaction(id)!));
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
  ...contractReadHandlers,
};

const fullNodeOnly: Record<string, Handler> = {
  getsignweight: signWeight,
  broadcasttransaction: (req) => req.node.broadcast(req.params),
  createtransaction: buildTransaction('TransferContract', ['owner_address', 'to_address']),
  freezebalancev2: buildTransaction('FreezeBalanceV2Contract', ['owner_address']),
  delegateresource: buildTransaction('DelegateResourceContract', ['owner_address', 'receiver_address']),
  undelegateresource: buildTransaction('UnDelegateResourceContract', ['owner_address', 'receiver_address']),
  accountpermissionupdate: buildTransaction('AccountPermissionUpdateContract', ['owner_address']),
  ...contractFullNodeHandlers,
};

/** The handler for `/wallet/<name>` or `/walletsolidity/<name>`, if there is one. */
export function walletHandler(name: string, solidity: boolean): Handler | undefined {
  const key = name.toLowerCase();
  return readHandlers[key] ?? (solidity ? undefined : fullNodeOnly[key]);
}

