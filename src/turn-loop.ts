/**
 * The turns of a background job (the follower, flash refunds, receiver
 * reads, webhook deliveries): one turn at a time; the next `intervalMs`
 * after the last one ends, or as soon as the turn asks; and at once when
 * woken. A wake during a turn runs another right after it, so nothing asked
 * for is missed and two turns never overlap. A turn that throws is reported
 * and the loop goes on at the interval. `close` stops the loop and waits for
 * the turn under way.
 */
export class TurnLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    /** One turn; resolves to the wait before the next in ms, or undefined for the interval. */
    private readonly turn: () => Promise<number | undefined>,
    private readonly intervalMs: number,
    /** Told the message of a turn that threw. */
    private readonly failed: (message: string) => void,
  ) {}

  /** Closed: no turn starts any more (a turn under way may look, to stop early). */
  get closed(): boolean {
    return this.stopped;
  }

  start(): void {
    this.schedule(0);
  }

  /** Something is due: a turn now, or right after the one under way. */
  wake(): void {
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.running = this.turn()
        .catch((err: unknown) => {
          this.failed(err instanceof Error ? err.message : String(err));
          return undefined;
        })
        .then((next) => {
          this.running = undefined;
          const soon = this.again;
          this.again = false;
          this.schedule(soon ? 0 : (next ?? this.intervalMs));
        });
    }, ms);
  }

  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
