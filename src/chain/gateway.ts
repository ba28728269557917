/**
 * What the engine needs from a TRON full node, in Joule's terms (bigint sun,
 * epoch milliseconds). The TronWeb implementation is tronweb-gateway.ts; the
 * engine depends on this interface only.
 */
export interface PoolAccount {
  address: string;
  /** Hex private key. Never logged, never returned by the API. */
  privateKey: string;
  /** Set when the key signs through an active permission (a delegate-only hot key). */
  permissionId: number | undefined;
}

export interface NetworkEnergy {
  /** TRX staked for energy across the network (whole TRX). */
  totalEnergyWeight: bigint;
  totalEnergyLimit: bigint;
}

export interface AccountInfo {
  exists: boolean;
  isContract: boolean;
}

export interface SignedTransaction {
  txid: string;
  /** The signed transaction as JSON, exactly what is broadcast (and re-broadcast). */
  json: string;
  /** raw_data.expiration: after this chain time the transaction can never be included. */
  expiration: bigint;
}

export type BroadcastOutcome = { accepted: true } | { accepted: false; code: string; message: string };

export type TransactionStatus =
  /** Neither view knows it. */
  | { state: 'unknown' }
  /** In a head block, not yet solidified. */
  | { state: 'included'; blockNumber: bigint }
  /** In a solidified block: final. `success` is the contract result. */
  | { state: 'confirmed'; success: boolean; blockNumber: bigint; blockTime: bigint; failure: string | undefined; netFeeSun: bigint };

export interface BlockRef {
  number: bigint;
  timestamp: bigint;
}

/** A transaction as a block lists it: its id and the result code the block records (`contractRet`). */
export interface BlockTransaction {
  txid: string;
  /** SUCCESS, or the code of a failure; undefined when the block gives none. */
  result: string | undefined;
  /** A payment the transaction makes, as its contract says (TRX, or a direct TRC20 `transfer` call); base58 addresses. */
  payment?: Payment | undefined;
}

/** A TRC20 Transfer(from, to, value) event from a transaction's receipt. */
export interface TransferEvent {
  /** Its position among the transaction's logs. */
  index: number;
  token: string;
  from: string;
  to: string;
  amount: bigint;
}

export interface Payment {
  /** `TRX`: a TransferContract; `TRC20`: a TriggerSmartContract calling transfer(address,uint256) on `token`. */
  kind: 'TRX' | 'TRC20';
  from: string;
  to: string;
  /** Sun, or the token's smallest unit. */
  amount: bigint;
  /** The token contract, for TRC20. */
  token?: string | undefined;
  /** The transaction's memo (raw_data.data) as UTF-8, if any. */
  memo?: string | undefined;
}

/** A transaction expires this long after the head it was built on (TronWeb's default): it was sent about this long before its expiration. */
export const TX_LIFETIME_MS = 60_000;

/** java-tron's GetBlockByLimitNextServlet serves at most this many blocks per request. */
export const BLOCKS_PER_REQUEST = 100;

/** A solidified block with its transactions. */
export interface ChainBlock extends BlockRef {
  id: string;
  transactions: BlockTransaction[];
}

export interface DelegationRecord {
  /** Sun delegated without a lock. */
  unlockedSun: bigint;
  /** Sun delegated under a lock, and when that lock ends (chain time, ms). */
  lockedSun: bigint;
  lockExpiresAt: bigint | null;
}

/** A pool account's energy stake and capacity, from the head view. */
export interface PoolResources {
  /** Staked for energy under Stake 2.0 (sun), including what is delegated out. */
  stakedSun: bigint;
  /** Staked for energy and delegated to others (sun). */
  delegatedSun: bigint;
  /** getcandelegatedmaxsize for ENERGY (sun). */
  delegatableSun: bigint;
  /** The account's own EnergyLimit. */
  energyLimit: bigint;
  totalEnergyWeight: bigint;
  totalEnergyLimit: bigint;
  /** TRX balance (sun): what transaction fees burn once bandwidth runs out. */
  balanceSun: bigint;
  /** Free daily bandwidth (bytes) and what of it is used; staked bandwidth likewise. */
  freeNetLimit: bigint;
  freeNetUsed: bigint;
  netLimit: bigint;
  netUsed: bigint;
  /** The head block before these reads: every transaction in it or earlier is reflected. */
  observedBlock: bigint;
}

/** The chain parameters Joule reads (getchainparameters, java-tron's names). */
export interface ChainParameters {
  /** getMaxDelegateLockPeriod: the longest lock_period (blocks); at or below 86,400 every lock is 3 days. */
  maxDelegateLockPeriod: bigint;
  /** getTransactionFee: sun burnt per byte of a transaction no bandwidth pays for. */
  transactionFeeSun: bigint;
  /** getEnergyFee: sun burnt per energy. */
  energyFeeSun: bigint;
}

export interface ChainGateway {
  /** The network's energy totals, as any account's getaccountresource reports them (shared for a block). */
  networkEnergy(pool: string): Promise<NetworkEnergy>;
  /** getcandelegatedmaxsize on the head view, in sun. */
  delegatableSun(pool: string): Promise<bigint>;
  account(address: string): Promise<AccountInfo>;
  /** An account's energy now (getaccountresource: used as recovered at the head); not activated: zeros. */
  receiverEnergy(address: string): Promise<{ activated: boolean; energyLimit: bigint; energyUsed: bigint }>;
  buildDelegate(pool: PoolAccount, receiver: string, sun: bigint, lockBlocks: bigint | null): Promise<SignedTransaction>;
  buildUndelegate(pool: PoolAccount, receiver: string, sun: bigint): Promise<SignedTransaction>;
  /** A TRX transfer from the pool (a flash-rent refund), signed by the pool's own key. */
  buildTransfer(pool: PoolAccount, to: string, sun: bigint): Promise<SignedTransaction>;
  broadcast(signedJson: string): Promise<BroadcastOutcome>;
  /**
   * The TRC20 Transfer events a solidified transaction emitted, in log order
   * (none if it failed). ChainUnavailableError when the node does not know
   * its receipt: a solidified transaction has one, so the node is behind or
   * keeps no receipts, and an answer of none would be taken for no event.
   */
  transferEvents(txid: string): Promise<TransferEvent[]>;
  /**
   * The same for every transaction of a solidified block, by txid, in one
   * request (every receipt of the block comes back: worth it from two
   * transactions of interest in a block).
   */
  blockTransferEvents(blockNumber: bigint): Promise<Map<string, TransferEvent[]>>;
  /** One transaction's fate, looked up by id: only where the blocks we follow cannot say. */
  transactionStatus(txid: string): Promise<TransactionStatus>;
  /** The head block (shared for a block interval). */
  headBlock(): Promise<BlockRef>;
  solidBlock(): Promise<BlockRef>;
  /**
   * Solidified blocks from `from` on, with their transactions, at most
   * `limit` (java-tron serves up to 100 per request); fewer, or none, when
   * the solidified chain ends sooner.
   */
  solidBlocks(from: bigint, limit: number): Promise<ChainBlock[]>;
  /**
   * What `pool` has delegated to `receiver` for energy: by the head view, or
   * by the solidified view (`solidified`), which a node shows only for
   * blocks the network has confirmed.
   */
  delegation(pool: string, receiver: string, view?: 'head' | 'solidified'): Promise<DelegationRecord>;
  /** Throws AccountNotFoundError for an account the chain does not know. */
  poolResources(pool: string): Promise<PoolResources>;
  chainParameters(): Promise<ChainParameters>;
}

/**
 * The node could not be asked or did not answer (network error, 5xx,
 * timeout). Never a verdict on a transaction: its outcome stays unknown.
 */
export class ChainUnavailableError extends Error {
  readonly code = 'chain_unavailable';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ChainUnavailableError';
  }
}

/**
 * The node (or the provider in front of it) refused the request for its
 * rate: the process's request budget pauses for as long as it asked.
 */
export class RateLimitedError extends ChainUnavailableError {
  constructor(
    message: string,
    readonly pauseMs: number,
  ) {
    super(message);
    this.name = 'RateLimitedError';
  }
}

/** The node answered, and the account does not exist on chain (it was never activated). */
export class AccountNotFoundError extends Error {
  readonly code = 'account_not_found';
  constructor(readonly address: string) {
    super(`account ${address} does not exist on chain (never activated)`);
    this.name = 'AccountNotFoundError';
  }
}
