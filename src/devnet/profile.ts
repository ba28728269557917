// Timing presets. Every block is 3 s of chain time whatever the profile; a
// profile picks how often blocks come in wall time and how far the
// solidified view trails the head, and `trongrid` adds TronGrid's request
// limits in front of the node. Fees and bandwidth are the same in all.
import { TRONGRID_FREE_PLAN, type RateLimit } from './rate-limit.js';

export interface Profile {
  /** Wall time between blocks; 0 mines only on request. With less than 3000, chain time runs ahead of the clock. */
  blockIntervalMs: number;
  /** Blocks the solidified view (walletsolidity) trails the head. */
  solidifyLag: number;
  /** Request limits per API key on /wallet and /walletsolidity; none when absent. */
  rateLimit?: Readonly<RateLimit>;
}

export const PROFILES = {
  /** Quick to work with: a block a second, solid two blocks later. */
  default: { blockIntervalMs: 1000, solidifyLag: 2 },
  /** Mainnet's timing: a block every 3 s, solid 19 blocks (~57 s) later. */
  mainnet: { blockIntervalMs: 3000, solidifyLag: 19 },
  /** Mainnet's timing behind TronGrid's free plan: 15 requests a second and 100,000 a day per key. */
  trongrid: { blockIntervalMs: 3000, solidifyLag: 19, rateLimit: TRONGRID_FREE_PLAN },
} as const satisfies Record<string, Profile>;

export type ProfileName = keyof typeof PROFILES;

export const PROFILE_NAMES = Object.keys(PROFILES) as ProfileName[];

export function isProfileName(name: unknown): name is ProfileName {
  return typeof name === 'string' && Object.hasOwn(PROFILES, name);
}
