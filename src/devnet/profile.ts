// Timing presets. Every block is 3 s of chain time whatever the profile; a
// profile picks how often blocks come in wall time and how far the
// solidified view trails the head. Fees and bandwidth are the same in all.

export interface Profile {
  /** Wall time between blocks; 0 mines only on request. With less than 3000, chain time runs ahead of the clock. */
  blockIntervalMs: number;
  /** Blocks the solidified view (walletsolidity) trails the head. */
  solidifyLag: number;
}

export const PROFILES = {
  /** Quick to work with: a block every second, solid two blocks later. */
  default: { blockIntervalMs: 1000, solidifyLag: 2 },
  /** Mainnet's timing: a block every 3 s, solid 19 blocks (~57 s) later. */
  mainnet: { blockIntervalMs: 3000, solidifyLag: 19 },
} as const satisfies Record<string, Profile>;

export type ProfileName = keyof typeof PROFILES;

export const PROFILE_NAMES = Object.keys(PROFILES) as ProfileName[];

export function isProfileName(name: unknown): name is ProfileName {
  return typeof name === 'string' && Object.hasOwn(PROFILES, name);
}
