import { claimDueReceivers, recordReceiverFailure, saveReceiverEnergy } from '../db/saved-addresses.js';
import type { EngineContext } from './context.js';

/** Addresses read per turn at most: a burst of saves is spread over turns, never a burst of requests. */
const READS_PER_TURN = 5;
/** A claimed address is not claimed again for this long (a failed read is tried again then). */
const HOLD_MS = 30_000;

/**
 * Reads the energy of saved addresses that someone asked about (a new save,
 * a list whose last read is stale, our own delegation or reclaim to it), a
 * few a turn, through the process's request budget; the API shows the
 * latest read and never asks the chain itself.
 */
export class ReceiverMonitor {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private closed = false;
  private again = false;

  constructor(
    private readonly ctx: EngineContext,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.schedule(0);
  }

  /** Something is due now: look without waiting for the interval. */
  wake(): void {
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.running = this.tick()
        .catch((err: unknown) => this.ctx.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'receiver energy: turn failed; trying again next interval'))
        .then(() => {
          this.running = undefined;
          const soon = this.again;
          this.again = false;
          this.schedule(soon ? 0 : this.intervalMs);
        });
    }, ms);
  }

  async tick(): Promise<void> {
    const { db, chain } = this.ctx;
    const due = await claimDueReceivers(db, READS_PER_TURN, HOLD_MS);
    for (const { address } of due) {
      try {
        await saveReceiverEnergy(db, address, await chain.receiverEnergy(address));
      } catch (err) {
        await recordReceiverFailure(db, address, err instanceof Error ? err.message.replace(/(\w+:\/\/)[^/@\s]*@/g, '$1[redacted]@') : String(err));
      }
    }
    if (due.length === READS_PER_TURN) this.again = true;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
