import { providers, TronWeb } from 'tronweb';
import {
  AccountNotFoundError,
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

/** A JSON integer from the node as bigint (TronWeb parses them as numbers; ours stay below 2^53). */
const big = (v: unknown): bigint => (typeof v === 'number' || typeof v === 'string' ? BigInt(v) : 0n);

type Tx = { txID: string; raw_data: { expiration: number }; signature?: string[] };

interface BlockHeader {
  ref_block_bytes: string;
  ref_block_hash: string;
  expiration: number;
  timestamp: number;
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

/**
 * ChainGateway over the real TronWeb against a java-tron HTTP API (or the
 * devnet). Every node call is bounded by `timeoutMs`; transport failures
 * become ChainUnavailableError, which the engine treats as "ask again later".
 */
export class TronWebGateway implements ChainGateway {
  private readonly tronWeb: TronWeb;

  constructor(fullHost: string, opts: { timeoutMs: number; apiKey?: string | undefined }) {
    const headers = opts.apiKey ? { 'TRON-PRO-API-KEY': opts.apiKey } : {};
    const provider = () => new providers.HttpProvider(fullHost, opts.timeoutMs, '', '', headers);
    this.tronWeb = new TronWeb({ fullNode: provider(), solidityNode: provider(), eventServer: provider() });
  }

  static addressOf(privateKey: string): string {
    const address = TronWeb.address.fromPrivateKey(privateKey);
    if (typeof address !== 'string') throw new Error('not a valid private key');
    return address;
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await fn();
    } catch (err) {
      throw new ChainUnavailableError(`${what}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
    }
    const error = (result as { Error?: unknown } | null)?.Error;
    if (error !== undefined) throw new ChainUnavailableError(`${what}: node answered ${String(error)}`);
    return result;
  }

  async networkEnergy(pool: string): Promise<NetworkEnergy> {
    const r = (await this.call('getaccountresource', () => this.tronWeb.trx.getAccountResources(pool))) as unknown as Record<string, unknown>;
    return { totalEnergyWeight: big(r.TotalEnergyWeight), totalEnergyLimit: big(r.TotalEnergyLimit) };
  }

  async delegatableSun(pool: string): Promise<bigint> {
    const r = (await this.call('getcandelegatedmaxsize', () =>
      this.tronWeb.trx.getCanDelegatedMaxSize(pool, 'ENERGY', { confirmed: false }),
    )) as { max_size?: number };
    return big(r.max_size);
  }

  async account(address: string): Promise<AccountInfo> {
    const r = (await this.call('getaccount', () => this.tronWeb.trx.getUnconfirmedAccount(address))) as unknown as Record<string, unknown>;
    return { exists: Object.keys(r).length > 0, isContract: r.type === 'Contract' };
  }

  private async sign(pool: PoolAccount, tx: Tx): Promise<SignedTransaction> {
    const signed = (pool.permissionId === undefined
      ? await this.tronWeb.trx.sign(tx as never, pool.privateKey)
      : await this.tronWeb.trx.multiSign(tx as never, pool.privateKey, pool.permissionId)) as unknown as Tx;
    return { txid: signed.txID, json: JSON.stringify(signed), expiration: BigInt(signed.raw_data.expiration) };
  }

  /** Reference block (TronWeb's own `getblock` call) with a creation timestamp of our own. */
  private async buildOptions(pool: PoolAccount): Promise<{ blockHeader: BlockHeader; permissionId?: number }> {
    const ref = (await this.call('getblock (reference block)', () => this.tronWeb.trx.getCurrentRefBlockParams())) as BlockHeader;
    const blockHeader = { ...ref, timestamp: uniqueTimestamp() };
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

  async broadcast(signedJson: string): Promise<BroadcastOutcome> {
    const r = (await this.call('broadcasttransaction', () =>
      this.tronWeb.trx.sendRawTransaction(JSON.parse(signedJson) as never),
    )) as unknown as { result?: boolean; code?: string; message?: string };
    if (r.result === true) return { accepted: true };
    const message = typeof r.message === 'string' ? TronWeb.toUtf8(r.message) : '';
    return { accepted: false, code: String(r.code ?? 'UNKNOWN'), message };
  }

  async transactionStatus(txid: string): Promise<TransactionStatus> {
    const solid = (await this.call('walletsolidity/gettransactioninfobyid', () =>
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
    const head = (await this.call('wallet/gettransactioninfobyid', () =>
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
    return this.block((await this.call('getnowblock', () => this.tronWeb.trx.getCurrentBlock())) as Record<string, any>);
  }

  async solidBlock(): Promise<BlockRef> {
    return this.block((await this.call('walletsolidity/getnowblock', () => this.tronWeb.trx.getConfirmedCurrentBlock())) as Record<string, any>);
  }

  async delegation(pool: string, receiver: string): Promise<DelegationRecord> {
    const r = (await this.call('getdelegatedresourcev2', () =>
      this.tronWeb.trx.getDelegatedResourceV2(pool, receiver, { confirmed: false }),
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
    const [account, resources, delegatableSun] = await Promise.all([
      this.call('getaccount', () => this.tronWeb.trx.getUnconfirmedAccount(pool)) as Promise<unknown> as Promise<Record<string, any>>,
      this.call('getaccountresource', () => this.tronWeb.trx.getAccountResources(pool)) as Promise<unknown> as Promise<Record<string, unknown>>,
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
    };
  }

  async chainParameters(): Promise<ChainParameters> {
    const list = (await this.call('getchainparameters', () => this.tronWeb.trx.getChainParameters())) as unknown as Array<{ key: string; value?: unknown }>;
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
}
