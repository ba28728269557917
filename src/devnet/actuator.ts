// The contract of one system-contract actuator: parse the JSON parameter,
// validate it against the chain (java-tron's rules and messages), apply it.
import type { ChainState, ChainView } from './chain-state.js';

export interface ApplyContext {
  state: ChainState;
  /** Latest view (head with pending applied): what validation reads. */
  view: ChainView;
  /** Head block timestamp (ms): java-tron's LatestBlockHeaderTimestamp. */
  now: number;
  /** Head slot: what resource recovery is measured in. */
  slot: number;
  /** Validating for a transaction-building endpoint (java-tron's isTransactionCreate), not a broadcast. */
  building?: boolean;
}

/** What state inspection reports about a transaction. */
export interface ContractSummary {
  owner: string;
  receiver?: string;
  amount?: bigint;
  resource?: string;
}

export interface Actuator<P extends ContractSummary = ContractSummary> {
  /** ContractType number, as used in permission operation bitmasks. */
  readonly typeNumber: number;
  parse(value: Record<string, unknown>): P;
  /** Throws ContractValidateError with java-tron's message. */
  validate(contract: P, ctx: ApplyContext): void;
  /** Applies a validated contract; returns the fee burned, in sun. */
  execute(contract: P, ctx: ApplyContext): bigint;
}
