// Protocol constants the devnet shares with java-tron mainnet. Kept in one
// place so a reader can check them against the chain parameters in one look.

/** 1 TRX in sun. */
export const TRX = 1_000_000n;
/** Block interval of the real network; lock periods and recovery are counted in these slots. */
export const BLOCK_INTERVAL_MS = 3000;
/**
 * Chain parameter getMaxDelegateLockPeriod on mainnet: 30 days of blocks. java-tron's own
 * default (DynamicPropertiesStore) is DELEGATE_PERIOD / interval = 86,400; a proposal raised it.
 */
export const MAX_DELEGATE_LOCK_PERIOD = 864_000n;
/** `lock: true` without a period locks for 3 days (java-tron DELEGATE_PERIOD / interval). */
export const DEFAULT_DELEGATE_LOCK_PERIOD = 86_400n;
/** Used energy and bandwidth recover linearly over 24 h of slots. */
export const RESOURCE_WINDOW_SLOTS = 28_800n;
/** getCreateNewAccountFeeInSystemContract on mainnet: a transfer to an address that does not exist yet creates it for this fee. */
export const CREATE_ACCOUNT_FEE = 1_000_000n;
/** AccountPermissionUpdateContract costs 100 TRX on mainnet. */
export const UPDATE_PERMISSION_FEE = 100_000_000n;
/** A transaction may not expire more than 24 h after the head block. */
export const MAX_EXPIRATION_WINDOW_MS = 86_400_000;
/** TaPoS references one of the last 65,536 blocks (two bytes of the number). */
export const TAPOS_WINDOW = 65_536;
/** getTotalNetLimit: bandwidth the whole network shares out to stakers per day. */
export const TOTAL_NET_LIMIT = 43_200_000_000n;
/** getFreeNetLimit on mainnet: free bandwidth every account gets per day (java-tron's genesis default is 5,000; proposal 61 adjusts it). */
export const FREE_NET_LIMIT = 600n;
/** getTransactionFee on mainnet: sun burnt per byte when an account has no bandwidth left (java-tron's default is 10). */
export const TRANSACTION_FEE = 1000n;
/** getEnergyFee on mainnet: sun per energy burnt when an account has no energy. */
export const ENERGY_FEE = 100n;
/** getCreateAccountFee: what a transaction creating an account burns when the sender's staked bandwidth cannot pay its bytes. */
export const CREATE_ACCOUNT_BANDWIDTH_FEE = 100_000n;
/** getMultiSignFee: a transaction with more than one signature burns this. */
export const MULTI_SIGN_FEE = 1_000_000n;
/** getMemoFee on mainnet: a transaction carrying a memo (raw_data.data) burns this (java-tron's default is 0; a proposal set it). */
export const MEMO_FEE: bigint = 1_000_000n;
/** getMaxCreateAccountTxSize: bytes (signatures excluded) a transaction creating an account may have. */
export const MAX_CREATE_ACCOUNT_TX_SIZE = 1000n;
/** Constant.MAX_RESULT_SIZE_IN_TX: bytes java-tron adds per contract for the result it will carry. */
export const MAX_RESULT_SIZE_IN_TX = 64n;
/** Constant.TRANSACTION_MAX_BYTE_SIZE: 500 KiB. */
export const TRANSACTION_MAX_BYTE_SIZE = 512_000n;
/** Constant.PER_SIGN_LENGTH: bytes of one signature. */
export const PER_SIGN_LENGTH = 65n;
/** ChainConstant.PRECISION: fixed-point scale of the resource usage arithmetic. */
export const USAGE_PRECISION = 1_000_000n;
/** DELEGATE_COST_BASE_SIZE: bytes getcandelegatedmaxsize reserves for the delegation transaction itself. */
export const DELEGATE_COST_BASE_SIZE = 275n;
/** Maximum signatures per transaction (getTotalSignNum). */
export const TOTAL_SIGN_NUM = 5;
/**
 * Operations bitmask of the default active permission as mainnet creates it.
 * Bit n set = contract type n allowed; includes 57 (DelegateResource) and 58 (UnDelegateResource).
 */
export const DEFAULT_ACTIVE_OPERATIONS = '7fff1fc0033efb0f000000000000000000000000000000000000000000000000';
/** What java-tron reports as its version in getnodeinfo; TronWeb feature-gates on it. */
export const CODE_VERSION = '4.8.0';
/** getMaxFeeLimit on mainnet: the most a transaction's fee_limit may be (15,000 TRX). */
export const MAX_FEE_LIMIT = 15_000_000_000n;
/** maxEnergyLimitForConstant: java-tron's default energy limit of a read-only call (CommonParameter). */
export const MAX_ENERGY_LIMIT_FOR_CONSTANT = 100_000_000n;
