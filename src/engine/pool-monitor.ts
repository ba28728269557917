import { recordPoolFailure, savePoolSnapshot } from '../db/pool-snapshots.js';
import type { EngineContext } from './context.js';

/** How long after one of our delegations or reclaims confirms the pools are read again (one read per burst). */
export const PROMPT_REFRESH_MS = 200;

/** An error as text fit to store and show: never credentials from a node URL. */
function describe(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/(\w+:\/\/)[^/@\s]*@/g, '$1[redacted]@');
}

/**
 * Keeps a snapshot of every pool account in the database (`pool_snapshots`),
 * so that the API can show stake and capacity without asking the chain. All
 * pools are read at once, on start and then every POOL_REFRESH_MS, never two
 * rounds at a time; and soon after one of our delegations or reclaims
 * confirms. A pool that cannot be read keeps its last figures with the error
 * beside them, and the others go on.
 */
export class PoolMonitor {
  private timer: NodeJS.Timeout | undefined;
  private soonTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private closed = false;

  constructor(
    private readonly ctx: EngineContext,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.schedule(0);
  }

  /** Read every pool again shortly; calls within PROMPT_REFRESH_MS make one round. Never throws. */
  refreshSoon(): void {
    if (this.closed || this.soonTimer !== undefined) return;
    this.soonTimer = setTimeout(() => {
      this.soonTimer = undefined;
      this.trigger();
    }, PROMPT_REFRESH_MS);
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.trigger(), ms);
  }

  /** Starts a round now, or right after the one under way. */
  private trigger(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.running = this.refreshAll().finally(() => {
      this.running = undefined;
      if (this.closed) return;
      if (this.again) {
        this.again = false;
        this.trigger();
      } else {
        // Jittered, so the monitors of many workers do not ask the node in step.
        this.schedule(this.intervalMs * (0.9 + Math.random() * 0.2));
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
      });
    } catch (err) {
      const error = describe(err);
      log.warn({ pool: address, err: error }, 'pool refresh failed; its last figures are kept');
      try {
        await recordPoolFailure(db, address, error);
      } catch (dbErr) {
        log.error({ pool: address, err: describe(dbErr) }, 'pool refresh failure could not be recorded');
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
