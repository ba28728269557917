// Everything the devnet chain knows: accounts, delegations, network totals,
// blocks and transactions. Account-like state is versioned per block so the
// full-node view (head, with pending transactions) and the solidified view
// (head - lag) are both exact.
import { withAccountDefaults, type Account } from './account.js';
import type { NetTotals } from './bandwidth.js';
import { BLOCK_INTERVAL_MS, TOTAL_NET_LIMIT, TRX } from './constants.js';
import { EmptyBlocks } from './empty-blocks.js';
import type { EnergyTotals } from './energy.js';
import type { HistoryStore } from './history-store.js';
import { PENDING, VersionedMap, type VersionedMapData } from './versioned-map.js';

/** One aggregate per (owner, receiver, locked?), as java-tron's DelegatedResourceStore keys V2 records. */
export interface Delegation {
  from: string;
  to: string;
  lock: boolean;
  energy: bigint;
  energyExpireTime: number;
  bandwidth: bigint;
  bandwidthExpireTime: number;
}

export interface NetworkTotals {
  /** Sun staked for energy by accounts on this devnet. */
  stakedEnergy: bigint;
  stakedBandwidth: bigint;
  /** TotalEnergyWeight (TRX) of the rest of the network, once moved by the admin API; the genesis value until then. */
  restEnergyWeight?: bigint;
}

export interface BlockRecord {
  number: number;
  id: string;
  parentId: string;
  timestamp: number;
  txIds: string[];
}

export type TxStatus = 'pending' | 'delayed' | 'included' | 'dropped' | 'failed';

/** A transaction the node accepted, and what became of it. */
export interface TxRecord {
  txID: string;
  /** The signed transaction JSON as broadcast (hex addresses). */
  tx: SignedTransaction;
  contractType: string;
  owner: string;
  receiver?: string;
  amount?: bigint;
  resource?: string;
  status: TxStatus;
  /** For delayed transactions: the first block that may include it. */
  includeAtBlock?: number;
  blockNumber?: number;
  blockTimestamp?: number;
  /** Everything it burnt: contractFee + netFee + multiSignFee + memoFee (+ energy fee) (TransactionInfo.fee). */
  fee: bigint;
  /** Burnt by the contract itself (an account creation, a permission update). */
  contractFee?: bigint;
  /** Bandwidth paid from staked or free bandwidth (receipt.net_usage). */
  netUsage?: bigint;
  /** TRX burnt for bandwidth (receipt.net_fee). */
  netFee?: bigint;
  /** Burnt because it carries more than one signature. */
  multiSignFee?: bigint;
  /** Burnt because it carries a memo (getMemoFee). */
  memoFee?: bigint;
  expiration: number;
  /** A smart-contract call's outcome (TransactionInfo and the block's ret): set for TriggerSmartContract only. */
  vm?: VmOutcome;
  /** Why a delayed transaction failed when its block came. */
  failure?: string;
  /** The failure code the node answered although it accepted the transaction (accept-then-fail fault). */
  answered?: string;
}

/** Resource receipt and result of a smart-contract call, as java-tron's TransactionInfo carries them. */
export interface VmOutcome {
  /** contractRet in the block: SUCCESS, REVERT, OUT_OF_ENERGY. */
  contractRet: string;
  /** Energy paid from the caller's energy limit (receipt.energy_usage). */
  energyUsage: bigint;
  /** Sun burnt for the rest (receipt.energy_fee). */
  energyFee: bigint;
  /** receipt.energy_usage_total. */
  energyUsageTotal: bigint;
  /** The call's return data, hex. */
  contractResult: string;
  /** 41… hex of the contract called. */
  contractAddress: string;
  /** Events: address is the 20-byte hex of the emitting contract, topics and data hex. */
  logs: Array<{ address: string; topics: string[]; data: string }>;
  /** The VM's runtime error (resMessage) when the call failed. */
  runtimeError?: string;
}

export interface SignedTransaction {
  visible?: boolean;
  txID: string;
  raw_data: RawData;
  raw_data_hex?: string;
  signature: string[];
}

export interface RawData {
  contract: Array<{ type: string; parameter: { value: Record<string, unknown>; type_url?: string }; Permission_id?: number }>;
  ref_block_bytes: string;
  ref_block_hash: string;
  expiration: number;
  timestamp?: number;
  fee_limit?: number;
  data?: string;
}

export interface ChainConfig {
  totalEnergyLimit: bigint;
  /** TotalEnergyWeight (TRX) of the rest of the network, which the devnet only models. */
  restEnergyWeight: bigint;
  restNetWeight: bigint;
  solidifyLag: number;
  /** getMaxDelegateLockPeriod, in blocks. */
  maxDelegateLockPeriod: bigint;
}

export interface ChainStateData {
  config: { totalEnergyLimit: bigint; restEnergyWeight: bigint; restNetWeight: bigint };
  genesisTimestamp: number;
  head: number;
  /** The rest of the network's energy weight the next block brings. */
  scheduledRestEnergyWeight?: bigint;
  accounts: VersionedMapData<Account>;
  delegations: VersionedMapData<Delegation>;
  totals: VersionedMapData<NetworkTotals>;
  /** TRC20 balances, keyed `contract:holder` (41… hex); absent in files written before tokens were kept. */
  tokens?: VersionedMapData<bigint>;
  blocks: BlockRecord[];
  txs: TxRecord[];
}

/** What `ChainState.settled` found: entries for the history, and the last block it looked at. */
export interface Settled {
  blocks: BlockRecord[];
  txs: TxRecord[];
  through: number;
}

const TOTALS_KEY = 'totals';
/** Empty blocks answered: the TaPoS window plus slack; older ones are forgotten. */
const BLOCKS_KEPT = 70_000;
/**
 * Recent blocks, kept as records (older empty ones are packed: EmptyBlocks) and
 * written to the data file: enough for in-flight transactions' TaPoS.
 */
const BLOCKS_SAVED = 2_000;
/**
 * Blocks past the solidified head before a block with transactions may settle
 * (move to the history): the look-ups of what was just sent, and of the
 * blocks a follower reads as they solidify, stay in memory. Not more: what
 * has not settled is rewritten with the data file after every block.
 */
const SETTLE_MARGIN = 20;

export function tokenKey(contract: string, holder: string): string {
  return `${contract}:${holder}`;
}

/** What `spender` may move of `owner`'s tokens (TRC20 allowance), kept beside the balances under keys no holder's can take. */
export function allowanceKey(contract: string, owner: string, spender: string): string {
  return `allowance:${contract}:${owner}:${spender}`;
}

export function delegationKey(from: string, to: string, lock: boolean): string {
  return `${from}:${to}:${lock ? 1 : 0}`;
}

export class ChainState {
  readonly accounts: VersionedMap<Account>;
  readonly delegations: VersionedMap<Delegation>;
  readonly totals: VersionedMap<NetworkTotals>;
  /** TRC20 balances (the built-in USDT), keyed by tokenKey. */
  readonly tokens: VersionedMap<bigint>;
  /** Recent blocks, and older ones with transactions not yet settled (in `history` once they are). */
  readonly blocks = new Map<number, BlockRecord>();
  /** Older empty blocks, up to BLOCKS_KEPT behind the head. */
  private readonly olderEmpty = new EmptyBlocks(BLOCKS_KEPT - BLOCKS_SAVED);
  /** Transactions that may still change or be sent again; the settled ones are in `history`. */
  readonly txs = new Map<string, TxRecord>();
  /** Settled blocks and transactions on disk (with a data file only: without one, all stay in memory). */
  history: HistoryStore | undefined;
  /** Transactions that failed or were dropped outside any block, kept in memory until they expire. */
  private readonly blockless = new Set<string>();
  /** Blocks up to this number have left memory for the history (or were empty). */
  private settledThrough = -1;
  /** Accepted and applied, waiting for the next block. */
  pending: string[] = [];
  /** Accepted, held back by the delay fault until their block. */
  readonly delayed = new Set<string>();
  head = 0;
  /** Set by the admin API: the rest of the network's TotalEnergyWeight (TRX) from the next block on. */
  scheduledRestEnergyWeight: bigint | undefined;

  constructor(
    readonly config: ChainConfig,
    readonly genesisTimestamp: number,
    data?: ChainStateData,
  ) {
    this.accounts = data ? VersionedMap.fromData(data.accounts, withAccountDefaults) : new VersionedMap();
    this.delegations = data ? VersionedMap.fromData(data.delegations) : new VersionedMap();
    this.totals = data ? VersionedMap.fromData(data.totals) : new VersionedMap();
    this.tokens = data?.tokens ? VersionedMap.fromData(data.tokens) : new VersionedMap();
    if (data) {
      this.head = data.head;
      this.scheduledRestEnergyWeight = data.scheduledRestEnergyWeight;
      for (const block of data.blocks) this.blocks.set(block.number, block);
      for (const tx of data.txs) {
        this.txs.set(tx.txID, tx);
        if (tx.status === 'pending') this.pending.push(tx.txID);
        if (tx.status === 'delayed') this.delayed.add(tx.txID);
        if (tx.status === 'failed' || tx.status === 'dropped') this.blockless.add(tx.txID);
      }
      // The history holds every settled block below the oldest the data file kept.
      this.settledThrough = data.blocks.reduce((lowest, b) => Math.min(lowest, b.number), this.head) - 1;
    }
  }

  /** A transaction the node accepted, in memory or in the history. */
  transaction(txID: string): TxRecord | undefined {
    return this.txs.get(txID) ?? this.history?.transaction(txID);
  }

  /** A block of the chain, in memory or in the history; undefined for an old empty one, forgotten. */
  block(num: number): BlockRecord | undefined {
    return this.blocks.get(num) ?? this.olderEmpty.get(num) ?? this.history?.block(num);
  }

  /** Marks a transaction failed or dropped outside any block, so it leaves memory once expired. */
  leftOutOfBlocks(tx: TxRecord): void {
    this.blockless.add(tx.txID);
  }

  /**
   * Blocks and transactions no one can change or send again: blocks at least
   * SETTLE_MARGIN behind the solidified head whose transactions have all expired (a
   * re-broadcast is refused as expired before it is looked up), oldest first,
   * and expired transactions that failed or were dropped outside any block.
   * `forgetSettled` drops them from memory once the history holds them.
   */
  settled(): Settled {
    const blocks: BlockRecord[] = [];
    const txs: TxRecord[] = [];
    const now = this.headBlock().timestamp;
    let through = this.settledThrough;
    for (let n = through + 1; n <= this.solidBlock - SETTLE_MARGIN; n++) {
      const block = this.blocks.get(n);
      if (block !== undefined && block.txIds.length > 0) {
        const held = block.txIds.map((id) => this.txs.get(id)!);
        // Expirations are up to a day ahead: a block waits for its last one, and the blocks after it wait too.
        if (held.some((tx) => tx.expiration > now)) break;
        blocks.push(block);
        txs.push(...held);
      }
      through = n;
    }
    for (const txID of this.blockless) {
      const tx = this.txs.get(txID);
      if (tx !== undefined && tx.expiration <= now && (tx.status === 'failed' || tx.status === 'dropped')) txs.push(tx);
    }
    return { blocks, txs, through };
  }

  forgetSettled(settled: Settled): void {
    for (const tx of settled.txs) {
      this.txs.delete(tx.txID);
      this.blockless.delete(tx.txID);
    }
    for (const block of settled.blocks) this.blocks.delete(block.number);
    this.settledThrough = settled.through;
  }

  get solidBlock(): number {
    return Math.max(0, this.head - this.config.solidifyLag);
  }

  headBlock(): BlockRecord {
    return this.blocks.get(this.head)!;
  }

  /** The full node's view: head state with pending transactions applied. */
  latest(): ChainView {
    return new ChainView(this, PENDING, this.headBlock());
  }

  /** The solidified view: state as of head - lag. */
  solid(): ChainView {
    const block = this.blocks.get(this.solidBlock) ?? this.headBlock();
    return new ChainView(this, block.number, block);
  }

  putAccount(account: Account): void {
    this.accounts.set(account.address, account);
  }

  putDelegation(delegation: Delegation): void {
    const key = delegationKey(delegation.from, delegation.to, delegation.lock);
    if (delegation.energy === 0n && delegation.bandwidth === 0n) this.delegations.delete(key);
    else this.delegations.set(key, delegation);
  }

  putTokenBalance(contract: string, holder: string, balance: bigint): void {
    const key = tokenKey(contract, holder);
    if (balance === 0n) this.tokens.delete(key);
    else this.tokens.set(key, balance);
  }

  putTokenAllowance(contract: string, owner: string, spender: string, value: bigint): void {
    const key = allowanceKey(contract, owner, spender);
    if (value === 0n) this.tokens.delete(key);
    else this.tokens.set(key, value);
  }

  putTotals(totals: NetworkTotals): void {
    this.totals.set(TOTALS_KEY, totals);
  }

  /**
   * Runs `step` as one unit: if it throws, every state write it made is undone,
   * as java-tron discards a transaction's session when processing it fails.
   * With `dryRun`, the writes are undone even when it succeeds.
   */
  atomically<T>(step: () => T, dryRun = false): T {
    const maps = [this.accounts, this.delegations, this.totals, this.tokens] as const;
    for (const map of maps) map.begin();
    let result: T;
    try {
      result = step();
    } catch (err) {
      for (const map of maps) map.rollback();
      throw err;
    }
    for (const map of maps) {
      if (dryRun) map.rollback();
      else map.commit();
    }
    return result;
  }

  /** Appends a block, stamping pending state writes with its number. */
  appendBlock(block: BlockRecord): void {
    this.blocks.set(block.number, block);
    this.head = block.number;
    const oldestReadable = this.solidBlock;
    this.accounts.stamp(block.number, oldestReadable);
    this.delegations.stamp(block.number, oldestReadable);
    this.totals.stamp(block.number, oldestReadable);
    this.tokens.stamp(block.number, oldestReadable);
    const old = this.blocks.get(block.number - BLOCKS_SAVED);
    if (old !== undefined && old.txIds.length === 0) {
      this.olderEmpty.put(old);
      this.blocks.delete(old.number);
    }
  }

  slotOf(timestamp: number): number {
    return Math.floor((timestamp - this.genesisTimestamp) / BLOCK_INTERVAL_MS);
  }

  toData(): ChainStateData {
    return {
      config: {
        totalEnergyLimit: this.config.totalEnergyLimit,
        restEnergyWeight: this.config.restEnergyWeight,
        restNetWeight: this.config.restNetWeight,
      },
      genesisTimestamp: this.genesisTimestamp,
      head: this.head,
      ...(this.scheduledRestEnergyWeight === undefined ? {} : { scheduledRestEnergyWeight: this.scheduledRestEnergyWeight }),
      accounts: this.accounts.toData(),
      delegations: this.delegations.toData(),
      totals: this.totals.toData(),
      tokens: this.tokens.toData(),
      // Recent blocks serve TaPoS and getblock after a restart; older empty
      // ones are not worth rewriting on every save.
      blocks: [...this.blocks.values()].filter((b) => b.number > this.head - BLOCKS_SAVED || b.txIds.length > 0),
      txs: [...this.txs.values()],
    };
  }
}

/** Read access to the chain as of one block (or the pending state). */
export class ChainView {
  constructor(
    private readonly state: ChainState,
    readonly atBlock: number,
    /** The block this view answers getnowblock with. */
    readonly block: BlockRecord,
  ) {}

  get slot(): number {
    return this.state.slotOf(this.block.timestamp);
  }

  get config(): ChainConfig {
    return this.state.config;
  }

  account(address: string): Account | undefined {
    return this.state.accounts.get(address, this.atBlock);
  }

  delegation(from: string, to: string, lock: boolean): Delegation | undefined {
    return this.state.delegations.get(delegationKey(from, to, lock), this.atBlock);
  }

  delegations(): Delegation[] {
    return [...this.state.delegations.entriesAt(this.atBlock)].map(([, d]) => d);
  }

  /** A TRC20 balance (0 for an address that holds none). */
  tokenBalance(contract: string, holder: string): bigint {
    return this.state.tokens.get(tokenKey(contract, holder), this.atBlock) ?? 0n;
  }

  /** What `spender` may move of `owner`'s tokens (0 when nothing was approved). */
  tokenAllowance(contract: string, owner: string, spender: string): bigint {
    return this.state.tokens.get(allowanceKey(contract, owner, spender), this.atBlock) ?? 0n;
  }

  /** Every TRC20 balance of one contract, by holder. */
  tokenHolders(contract: string): Array<[string, bigint]> {
    const prefix = `${contract}:`;
    return [...this.state.tokens.entriesAt(this.atBlock)].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]);
  }

  networkTotals(): NetworkTotals {
    return this.state.totals.get(TOTALS_KEY, this.atBlock) ?? { stakedEnergy: 0n, stakedBandwidth: 0n };
  }

  energyTotals(): EnergyTotals {
    const totals = this.networkTotals();
    return {
      totalEnergyLimit: this.state.config.totalEnergyLimit,
      totalEnergyWeight: (totals.restEnergyWeight ?? this.state.config.restEnergyWeight) + totals.stakedEnergy / TRX,
    };
  }

  totalNetWeight(): bigint {
    return this.state.config.restNetWeight + this.networkTotals().stakedBandwidth / TRX;
  }

  netTotals(): NetTotals {
    return { totalNetLimit: TOTAL_NET_LIMIT, totalNetWeight: this.totalNetWeight() };
  }

  /** A transaction is visible in this view once a block at or below it includes it. */
  transaction(txID: string): TxRecord | undefined {
    const tx = this.state.transaction(txID);
    if (tx === undefined || tx.blockNumber === undefined || tx.blockNumber > this.block.number) return undefined;
    return tx;
  }

  blockByNumber(num: number): BlockRecord | undefined {
    if (num > this.block.number) return undefined;
    return this.state.block(num);
  }

  blockById(id: string): BlockRecord | undefined {
    const num = Number.parseInt(id.slice(0, 16), 16);
    const block = this.blockByNumber(num);
    return block?.id === id.toLowerCase() ? block : undefined;
  }
}
