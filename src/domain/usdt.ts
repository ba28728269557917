/**
 * Tether USD (USDT), the TRC-20 token Joule's users pay with and its
 * customers' customers move: what a transfer of it costs in energy.
 */

/** Tether USD's contract on mainnet (and the devnet's built-in USDT). */
export const USDT_CONTRACT = 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t';

/**
 * Who a simulated transfer is sent from on a real chain unless
 * USDT_ESTIMATE_FROM says otherwise: Tether's treasury on TRON, where USDT
 * not yet issued is kept. The sender must hold USDT, or the contract reverts
 * and the node reports the revert's energy, not a transfer's; no test here
 * can check mainnet's balances, so an operator who knows a holder of its own
 * names it.
 */
export const USDT_TREASURY = 'TKHuVq1oKVruCGLvqVexFs6dawKv6fQgFs';

/**
 * Base energy (before the contract's dynamic-energy penalty) of storing into
 * a storage slot that held zero: the TVM's SSTORE of a new value, 20,000,
 * against 5,000 for changing a value. A USDT transfer writes two balances:
 * to a receiver that holds USDT it costs about 14,610 base energy in all
 * (64,285 with mainnet's penalty today); to one that holds none, the new
 * slot alone costs this much (29,610, or 130,285 with the penalty).
 */
export const NEW_SLOT_BASE_ENERGY = 20_000n;

export interface UsdtTransferEstimate {
  /** Energy the transfer needs now, penalty included: what the sender must have (or rent) not to burn TRX. */
  energy: bigint;
  /** Whether the receiver holds USDT now (the ~65k case), as opposed to none (~130k: a new balance slot). */
  holdsUsdt: boolean;
}

/**
 * Reads a simulated transfer's energy as the node reports it:
 * `energy_used` is the total, `energy_penalty` the part the contract's
 * energy factor adds (left out by java-tron when zero). Whether the receiver
 * already holds USDT follows from the base energy, which is the same on
 * every chain whatever the factor: one that writes a new slot costs at least
 * NEW_SLOT_BASE_ENERGY.
 */
export function usdtTransferEstimate(energyUsed: bigint, energyPenalty: bigint): UsdtTransferEstimate {
  if (energyUsed <= 0n || energyPenalty < 0n || energyPenalty >= energyUsed) {
    throw new Error(`not the energy of a transfer: energy_used ${energyUsed}, energy_penalty ${energyPenalty}`);
  }
  return { energy: energyUsed, holdsUsdt: energyUsed - energyPenalty < NEW_SLOT_BASE_ENERGY };
}
