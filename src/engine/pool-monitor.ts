import { recordPoolFailure, savePoolSnapshot } from '../db/pool-snapshots.js';
import type { EngineContext } from './context.js';

/** How long after a read is asked for it is made (one read per burst). */
export const PROMPT_REFRESH_MS = 200;
/** Reads asked for by work waiting on the snapshots (none had room; a pool cannot pay): at most one per this many block intervals, per pool. */
const DEMAND_EVERY_POLLS = 10;

/** An error as text fit to store and log: never credentials from a node URL. */
export function describeError(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/(\w+:\/\/)[^/@\s]*@/g, '$1[redacted]@');
}

/**
 * Keeps a snapshot of every pool account in the database (`pool_snapshots`),
 * so that neither the API nor the engine asks the chain for stake and
 * capacity. All pools are read at once, on start and then every
 * POOL_REFRESH_MS, never two rounds at a time. Between reads, our own
 * confirmed delegations and reclaims keep the snapshots in step
 * (pool-stake.ts, and the follower's bandwidth charges); a pool is read
 * sooner only when that cannot be known (`refreshSoon(pool)`), or, at most
 * once per DEMAND_EVERY_POLLS block intervals, when no pool had room for an
 * order or a pool cannot pay for a transaction waiting on it (`demand`). A
 * pool that cannot be read keeps its last figures with the error beside
 * them, and the others go on.
 */
export class PoolMonitor {
  private timer: NodeJS.Timeout | undefined;
  private soonTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private closed = false;
  /** What the next round reads: every pool, or these. */
  private pending: 'all' | Set<string> = 'all';
  /** When each pool's read (`''`: every pool's) was last asked for by work waiting on it. */
  private readonly lastDemand = new Map<string, number>();

  constructor(
    private readonly ctx: EngineContext,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.schedule(0);
  }

  /** Read this pool (or every pool) again shortly; calls within PROMPT_REFRESH_MS make one round. Never throws. */
  refreshSoon(pool?: string): void {
    if (this.closed) return;
    this.want(pool);
    if (this.soonTimer !== undefined) return;
    this.soonTimer = setTimeout(() => {
      this.soonTimer = undefined;
      this.trigger();
    }, PROMPT_REFRESH_MS);
  }

  /**
   * Work waits on the snapshots (no pool had room: `undefined`; this pool cannot pay): read them soon, unless
   * that was asked within the last DEMAND_EVERY_POLLS block intervals. Every try of every waiting order or
   * refund asks; at PROMPT_REFRESH_MS apart, a dry pool would be read several times a second, past the node
   * budget's whole share.
   */
  demand(pool?: string): void {
    const key = pool ?? '';
    const now = performance.now();
    if (now - (this.lastDemand.get(key) ?? -Infinity) < DEMAND_EVERY_POLLS * this.ctx.settings.confirmPollMs) return;
    this.lastDemand.set(key, now);
    this.refreshSoon(pool);
  }

  private want(pool: string | undefined): void {
    if (pool === undefined) this.pending = 'all';
    else if (this.pending !== 'all') this.pending.add(pool);
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.want(undefined);
      this.trigger();
    }, ms);
  }

  /** Starts a round now, or right after the one under way. */
  private trigger(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    const wanted = this.pending;
    this.pending = new Set();
    // A round of every pool also restarts the periodic timer; a round of some leaves it be.
    if (wanted === 'all') clearTimeout(this.timer);
    const round = wanted === 'all' ? this.refreshAll() : Promise.all([...wanted].map((address) => this.refresh(address))).then(() => {});
    this.running = round.finally(() => {
      this.running = undefined;
      if (this.closed) return;
      // Jittered, so the monitors of many workers do not ask the node in step.
      if (wanted === 'all') this.schedule(this.intervalMs * (0.9 + Math.random() * 0.2));
      if (this.again) {
        this.again = false;
        this.trigger();
      }
    });
  }

  /** One round: every pool at once. Resolves when each is recorded, whatever happened to it. */
  async refreshAll(): Promise<void> {
    await Promise.all(this.ctx.pools.map((pool) => this.refresh(pool.address)));
  }

  private async refresh(address: string): Promise<void> {
    const { chain, db, log } = this.ctx;
    try {
      const [r, params] = await Promise.all([chain.poolResources(address), this.ctx.chainParameters()]);
      await savePoolSnapshot(db, address, {
        staked_sun: r.stakedSun,
        delegated_sun: r.delegatedSun,
        delegatable_sun: r.delegatableSun,
        energy_limit: r.energyLimit,
        total_energy_weight: r.totalEnergyWeight,
        total_energy_limit: r.totalEnergyLimit,
        balance_sun: r.balanceSun,
        free_net_limit: r.freeNetLimit,
        free_net_used: r.freeNetUsed,
        net_limit: r.netLimit,
        net_used: r.netUsed,
        transaction_fee_sun: params.transactionFeeSun,
        observed_block: r.observedBlock,
      });
    } catch (err) {
      const error = describeError(err);
      log.warn({ pool: address, err: error }, 'pool refresh failed; its last figures are kept');
      try {
        await recordPoolFailure(db, address, error);
      } catch (dbErr) {
        log.error({ pool: address, err: describeError(dbErr) }, 'pool refresh failure could not be recorded');
      }
    }
  }

  /** Stops the timers and waits for a round under way. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    clearTimeout(this.soonTimer);
    this.soonTimer = undefined;
    await this.running;
  }
}
