import type { NetworkEnergy } from '../chain/gateway.js';
import { listPoolSnapshots, type PoolSnapshot } from '../db/pool-snapshots.js';
import type { EngineContext } from './context.js';

/** The freshest totals each engine has found in a snapshot, and when that snapshot was read. */
const lastSeen = new WeakMap<EngineContext, { observedAt: bigint; totals: NetworkEnergy }>();

/**
 * The network's energy totals (what a TRX of stake is worth in energy):
 * from the freshest pool snapshot when it was read within two refresh
 * intervals (the pool monitor reads them with every pool, and they move by
 * hundredths of a percent an hour, well inside ENERGY_MARGIN_BPS), else from
 * the node (a read shared by every caller for a block). `snapshots`: the
 * pools' snapshots when the caller has just read them (not read again).
 * Without them, the freshest totals this engine last found stand in while
 * they are as fresh as the rule asks: the pool choice reads every snapshot
 * for each order, so an activation needs no read of its own.
 */
export async function networkTotals(ctx: EngineContext, now: bigint, snapshots?: readonly PoolSnapshot[]): Promise<NetworkEnergy> {
  const seen = lastSeen.get(ctx);
  if (snapshots === undefined && seen !== undefined && now - seen.observedAt <= maxAge(ctx)) return seen.totals;
  return totalsFromSnapshots(ctx, now, snapshots ?? (await listPoolSnapshots(ctx.db))) ?? ctx.chain.networkEnergy(ctx.pools[0]!.address);
}

const maxAge = (ctx: EngineContext) => BigInt(2 * ctx.settings.poolRefreshMs);

/**
 * The totals of the freshest of these snapshots read within the rule's two
 * refresh intervals (remembered for networkTotals), or undefined when none
 * was: for a caller that may not ask the node (one in a database
 * transaction, which would hold its locks for as long as the node takes).
 */
export function totalsFromSnapshots(ctx: EngineContext, now: bigint, snapshots: readonly PoolSnapshot[]): NetworkEnergy | undefined {
  const seen = lastSeen.get(ctx);
  const fresh = snapshots
    .filter((p) => p.observed_at !== null && p.total_energy_weight > 0n && now - p.observed_at <= maxAge(ctx))
    .sort((a, b) => Number(b.observed_at! - a.observed_at!))[0];
  if (fresh === undefined) return undefined;
  const totals = { totalEnergyWeight: fresh.total_energy_weight, totalEnergyLimit: fresh.total_energy_limit };
  if (seen === undefined || fresh.observed_at! >= seen.observedAt) lastSeen.set(ctx, { observedAt: fresh.observed_at!, totals });
  return totals;
}
