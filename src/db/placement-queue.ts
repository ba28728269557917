import type { Db } from './connect.js';
import type { PaidOrder, Placement } from './order-placement.js';

/** An order waiting for its batch, and how its caller learns the outcome. */
export interface Waiting {
  order: PaidOrder;
  actor: string;
  resolve(placement: Placement): void;
  reject(err: unknown): void;
}

/**
 * The orders placed in one turn of the event loop, gathered into batches
 * that each dialect writes its own way (placement-batches.ts for
 * PostgreSQL, sqlite-placement-batches.ts): at most `maxInFlight` batches
 * are written at once, and the orders arriving meanwhile gather for the
 * next. A caller learns its outcome only once its batch has committed.
 */
export abstract class PlacementQueue {
  protected queue: Waiting[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    protected readonly db: Db,
    private readonly maxInFlight: number,
  ) {}

  place(order: PaidOrder, actor: string): Promise<Placement> {
    return new Promise((resolve, reject) => {
      this.queue.push({ order, actor, resolve, reject });
      this.schedule();
    });
  }

  /** The next batch, taken out of the queue; empty when every waiting order must wait for a batch in flight. */
  protected abstract take(): Waiting[];

  /** Writes a batch and settles each of its orders; never throws. */
  protected abstract send(batch: Waiting[]): Promise<void>;

  /**
   * Writes a batch (`write`) and hands its outcome to `settle`. When the
   * write fails, nothing of it was written, and one order may be the cause:
   * each order is then written again alone, the same way, and learns its own
   * outcome (an order alone that fails is rejected with the error).
   */
  protected async writeOrEachAlone<T>(
    batch: Waiting[],
    write: (batch: Waiting[]) => Promise<T>,
    settle: (batch: Waiting[], written: T) => void | Promise<void>,
  ): Promise<void> {
    let written: T;
    try {
      written = await write(batch);
    } catch (err) {
      if (batch.length === 1) batch[0]!.reject(err);
      else await Promise.all(batch.map((w) => this.writeOrEachAlone([w], write, settle)));
      return;
    }
    await settle(batch, written);
  }

  /** A batch goes out (started) and has settled (finished): for a dialect that keeps track of what is in flight. */
  protected started(_batch: readonly Waiting[]): void {}
  protected finished(_batch: readonly Waiting[]): void {}

  /** Sends what has gathered on the next turn, so that requests parsed together go together. */
  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
        const batch = this.take();
        if (batch.length === 0) return;
        this.inFlight++;
        this.started(batch);
        void this.send(batch).finally(() => {
          this.inFlight--;
          this.finished(batch);
          this.schedule();
        });
      }
    });
  }
}
