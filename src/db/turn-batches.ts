/** A caller waiting for its batch, and how it learns the outcome. */
export interface Settling<R> {
  resolve(result: R): void;
  reject(err: unknown): void;
}

/**
 * Writes that arrive in one turn of the event loop, gathered into batches:
 * at most `maxInFlight` batches are written at once, and the writes arriving
 * meanwhile gather for the next. A caller learns its outcome only once its
 * batch has been written. Under load a batch holds what arrived while the
 * one before was on its way; alone, a write waits one turn.
 */
export abstract class TurnBatches<W extends Settling<never>> {
  protected queue: W[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(private readonly maxInFlight: number) {}

  /** Queues a waiting caller for the next batch. */
  protected enqueue(w: W): void {
    this.queue.push(w);
    this.schedule();
  }

  /** The next batch, taken out of the queue; empty when every waiting caller must wait for a batch in flight. */
  protected abstract take(): W[];

  /**
   * A take() for batches of one kind: the oldest waiting caller's `kind`,
   * every caller of that kind in arrival order, each `id` once, at most
   * `max`; the rest wait for a later batch.
   */
  protected takeAlike(kind: (w: W) => string, id: (w: W) => string, max: number): W[] {
    const wanted = kind(this.queue[0]!);
    const batch: W[] = [];
    const rest: W[] = [];
    const ids = new Set<string>();
    for (const w of this.queue) {
      if (batch.length < max && kind(w) === wanted && !ids.has(id(w))) {
        batch.push(w);
        ids.add(id(w));
      } else {
        rest.push(w);
      }
    }
    this.queue = rest;
    return batch;
  }

  /** Writes a batch and settles each of its callers; never throws. */
  protected abstract send(batch: W[]): Promise<void>;

  /**
   * Writes a batch (`write`) and hands its outcome to `settle`. When the
   * write fails, nothing of it was written, and one caller's write may be the
   * cause: each is then written again alone, the same way, and learns its own
   * outcome (a write alone that fails is rejected with the error).
   */
  protected async writeOrEachAlone<T>(batch: W[], write: (batch: W[]) => Promise<T>, settle: (batch: W[], written: T) => void | Promise<void>): Promise<void> {
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

  /** A batch goes out (started) and has settled (finished): for a queue that keeps track of what is in flight. */
  protected started(_batch: readonly W[]): void {}
  protected finished(_batch: readonly W[]): void {}

  /** Sends what has gathered on the next turn, so that writes made together go together. */
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
