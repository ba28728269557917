import { ChainUnavailableError, RateLimitedError } from '../chain/gateway.js';
import { claimDueReceivers, recordReceiverFailure, saveReceiverEnergy } from '../db/saved-addresses.js';
import { TurnLoop } from '../turn-loop.js';
import type { EngineContext } from './context.js';
import { describeError } from './pool-monitor.js';

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
  private readonly loop: TurnLoop;

  constructor(
    private readonly ctx: EngineContext,
    intervalMs: number,
  ) {
    this.loop = new TurnLoop(() => this.tick(), intervalMs, (message) =>
      ctx.log.warn({ err: message }, 'receiver energy: turn failed; trying again next interval'),
    );
  }

  start(): void {
    this.loop.start();
  }

  /** Something is due now: look without waiting for the interval. */
  wake(): void {
    this.loop.wake();
  }

  /** One turn: a few due addresses read; a full turn means more are waiting. */
  async tick(): Promise<number | undefined> {
    const { db, chain } = this.ctx;
    const due = await claimDueReceivers(db, READS_PER_TURN, HOLD_MS);
    for (const { address } of due) {
      try {
        await saveReceiverEnergy(db, address, await chain.receiverEnergy(address));
      } catch (err) {
        // The operator's log has the node's own words; the tenant who saved the address sees why in general
        // terms: an error's text names the node (its host, address and port), which is the operator's.
        this.ctx.log.warn({ address, err: describeError(err) }, "a saved address's energy could not be read");
        await recordReceiverFailure(db, address, readFailure(err));
      }
    }
    return due.length === READS_PER_TURN ? 0 : undefined;
  }

  close(): Promise<void> {
    return this.loop.close();
  }
}

/** Why a read failed, as a client may be told it (`energy_error`). */
function readFailure(err: unknown): string {
  if (err instanceof RateLimitedError) return 'the node refused the read for its request rate; it is read again later';
  if (err instanceof ChainUnavailableError) return 'the node could not be reached; it is read again later';
  return 'the node could not read this address; it is read again later';
}
