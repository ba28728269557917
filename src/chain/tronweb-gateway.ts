import { providers, TronWeb, utils as tronUtils } from 'tronweb';
import {
  AccountNotFoundError,
  BLOCKS_PER_REQUEST,
  TX_LIFETIME_MS,
  type ChainBlock,
  type Payment,
  type TransferEvent,
  RateLimitedError,
  type ChainParameters,
  ChainUnavailableError,
  type AccountInfo,
  type BlockRef,
  type BroadcastOutcome,
  type ChainGateway,
  type DelegationRecord,
  type NetworkEnergy,
  type PoolAccount,
  type PoolResources,
  type SignedTransaction,
  type TransactionStatus,
} from './gateway.js';
import { pauseAsked, RequestBudget, type RequestPriority } from './request-budget.js';
import { SharedRead } from './shared-read.js';
import { readUsdtTransferAnswer, usdtTransferCall, type UsdtTransferSimulation, type UsdtTransferSimulator } from './usdt-transfer.js';

/** A JSON integer from the node as bigint (TronWeb parses them as numbers; ours stay below 2^53). */
const big = (v: unknown): bigint => (typeof v === 'number' || typeof v === 'string' ? BigInt(v) : 0n);

type Tx = {
  txID: string;
  raw_data: { expiration: number; contract: Array<{ parameter: { value: { owner_address?: string } } }> };
  signature?: string[];
};

interface BlockHeader {
  ref_block_bytes: string;
  ref_block_hash: string;
  expiration: number;
  timestamp: number;
}

/** keccak256("Transfer(address,address,uint256)") */
const TRANSFER_TOPIC = 'ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef';

/** transfer(address,uint256) */
const TRC20_TRANSFER = 'a9059cbb';
/** transferFrom(address,address,uint256): a spender moving what the holder approved. */
const TRC20_TRANSFER_FROM = '23b872dd';

/** The address in the ABI word at `index` of call data (selector first), as base58. */
const addressWord = (data: string, index: number) => base58(`41${data.slice(8 + 64 * index + 24, 8 + 64 * (index + 1))}`);
const uintWord = (data: string, index: number) => BigInt(`0x${data.slice(8 + 64 * index, 8 + 64 * (index + 1))}`);

/** A hex address as java-tron writes it (41…, 21 bytes) in base58, or undefined if it is not one. */
function base58(hex: unknown): string | undefined {
  if (typeof hex !== 'string' || !/^41[0-9a-fA-F]{40}$/.test(hex)) return undefined;
  const address = TronWeb.address.fromHex(hex);
  return typeof address === 'string' ? address : undefined;
}

/**
 * The payment a block's transaction makes, read from its contract: a TRX
 * TransferContract, or a TriggerSmartContract whose call data is a TRC20
 * transfer(to, amount) or transferFrom(from, to, amount) (selector, then
 * 32-byte words; `from` is then the holder whose tokens move, not the
 * caller). Blocks carry no events: a transfer made inside another contract
 * is not seen here.
 */
export function paymentOf(t: Record<string, any>): Payment | undefined {
  const contract = t.raw_data?.contract?.[0];
  const value = contract?.parameter?.value ?? {};
  const memoHex = typeof t.raw_data?.data === 'string' ? (t.raw_data.data as string) : undefined;
  // A memo's NUL bytes become U+FFFD, as invalid UTF-8 does: PostgreSQL's text cannot hold NUL, and a
  // payment whose row could not be written would stop the block follower at its block for good.
  const memo =
    memoHex && /^[0-9a-fA-F]*$/.test(memoHex) && memoHex.length > 0 ? Buffer.from(memoHex, 'hex').toString('utf8').replaceAll('\u0000', '\uFFFD') : undefined;
  if (contract?.type === 'TransferContract') {
    const from = base58(value.owner_address);
    const to = base58(value.to_address);
    if (from === undefined || to === undefined) return undefined;
    return { kind: 'TRX', from, to, amount: big(value.amount), memo };
  }
  if (contract?.type === 'TriggerSmartContract') {
    const data = typeof value.data === 'string' ? (value.data as string).toLowerCase() : '';
    if (!/^[0-9a-f]*$/.test(data)) return undefined;
    const token = base58(value.contract_address);
    let call: { from: string | undefined; to: string | undefined; amount: bigint } | undefined;
    if (data.startsWith(TRC20_TRANSFER) && data.length >= 8 + 128) call = { from: base58(value.owner_address), to: addressWord(data, 0), amount: uintWord(data, 1) };
    else if (data.startsWith(TRC20_TRANSFER_FROM) && data.length >= 8 + 192) call = { from: addressWord(data, 0), to: addressWord(data, 1), amount: uintWord(data, 2) };
    if (call?.from === undefined || call.to === undefined || token === undefined) return undefined;
    return { kind: 'TRC20', from: call.from, to: call.to, amount: call.amount, token, memo };
  }
  return undefined;
}

/**
 * A transaction's id is the hash of its raw data, and TronWeb takes every
 * field of it from the reference block and the contract. Two orders of the
 * same size from the same pool to the same receiver, built on one block,
 * would get the SAME txid: one journal row for two orders. So each build
 * gets its own creation timestamp (wall clock, strictly increasing in this
 * process); the node does not validate it, and the id becomes unique.
 */
let lastTimestamp = 0;
function uniqueTimestamp(): number {
  lastTimestamp = Math.max(Date.now(), lastTimestamp + 1);
  return lastTimestamp;
}

/** Chain time per block. */
const BLOCK_MS = 3000;
/** A reference block serves the builds of this many blocks (one read per 30 s on mainnet, not one per build). */
const REF_BLOCK_REUSE = 10;

/** What TronGrid writes when it refuses a request for its rate ("…exceeds the frequency limit(15), and the query server is suspended for 30s"). */
const RATE_ANSWER = /frequency limit|request limit|rate limit|too many requests|suspended/i;

/**
 * Whether an HTTP answer refuses us for our rate: 429 always; 403 and 503,
 * which TronGrid also answers with, when they say so (a 503 alone is a node
 * that is down: each order backs off on its own).
 */
function isRateAnswer(status: number, retryAfter: string | undefined, body: string): boolean {
  if (status === 429) return true;
  if (status === 403 || status === 503) return retryAfter !== undefined || RATE_ANSWER.test(body);
  return false;
}

export interface TronWebGatewayOptions {
  timeoutMs: number;
  apiKey?: string | undefined;
  /** Every request waits for its turn here (TRON_MAX_RPS); default: no limit. */
  budget?: RequestBudget | undefined;
  /** Told about every request and every rate-limit answer (metrics; wired by the composition root). */
  observer?: ChainCallObserver | undefined;
  /** How long a read of the head (reference block, head time, network totals) is shared: a block interval. */
  shareMs?: number | undefined;
}

export interface ChainCallObserver {
  called?(endpoint: string): void;
  rateLimited?(endpoint: string, pauseMs: number): void;
}

/** An axios error's HTTP answer, if the request got one. */
function httpAnswer(err: unknown): { status: number; retryAfter: string | undefined; body: string } | undefined {
  const response = (err as { response?: { status?: unknown; headers?: Record<string, unknown>; data?: unknown } } | null)?.response;
  if (typeof response?.status !== 'number') return undefined;
  const retryAfter = response.headers?.['retry-after'];
  const body = typeof response.data === 'string' ? response.data : JSON.stringify(response.data ?? '');
  return { status: response.status, retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined, body };
}

/**
 * ChainGateway over the real TronWeb against a java-tron HTTP API (or the
 * devnet). Every node call goes through the process's request budget and is
 * counted by endpoint, is bounded by `timeoutMs`, and transport failures
 * become ChainUnavailableError, which the engine treats as "ask again later".
 * Reads of the head that any caller may share (reference block, head time,
 * network totals) are made once per block interval.
 */
/** The TRC20 Transfer events of one receipt (gettransactioninfoby…), in log order; none for a failed transaction. */
function transferEventsOf(info: Record<string, any>): TransferEvent[] {
  if (info.result === 'FAILED' || (info.receipt?.result !== undefined && info.receipt.result !== 'SUCCESS')) return [];
  const events: TransferEvent[] = [];
  for (const [index, log] of ((info.log ?? []) as Array<Record<string, any>>).entries()) {
    const topics = (log.topics ?? []) as string[];
    if (topics.length !== 3 || topics[0]?.toLowerCase() !== TRANSFER_TOPIC) continue;
    const token = base58(`41${String(log.address ?? '').slice(-40)}`);
    const from = base58(`41${topics[1]!.slice(-40)}`);
    const to = base58(`41${topics[2]!.slice(-40)}`);
    if (token === undefined || from === undefined || to === undefined || typeof log.data !== 'string') continue;
    events.push({ index, token, from, to, amount: BigInt(`0x${log.data || '0'}`) });
  }
  return events;
}

export class TronWebGateway implements ChainGateway, UsdtTransferSimulator {
  private readonly tronWeb: TronWeb;
  private readonly budget: RequestBudget;
  private readonly observer: ChainCallObserver;
  /** The head block's header (head time for locks), shared for a block. */
  private readonly head: SharedRead<'head', { ref: BlockHeader; block: BlockRef }>;
  /** The reference block for builds: the same read, kept for REF_BLOCK_REUSE blocks. */
  private readonly refBlock: SharedRead<'ref', { ref: BlockHeader; readAt: number }>;
  private readonly shareMs: number;
  private readonly network: SharedRead<'network', NetworkEnergy>;
  /** The account whose getaccountresource reports the network totals next (any account does). */
  private networkProbe = '';
  /** Each pool's hex address, once its key was checked to sign for it (signingOwner). */
  private readonly owners = new WeakMap<PoolAccount, string>();

  constructor(fullHost: string, opts: TronWebGatewayOptions) {
    const headers = opts.apiKey ? { 'TRON-PRO-API-KEY': opts.apiKey } : {};
    const provider = () => new providers.HttpProvider(fullHost, opts.timeoutMs, '', '', headers);
    this.tronWeb = new TronWeb({ fullNode: provider(), solidityNode: provider(), eventServer: provider() });
    this.budget = opts.budget ?? new RequestBudget(Infinity);
    this.observer = opts.observer ?? {};
    const shareMs = opts.shareMs ?? 0;
    this.shareMs = shareMs;
    this.head = new SharedRead(shareMs, async () => {
      // What TronWeb's getCurrentRefBlockParams reads (the header only, not every transaction of the block).
      const r = (await this.call('/wallet/getblock', () => this.tronWeb.fullNode.request('wallet/getblock', { detail: false }, 'post'), 'high')) as Record<string, any>;
      const block = this.block(r);
      const blockID = String(r.blockID ?? '');
      const ref: BlockHeader = {
        ref_block_bytes: block.number.toString(16).slice(-4).padStart(4, '0'),
        ref_block_hash: blockID.slice(16, 32),
        expiration: Number(block.timestamp) + TX_LIFETIME_MS,
        timestamp: Number(block.timestamp),
      };
      return { ref, block };
    });
    this.refBlock = new SharedRead(shareMs * REF_BLOCK_REUSE, async () => {
      this.head.forget('head');
      return { ref: (await this.head.get('head')).ref, readAt: performance.now() };
    });
    this.network = new SharedRead(shareMs, async () => {
      const r = (await this.call('/wallet/getaccountresource', () => this.tronWeb.trx.getAccountResources(this.networkProbe))) as unknown as Record<string, unknown>;
      return { totalEnergyWeight: big(r.TotalEnergyWeight), totalEnergyLimit: big(r.TotalEnergyLimit) };
    });
  }

  static addressOf(privateKey: string): string {
    const address = TronWeb.address.fromPrivateKey(privateKey);
    if (typeof address !== 'string') throw new Error('not a valid private key');
    return address;
  }

  /**
   * One request to the node: waits for its turn in the budget, counts it,
   * and turns what can go wrong into ChainUnavailableError (RateLimitedError
   * when the answer is about our rate: the budget pauses for everyone).
   */
  private async call<T>(endpoint: string, fn: () => Promise<T>, priority: RequestPriority = 'normal'): Promise<T> {
    await this.budget.take(priority);
    this.observer.called?.(endpoint);
    let result: T;
    try {
      result = await fn();
    } catch (err) {
      const answer = httpAnswer(err);
      if (answer !== undefined && isRateAnswer(answer.status, answer.retryAfter, answer.body)) throw this.rateLimited(endpoint, answer.retryAfter, `HTTP ${answer.status} ${answer.body}`);
      throw new ChainUnavailableError(`${endpoint}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
    }
    const error = (result as { Error?: unknown } | null)?.Error;
    if (error !== undefined) {
      // TronGrid can also answer a 200 whose Error speaks of the rate.
      if (RATE_ANSWER.test(String(error))) throw this.rateLimited(endpoint, undefined, String(error));
      throw new ChainUnavailableError(`${endpoint}: node answered ${String(error)}`);
    }
    return result;
  }

  private rateLimited(endpoint: string, retryAfter: string | undefined, body: string): RateLimitedError {
    const pauseMs = pauseAsked(retryAfter, body);
    this.budget.pause(pauseMs);
    this.observer.rateLimited?.(endpoint, pauseMs);
    return new RateLimitedError(`${endpoint}: rate limited (${body.slice(0, 200)}); all requests paused for ${Math.round(pauseMs)} ms`, pauseMs);
  }

  networkEnergy(pool: string): Promise<NetworkEnergy> {
    this.networkProbe = pool;
    return this.network.get('network');
  }

  async delegatableSun(pool: string): Promise<bigint> {
    const r = (await this.call('/wallet/getcandelegatedmaxsize', () =>
      this.tronWeb.trx.getCanDelegatedMaxSize(pool, 'ENERGY', { confirmed: false }),
    )) as { max_size?: number };
    return big(r.max_size);
  }

  async account(address: string): Promise<AccountInfo> {
    const r = (await this.call('/wallet/getaccount', () => this.tronWeb.trx.getUnconfirmedAccount(address))) as unknown as Record<string, unknown>;
    return { exists: Object.keys(r).length > 0, isContract: r.type === 'Contract' };
  }

  async receiverEnergy(address: string): Promise<{ activated: boolean; energyLimit: bigint; energyUsed: bigint }> {
    // java-tron answers {} for an account that does not exist (Wallet.getAccountResource returns null).
    const r = (await this.call('/wallet/getaccountresource', () => this.tronWeb.trx.getAccountResources(address))) as unknown as Record<string, unknown>;
    const activated = Object.keys(r).length > 0;
    return { activated, energyLimit: big(r.EnergyLimit), energyUsed: big(r.EnergyUsed) };
  }

  /**
   * Signs a transaction this gateway has just built from its own arguments
   * (TronWeb's builder, in this process: its txID is the hash of its raw
   * data). TronWeb's trx.sign first derives the key's address, to check it
   * owns the transaction: an elliptic-curve multiplication, half of what a
   * signature costs (docs/BENCHMARKS.md). So that check is made once for each
   * pool (signingOwner), and each transaction's owner is compared with it.
   * What trx.sign and multiSign do next is kept: txCheck (the txID is the
   * raw data's hash), then the signature.
   */
  private sign(pool: PoolAccount, tx: Tx): SignedTransaction {
    const owner = tx.raw_data.contract[0]?.parameter.value.owner_address;
    if (owner !== this.signingOwner(pool)) throw new Error(`a transaction owned by ${String(owner)} given to the key of pool ${pool.address} to sign`);
    if (!tronUtils.transaction.txCheck(tx as never)) throw new Error('a transaction whose txID is not the hash of its raw data');
    const signed = tronUtils.crypto.signTransaction(pool.privateKey, tx as never) as unknown as Tx;
    return { txid: signed.txID, json: JSON.stringify(signed), expiration: BigInt(signed.raw_data.expiration) };
  }

  /**
   * The hex address whose transactions the pool's key signs: the pool's own.
   * A key of the pool's own (no permission id) must derive the pool's
   * address, as trx.sign checks on every call; a permission key signs for the
   * account it was given to, which the node checks against the permission.
   */
  private signingOwner(pool: PoolAccount): string {
    let owner = this.owners.get(pool);
    if (owner === undefined) {
      if (pool.permissionId === undefined && TronWebGateway.addressOf(pool.privateKey) !== pool.address) {
        throw new Error(`the key given for pool ${pool.address} is not that account's key (and no permission id says it signs for it)`);
      }
      owner = TronWeb.address.toHex(pool.address).toLowerCase();
      this.owners.set(pool, owner);
    }
    return owner;
  }

  /**
   * Reference block (TronWeb's own `getblock` call, shared by every build for
   * REF_BLOCK_REUSE blocks) with a creation timestamp of our own. TaPoS only
   * needs the reference among the last 65,536 blocks; what matters is the
   * expiration: a minute after the head as it is now, the reference's time
   * plus the blocks gone by since it was read (counted at one per shareMs,
   * the block interval), as TronWeb would give a fresh one.
   */
  private async buildOptions(pool: PoolAccount): Promise<{ blockHeader: BlockHeader; permissionId?: number }> {
    const { ref, readAt } = await this.refBlock.get('ref');
    const blocksSince = this.shareMs > 0 ? Math.floor((performance.now() - readAt) / this.shareMs) : 0;
    const blockHeader = { ...ref, expiration: ref.timestamp + blocksSince * BLOCK_MS + TX_LIFETIME_MS, timestamp: uniqueTimestamp() };
    return pool.permissionId === undefined ? { blockHeader } : { blockHeader, permissionId: pool.permissionId };
  }

  async buildDelegate(pool: PoolAccount, receiver: string, sun: bigint, lockBlocks: bigint | null): Promise<SignedTransaction> {
    const options = await this.buildOptions(pool);
    const tx = (await this.tronWeb.transactionBuilder.delegateResource(
      Number(sun),
      receiver,
      'ENERGY',
      pool.address,
      lockBlocks !== null,
      lockBlocks === null ? undefined : Number(lockBlocks),
      options as never,
    )) as unknown as Tx;
    return this.sign(pool, tx);
  }

  async buildUndelegate(pool: PoolAccount, receiver: string, sun: bigint): Promise<SignedTransaction> {
    const options = await this.buildOptions(pool);
    const tx = (await this.tronWeb.transactionBuilder.undelegateResource(Number(sun), receiver, 'ENERGY', pool.address, options as never)) as unknown as Tx;
    return this.sign(pool, tx);
  }

  async buildTransfer(pool: PoolAccount, to: string, sun: bigint): Promise<SignedTransaction> {
    const options = await this.buildOptions(pool);
    const tx = (await this.tronWeb.transactionBuilder.sendTrx(to, Number(sun), pool.address, options as never)) as unknown as Tx;
    return this.sign(pool, tx);
  }

  async broadcast(signedJson: string): Promise<BroadcastOutcome> {
    const r = (await this.call(
      '/wallet/broadcasttransaction',
      () => this.tronWeb.trx.sendRawTransaction(JSON.parse(signedJson) as never),
      'high',
    )) as unknown as { result?: boolean; code?: string; message?: string };
    if (r.result === true) return { accepted: true };
    const message = typeof r.message === 'string' ? TronWeb.toUtf8(r.message) : '';
    return { accepted: false, code: String(r.code ?? 'UNKNOWN'), message };
  }

  async transferEvents(txid: string): Promise<TransferEvent[]> {
    const info = (await this.call('/walletsolidity/gettransactioninfobyid', () => this.tronWeb.trx.getTransactionInfo(txid))) as Record<string, any>;
    // java-tron answers {} for an id it has no receipt of (GetTransactionInfoByIdServlet): a node behind
    // the one that served the block (a provider's load balancer), or one that keeps no receipts.
    if (info.id !== txid) throw new ChainUnavailableError(`/walletsolidity/gettransactioninfobyid: no receipt of ${txid} on this node yet`);
    return transferEventsOf(info);
  }

  async blockTransferEvents(blockNumber: bigint): Promise<Map<string, TransferEvent[]>> {
    const infos = (await this.call('/walletsolidity/gettransactioninfobyblocknum', () =>
      this.tronWeb.solidityNode.request('walletsolidity/gettransactioninfobyblocknum', { num: Number(blockNumber) }, 'post'),
    )) as unknown;
    // java-tron answers a JSON array (GetTransactionInfoByBlockNumServlet), empty for a block without transactions.
    if (!Array.isArray(infos)) throw new ChainUnavailableError(`/walletsolidity/gettransactioninfobyblocknum: not a list for block ${blockNumber}`);
    return new Map((infos as Array<Record<string, any>>).map((info) => [String(info.id), transferEventsOf(info)]));
  }

  async transactionStatus(txid: string): Promise<TransactionStatus> {
    const solid = (await this.call('/walletsolidity/gettransactioninfobyid', () =>
      this.tronWeb.trx.getTransactionInfo(txid),
    )) as Record<string, any>;
    if (Object.keys(solid).length > 0) {
      const failed = solid.result === 'FAILED' || (solid.receipt?.result !== undefined && solid.receipt.result !== 'SUCCESS');
      return {
        state: 'confirmed',
        success: !failed,
        blockNumber: big(solid.blockNumber),
        blockTime: big(solid.blockTimeStamp),
        netFeeSun: big(solid.receipt?.net_fee),
        failure: failed ? (solid.resMessage ? TronWeb.toUtf8(solid.resMessage) : String(solid.receipt?.result ?? 'FAILED')) : undefined,
      };
    }
    const head = (await this.call('/wallet/gettransactioninfobyid', () =>
      this.tronWeb.trx.getUnconfirmedTransactionInfo(txid),
    )) as Record<string, any>;
    if (Object.keys(head).length > 0) return { state: 'included', blockNumber: big(head.blockNumber) };
    return { state: 'unknown' };
  }

  private block(r: Record<string, any>): BlockRef {
    const raw = r.block_header?.raw_data ?? {};
    return { number: big(raw.number), timestamp: big(raw.timestamp) };
  }

  async headBlock(): Promise<BlockRef> {
    return (await this.head.get('head')).block;
  }

  async solidBlock(): Promise<BlockRef> {
    return this.block(
      (await this.call('/walletsolidity/getblock', () => this.tronWeb.solidityNode.request('walletsolidity/getblock', { detail: false }, 'post'), 'high')) as Record<string, any>,
    );
  }

  /** /walletsolidity/getblockbylimitnext: [from, from + limit), solidified blocks only, with transactions. */
  async solidBlocks(from: bigint, limit: number): Promise<ChainBlock[]> {
    const count = Math.min(Math.max(1, limit), BLOCKS_PER_REQUEST);
    const r = (await this.call(
      '/walletsolidity/getblockbylimitnext',
      () => this.tronWeb.solidityNode.request('walletsolidity/getblockbylimitnext', { startNum: Number(from), endNum: Number(from) + count }, 'post'),
      'high',
    )) as { block?: Array<Record<string, any>> };
    return (r.block ?? []).map((b) => ({
      ...this.block(b),
      id: String(b.blockID ?? ''),
      transactions: ((b.transactions ?? []) as Array<Record<string, any>>).map((t) => ({
        txid: String(t.txID),
        result: typeof t.ret?.[0]?.contractRet === 'string' ? (t.ret[0].contractRet as string) : undefined,
        payment: paymentOf(t),
      })),
    }));
  }

  async delegation(pool: string, receiver: string, view: 'head' | 'solidified' = 'head'): Promise<DelegationRecord> {
    const solidified = view === 'solidified';
    const r = (await this.call(solidified ? '/walletsolidity/getdelegatedresourcev2' : '/wallet/getdelegatedresourcev2', () =>
      this.tronWeb.trx.getDelegatedResourceV2(pool, receiver, { confirmed: solidified }),
    )) as { delegatedResource?: Array<Record<string, unknown>> };
    const out: DelegationRecord = { unlockedSun: 0n, lockedSun: 0n, lockExpiresAt: null };
    for (const d of r.delegatedResource ?? []) {
      const sun = big(d.frozen_balance_for_energy);
      const expires = big(d.expire_time_for_energy);
      if (expires > 0n) {
        out.lockedSun += sun;
        out.lockExpiresAt = expires;
      } else out.unlockedSun += sun;
    }
    return out;
  }

  /**
   * Three reads of the head view, at once: getaccount (Stake 2.0 energy stake
   * left in `frozenV2`, and what was delegated out of it), getaccountresource
   * (the account's EnergyLimit and the network totals) and
   * getcandelegatedmaxsize. java-tron leaves zero fields out.
   */
  async poolResources(pool: string): Promise<PoolResources> {
    // The head before the reads: whatever landed up to it, they see.
    const head = await this.headBlock();
    const [account, resources, delegatableSun] = await Promise.all([
      this.call('/wallet/getaccount', () => this.tronWeb.trx.getUnconfirmedAccount(pool)) as Promise<unknown> as Promise<Record<string, any>>,
      this.call('/wallet/getaccountresource', () => this.tronWeb.trx.getAccountResources(pool)) as Promise<unknown> as Promise<Record<string, unknown>>,
      this.delegatableSun(pool),
    ]);
    if (Object.keys(account).length === 0) throw new AccountNotFoundError(pool);
    const frozen = ((account.frozenV2 ?? []) as Array<{ type?: string; amount?: unknown }>)
      .filter((f) => f.type === 'ENERGY')
      .reduce((sum, f) => sum + big(f.amount), 0n);
    const delegatedSun = big(account.account_resource?.delegated_frozenV2_balance_for_energy);
    return {
      stakedSun: frozen + delegatedSun,
      delegatedSun,
      delegatableSun,
      energyLimit: big(resources.EnergyLimit),
      totalEnergyWeight: big(resources.TotalEnergyWeight),
      totalEnergyLimit: big(resources.TotalEnergyLimit),
      balanceSun: big(account.balance),
      freeNetLimit: big(resources.freeNetLimit),
      freeNetUsed: big(resources.freeNetUsed),
      netLimit: big(resources.NetLimit),
      netUsed: big(resources.NetUsed),
      observedBlock: head.number,
    };
  }

  async chainParameters(): Promise<ChainParameters> {
    const list = (await this.call('/wallet/getchainparameters', () => this.tronWeb.trx.getChainParameters())) as unknown as Array<{ key: string; value?: unknown }>;
    const param = (key: string, fallback: bigint) => {
      const found = list.find((p) => p.key === key);
      return found === undefined ? fallback : big(found.value);
    };
    return {
      // A chain that has never raised it: java-tron's default, where every lock is 3 days.
      maxDelegateLockPeriod: param('getMaxDelegateLockPeriod', 86_400n),
      transactionFeeSun: param('getTransactionFee', 1000n),
      energyFeeSun: param('getEnergyFee', 100n),
    };
  }

  /**
   * A USDT transfer(to, 1) from `from`, simulated on the head state
   * (`/wallet/triggerconstantcontract`): what it would cost now. While a
   * rate-limit answer pauses the budget it fails at once instead of waiting
   * out the pause: whoever asks is better told to come back.
   */
  async simulateUsdtTransfer(from: string, to: string): Promise<UsdtTransferSimulation> {
    const endpoint = '/wallet/triggerconstantcontract';
    const paused = this.budget.pausedForMs;
    if (paused > 0) throw new RateLimitedError(`${endpoint}: requests are paused for the node's rate`, paused);
    const answer = await this.call(endpoint, () => this.tronWeb.fullNode.request('wallet/triggerconstantcontract', usdtTransferCall(from, to), 'post'));
    return readUsdtTransferAnswer(answer as Record<string, any>);
  }
}
