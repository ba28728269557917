import type { NetworkEnergy } from '../chain/gateway.js';
import { listPoolSnapshots, type PoolSnapshot } from '../db/pool-snapshots.js';
import type { EngineContext } from './context.js';

/**
 * The network's energy totals (what a TRX of stake is worth in energy):
 * from the freshest pool snapshot when it was read within two refresh
 * intervals (the pool monitor reads them with every pool, and they move by
 * hundredths of a percent an hour, well inside ENERGY_MARGIN_BPS), else from
 * the node (a read shared by every caller for a block). `snapshots`: the
 * pools' snapshots when the caller has just read them (not read again).
 */
export async function networkTotals(ctx: EngineContext, now: bigint, snapshots?: readonly PoolSnapshot[]): Promise<NetworkEnergy> {
  const fresh = (snapshots ?? (await listPoolSnapshots(ctx.db)))
    .filter((p) => p.observed_at !== null && p.total_energy_weight > 0n && now - p.observed_at <= BigInt(2 * ctx.settings.poolRefreshMs))
    .sort((a, b) => Number(b.observed_at! - a.observed_at!))[0];
  if (fresh) return { totalEnergyWeight: fresh.total_energy_weight, totalEnergyLimit: fresh.total_energy_limit };
  return ctx.chain.networkEnergy(ctx.pools[0]!.address);
}
