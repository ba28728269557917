import { tronAddressToHex } from '../domain/address.js';
import { AppError } from '../domain/errors.js';
import { USDT_CONTRACT, usdtTransferEstimate, type UsdtTransferEstimate } from '../domain/usdt.js';
import { ChainUnavailableError, RateLimitedError } from './gateway.js';
import { SharedRead } from './shared-read.js';

/**
 * What a USDT transfer to an address needs, from the node itself: a
 * `transfer(to, 1)` simulated with `/wallet/triggerconstantcontract` on the
 * head state, sent from an address that holds USDT (from one that holds
 * none the contract reverts, and the node reports the revert's energy, not a
 * transfer's). The estimate depends on the receiver only: the sender is one
 * configured holder whoever asks, and the amount does not change the energy
 * as long as the sender keeps some USDT.
 */

/** The node's figures for one simulated transfer. */
export interface UsdtTransferSimulation {
  /** energy_used: the total, penalty included. */
  energyUsed: bigint;
  /** energy_penalty: what the contract's energy factor adds (0 when the node leaves it out). */
  energyPenalty: bigint;
}

/** The node simulated the transfer and it did not succeed (a revert, a refusal): its energy is not a transfer's. */
export class SimulationFailedError extends Error {
  readonly code = 'simulation_failed';
  constructor(readonly reason: string) {
    super(`the simulated USDT transfer failed: ${reason}`);
    this.name = 'SimulationFailedError';
  }
}

export interface UsdtTransferSimulator {
  simulateUsdtTransfer(from: string, to: string): Promise<UsdtTransferSimulation>;
}

const word = (hex: string): string => hex.padStart(64, '0');

function hexAddress(address: string): string {
  const hex = tronAddressToHex(address);
  if (hex === null) throw new Error(`not a TRON address: ${address}`);
  return hex;
}

/** The body of `/wallet/triggerconstantcontract` for transfer(to, 1) from `from` (addresses in hex, java-tron's default). */
export function usdtTransferCall(from: string, to: string): Record<string, unknown> {
  return {
    owner_address: hexAddress(from),
    contract_address: hexAddress(USDT_CONTRACT),
    function_selector: 'transfer(address,uint256)',
    // The address as an ABI word: its 20-byte account id (no 41), then the amount, 1 unit.
    parameter: word(hexAddress(to).slice(2)) + word('1'),
  };
}

const utf8 = (hex: unknown): string => (typeof hex === 'string' && /^([0-9a-fA-F]{2})*$/.test(hex) ? Buffer.from(hex, 'hex').toString('utf8') : String(hex ?? ''));

const integer = (v: unknown): bigint | undefined =>
  (typeof v === 'number' && Number.isSafeInteger(v)) || (typeof v === 'string' && /^[0-9]+$/.test(v)) ? BigInt(v) : undefined;

/**
 * Reads java-tron's TransactionExtention for the simulated transfer
 * (TriggerConstantContractServlet, Wallet.callConstantContract): a refusal is
 * `result: {code, message}`; a call that reverted still says `result: true`,
 * with the runtime error in `result.message` and its transaction's `ret`
 * FAILED; a transfer that ran returns true in `constant_result`.
 */
export function readUsdtTransferAnswer(answer: Record<string, any>): UsdtTransferSimulation {
  const result = answer.result as { result?: unknown; code?: unknown; message?: unknown } | undefined;
  if (result?.result !== true) throw new SimulationFailedError(`${String(result?.code ?? 'no result')}: ${utf8(result?.message)}`);
  if (result.message !== undefined && result.message !== '') throw new SimulationFailedError(utf8(result.message));
  if (answer.transaction?.ret?.[0]?.ret === 'FAILED') throw new SimulationFailedError('the call failed');
  const returned = answer.constant_result?.[0];
  if (typeof returned !== 'string' || !/^[0-9a-fA-F]{64}$/.test(returned) || BigInt(`0x${returned}`) !== 1n) {
    throw new SimulationFailedError(`transfer did not return true (${JSON.stringify(returned ?? null)})`);
  }
  const energyUsed = integer(answer.energy_used);
  const energyPenalty = answer.energy_penalty === undefined ? 0n : integer(answer.energy_penalty);
  if (energyUsed === undefined || energyUsed <= 0n || energyPenalty === undefined || energyPenalty >= energyUsed) {
    throw new SimulationFailedError(`no energy in the answer (energy_used ${JSON.stringify(answer.energy_used ?? null)}, energy_penalty ${JSON.stringify(answer.energy_penalty ?? null)})`);
  }
  return { energyUsed, energyPenalty };
}

/** Receivers asked about at once, beyond which another is turned away rather than queued in the request budget. */
export const MAX_PENDING_ESTIMATES = 16;
/** Receivers whose answer is kept (for a block each); past it the oldest go. */
export const MAX_KEPT_ESTIMATES = 1000;

/**
 * Estimates for the API: one simulation per receiver per block however many
 * ask (the answer cannot change before the next block), at most
 * MAX_PENDING_ESTIMATES receivers waiting for the node at once, so a flood
 * of addresses cannot fill the request budget the engine shares. Failures
 * come out as AppErrors with the API's codes, all 503: the node is down or
 * refusing (`chain_unavailable`), too many are waiting (`chain_busy`), or
 * the simulation failed (`estimate_failed`, e.g. the sender holds no USDT).
 */
export class UsdtTransferEstimates {
  private readonly reads: SharedRead<string, UsdtTransferEstimate>;
  private pending = 0;

  constructor(
    simulator: UsdtTransferSimulator,
    /** The USDT holder every transfer is simulated from. */
    readonly from: string,
    /** How long an answer is kept: a block interval. */
    shareMs: number,
    opts: { maxPending?: number; maxKept?: number } = {},
  ) {
    const maxPending = opts.maxPending ?? MAX_PENDING_ESTIMATES;
    this.reads = new SharedRead(
      shareMs,
      async (to) => {
        if (this.pending >= maxPending) {
          throw new AppError('chain_busy', 503, `more than ${maxPending} USDT transfer estimates are waiting for the node; retry after 1 s`, { retry_after_seconds: 1 });
        }
        this.pending++;
        try {
          const { energyUsed, energyPenalty } = await simulator.simulateUsdtTransfer(from, to);
          return usdtTransferEstimate(energyUsed, energyPenalty);
        } finally {
          this.pending--;
        }
      },
      opts.maxKept ?? MAX_KEPT_ESTIMATES,
    );
  }

  async usdtTransfer(to: string): Promise<UsdtTransferEstimate> {
    try {
      return await this.reads.get(to);
    } catch (err) {
      throw this.apiError(err);
    }
  }

  private apiError(err: unknown): unknown {
    if (err instanceof RateLimitedError) {
      const seconds = Math.max(1, Math.ceil(err.pauseMs / 1000));
      return new AppError('chain_unavailable', 503, `the TRON node refused requests for their rate; Joule asks it nothing for ${seconds} s`, {
        retry_after_seconds: seconds,
      });
    }
    if (err instanceof ChainUnavailableError) {
      return new AppError('chain_unavailable', 503, 'the TRON node could not be asked (down, too slow or answering errors); try again shortly');
    }
    if (err instanceof SimulationFailedError) {
      return new AppError(
        'estimate_failed',
        503,
        `the node could not simulate a USDT transfer from ${this.from} (${err.reason}); that address must hold USDT: the operator sets it with USDT_ESTIMATE_FROM`,
      );
    }
    return err;
  }
}
