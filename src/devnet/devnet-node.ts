// The node behind the HTTP API: chain state, faults, block production and
// persistence wired together. Built from the genesis, or from the data file
// when one exists.
import { newAccount } from './account.js';
import { currentFreeNetUsage, currentNetUsage, netLimit } from './bandwidth.js';
import { produceBlocks, genesisBlock } from './block-producer.js';
import { broadcastTransaction, type BroadcastResponse } from './broadcast.js';
import { CallCounter } from './call-counter.js';
import { ChainState } from './chain-state.js';
import { FREE_NET_LIMIT, MAX_DELEGATE_LOCK_PERIOD, TRX } from './constants.js';
import { currentEnergyUsage } from './energy.js';
import { Faults } from './faults.js';
import type { ResolvedGenesis } from './genesis.js';
import { HistoryStore } from './history-store.js';
import { historyFileOf, loadState, saveState } from './persistence.js';
import { SignatureVerifier } from './signature-pool.js';
import { USDT_HEX } from './trc20.js';

const SAVE_EMPTY_EVERY_MS = 30_000;

export interface NodeOptions {
  genesis: ResolvedGenesis;
  totalEnergyLimit: bigint;
  solidifyLag: number;
  /** getMaxDelegateLockPeriod in blocks; default mainnet's 864,000. */
  maxDelegateLockPeriod?: bigint;
  dataFile?: string;
  log: (line: string) => void;
  /** Worker threads for signature checks; 0 checks on the main thread. Default: one per core beyond the first (at least 1, at most 4). */
  signatureThreads?: number;
}

export class DevnetNode {
  readonly state: ChainState;
  readonly faults = new Faults();
  readonly calls = new CallCounter();
  readonly verifier: SignatureVerifier;
  private readonly dataFile: string | undefined;
  readonly log: (line: string) => void;
  /** Wall time the head block was produced (or the node started): where chain time between blocks counts from. */
  headProducedAt = Date.now();
  /** State changed since the last save (a transaction or an admin change). */
  private dirty = false;
  private savedAt = 0;

  constructor(options: NodeOptions) {
    this.log = options.log;
    this.dataFile = options.dataFile;
    this.verifier = new SignatureVerifier(options.signatureThreads);
    const saved = options.dataFile === undefined ? undefined : loadState(options.dataFile);
    const config = {
      totalEnergyLimit: options.totalEnergyLimit,
      restEnergyWeight: saved?.config.restEnergyWeight ?? options.genesis.restEnergyWeight,
      restNetWeight: saved?.config.restNetWeight ?? options.genesis.restNetWeight,
      solidifyLag: options.solidifyLag,
      maxDelegateLockPeriod: options.maxDelegateLockPeriod ?? MAX_DELEGATE_LOCK_PERIOD,
    };
    if (saved !== undefined) {
      this.state = new ChainState(config, saved.genesisTimestamp, saved);
    } else {
      const timestamp = Date.now();
      this.state = new ChainState(config, timestamp);
      this.applyGenesis(options.genesis, timestamp);
    }
    if (options.dataFile !== undefined) {
      // A history without its data file is of a chain that is gone: the genesis begins a new one.
      this.state.history = new HistoryStore(historyFileOf(options.dataFile), this.state.genesisTimestamp, saved === undefined, this.log);
    }
    if (saved !== undefined) {
      const settled = this.state.history?.transactionCount ?? 0;
      this.log(`devnet state loaded: head ${this.state.head}, ${this.state.txs.size} recent and ${settled} settled transaction(s)`);
    }
  }

  private applyGenesis(genesis: ResolvedGenesis, timestamp: number): void {
    const { state } = this;
    let stakedEnergy = 0n;
    let stakedBandwidth = 0n;
    for (const a of genesis.accounts) {
      state.putAccount({
        ...newAccount(a.hex, timestamp),
        balance: a.balance,
        frozenEnergy: a.stakeEnergy,
        frozenBandwidth: a.stakeBandwidth,
      });
      stakedEnergy += a.stakeEnergy;
      stakedBandwidth += a.stakeBandwidth;
    }
    for (const hex of genesis.contractHex) state.putAccount(newAccount(hex, timestamp, 'Contract'));
    // USDT balances exist only where the token does.
    if (genesis.contractHex.includes(USDT_HEX)) {
      for (const a of genesis.accounts) if (a.usdt > 0n) state.putTokenBalance(USDT_HEX, a.hex, a.usdt);
    }
    state.putTotals({ stakedEnergy, stakedBandwidth });
    state.appendBlock(genesisBlock(timestamp));
  }

  broadcast(body: unknown): Promise<BroadcastResponse> {
    return broadcastTransaction(this, body);
  }

  mine(count: number): void {
    if (count <= 0) return;
    const from = this.state.head + 1;
    produceBlocks(this.state, count, this.log);
    this.headProducedAt = Date.now();
    for (let n = from; n <= this.state.head && !this.dirty; n++) {
      if ((this.state.blocks.get(n)?.txIds.length ?? 0) > 0) this.dirty = true;
    }
    this.moveSettledToHistory();
    // Empty blocks are saved now and then, not each time: rewriting the whole
    // file every 3 s for nothing would cost more than the chain itself.
    if (this.dirty || Date.now() - this.savedAt > SAVE_EMPTY_EVERY_MS) this.save();
  }

  /** Simulates the account spending energy (e.g. a USDT transfer), so recovery and reclaim can be tested. */
  consumeEnergy(address: string, energy: bigint): void {
    const view = this.state.latest();
    const account = view.account(address);
    if (account === undefined) throw new Error('account does not exist');
    this.state.putAccount({
      ...account,
      energyUsage: currentEnergyUsage(account, view.slot) + energy,
      energyUsageSlot: view.slot,
    });
    this.dirty = true;
  }

  /** Sets an account's TRX balance (sun), e.g. to make a pool unable to pay for bandwidth. */
  setBalance(address: string, balance: bigint): void {
    const account = this.state.latest().account(address);
    if (account === undefined) throw new Error('account does not exist');
    this.state.putAccount({ ...account, balance });
    this.dirty = true;
  }

  /**
   * Simulates the account using bandwidth: `net` of its staked bandwidth and
   * `freeNet` of its free bandwidth; 'all' uses up what is left of it.
   */
  consumeBandwidth(address: string, net: bigint | 'all', freeNet: bigint | 'all'): void {
    const view = this.state.latest();
    const account = view.account(address);
    if (account === undefined) throw new Error('account does not exist');
    const netUsed = currentNetUsage(account, view.slot);
    const freeUsed = currentFreeNetUsage(account, view.slot);
    const limit = netLimit(account, view.netTotals());
    const addNet = net === 'all' ? (limit > netUsed ? limit - netUsed : 0n) : net;
    const addFree = freeNet === 'all' ? (FREE_NET_LIMIT > freeUsed ? FREE_NET_LIMIT - freeUsed : 0n) : freeNet;
    this.state.putAccount({
      ...account,
      netUsage: netUsed + addNet,
      netUsageSlot: view.slot,
      freeNetUsage: freeUsed + addFree,
      freeNetUsageSlot: view.slot,
    });
    this.dirty = true;
  }

  /**
   * Other stakers arriving or leaving: the network's TotalEnergyWeight (TRX)
   * becomes `total`, or moves by `delta`, from the next block on. Returns the new total.
   */
  scheduleEnergyWeight(change: { total: bigint } | { delta: bigint }): bigint {
    const { state } = this;
    const totals = state.latest().networkTotals();
    const ours = totals.stakedEnergy / TRX;
    const rest = state.scheduledRestEnergyWeight ?? totals.restEnergyWeight ?? state.config.restEnergyWeight;
    const newRest = 'total' in change ? change.total - ours : rest + change.delta;
    if (newRest < 0n) throw new Error(`TotalEnergyWeight cannot fall below the devnet's own stake (${ours} TRX)`);
    state.scheduledRestEnergyWeight = newRest;
    this.dirty = true;
    return newRest + ours;
  }

  async close(): Promise<void> {
    await this.verifier.close();
    this.save();
    this.state.history?.close();
  }

  /**
   * Settled blocks and transactions go to the history on disk, so that neither
   * memory nor the data file rewritten after each block grows with the chain.
   * Appended before the data file that no longer holds them is saved: a stop
   * in between leaves them in both, never in neither.
   */
  private moveSettledToHistory(): void {
    const history = this.state.history;
    if (history === undefined) return;
    const settled = this.state.settled();
    history.append(settled.blocks, settled.txs);
    this.state.forgetSettled(settled);
    if (settled.blocks.length > 0 || settled.txs.length > 0) this.dirty = true;
  }

  save(): void {
    if (this.dataFile !== undefined) saveState(this.dataFile, this.state.toData());
    this.dirty = false;
    this.savedAt = Date.now();
  }
}
