import { heldByPool, type HeldOnPool } from '../../db/orders.js';
import { listPoolSnapshots } from '../../db/pool-snapshots.js';
import type { ApiContext } from '../context.js';
import { ErrorBody, PoolListBody } from '../schemas.js';
import { poolView } from '../views.js';
import type { TypedApp } from '../typed-app.js';

/**
 * GET /api/pools: each pool account as the workers last read it from the
 * chain (`pool_snapshots`), with what our unconfirmed orders hold on it read
 * live from the database. Never asks the chain.
 */
/** How long a snapshot may go unread before its pool is shown retired. */
export const retireAfterMs = (poolRefreshMs: number): number => Math.max(5 * poolRefreshMs, 60_000);

const NOTHING_HELD: HeldOnPool = { reservedSun: 0n, owedTransactions: 0n };

export function poolRoutes(app: TypedApp, ctx: ApiContext): void {
  app.get(
    '/api/pools',
    {
      preHandler: ctx.guards.admin,
      schema: {
        summary: 'Pool accounts: stake, delegated, reserved and available capacity (admin)',
        description:
          'One entry per pool account a worker has read at least once (every POOL_REFRESH_MS, and soon after each confirmed delegation or reclaim), by address. ' +
          'available_sun is what the engine would still let a new order take: delegatable_sun - reserved_sun.',
        tags: ['pools'],
        security: [{ adminToken: [] }],
        response: { 200: PoolListBody, '4xx': ErrorBody },
      },
    },
    async () => {
      const snapshots = await listPoolSnapshots(ctx.db);
      const held = await heldByPool(ctx.db);
      // A pool no worker reads any more (taken out of POOL_PRIVATE_KEYS) keeps its row; it is shown retired.
      const retiredBefore = BigInt(Date.now() - retireAfterMs(ctx.config.engine.poolRefreshMs));
      return { pools: snapshots.map((p) => poolView(p, held.get(p.address) ?? NOTHING_HELD, p.updated_at < retiredBefore)) };
    },
  );
}
