// How used energy and bandwidth recover, with java-tron's own arithmetic
// (ResourceProcessor.increase): usage is kept as a fixed-point average over a
// 24-hour window of 3-second slots, decays linearly, and new usage is added
// on top. One window for every account: java-tron's per-account window
// resizing after undelegation is not modelled.
import { RESOURCE_WINDOW_SLOTS, USAGE_PRECISION } from './constants.js';

function divideCeil(numerator: bigint, denominator: bigint): bigint {
  return numerator / denominator + (numerator % denominator > 0n ? 1n : 0n);
}

/** Usage at `nowSlot`: what was used as of `lastSlot`, recovered since, plus `usage` spent now. */
export function increaseUsage(lastUsage: bigint, usage: bigint, lastSlot: number, nowSlot: number): bigint {
  const window = RESOURCE_WINDOW_SLOTS;
  let averageLast = divideCeil(lastUsage * USAGE_PRECISION, window);
  const averageNew = divideCeil(usage * USAGE_PRECISION, window);
  const elapsed = BigInt(nowSlot - lastSlot);
  if (elapsed >= window) {
    averageLast = 0n;
  } else if (elapsed > 0n) {
    const decay = Number(window - elapsed) / Number(window);
    averageLast = BigInt(Math.round(Number(averageLast) * decay));
  }
  return ((averageLast + averageNew) * window) / USAGE_PRECISION;
}

/** Usage left at `nowSlot` of what was used as of `lastSlot`. */
export function recoveredUsage(lastUsage: bigint, lastSlot: number, nowSlot: number): bigint {
  if (lastUsage <= 0n) return 0n;
  return increaseUsage(lastUsage, 0n, lastSlot, nowSlot);
}
