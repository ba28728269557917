export const BREAKER_STATES = ['closed', 'open', 'half-open'] as const;
export type BreakerState = (typeof BREAKER_STATES)[number];

/**
 * closed     enqueues are attempted
 * open       after `threshold` failures in a row: nothing is attempted for `openMs`
 * half-open  a background probe (a PING, never a user's enqueue) runs; success
 *            closes the breaker, failure opens it again
 */
export class CircuitBreaker {
  private _state: BreakerState = 'closed';
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly threshold: number,
    private readonly openMs: number,
    /** Resolves when the dependency answers; rejects (or times out) otherwise. */
    private readonly probe: () => Promise<unknown>,
    private readonly onChange: (state: BreakerState) => void = () => {},
  ) {}

  get state(): BreakerState {
    return this._state;
  }

  /** True when a call may be attempted now. */
  get allows(): boolean {
    return this._state === 'closed';
  }

  success(): void {
    this.failures = 0;
    if (this._state !== 'closed') this.set('closed');
  }

  failure(): void {
    this.failures++;
    if (this._state === 'closed' && this.failures >= this.threshold) this.open();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private open(): void {
    this.set('open');
    clearTimeout(this.timer);
    if (this.stopped) return;
    // Jittered, so many API processes do not probe in step.
    this.timer = setTimeout(() => void this.halfOpen(), this.openMs * (0.8 + Math.random() * 0.4));
    this.timer.unref();
  }

  private async halfOpen(): Promise<void> {
    if (this.stopped) return;
    this.set('half-open');
    try {
      await this.probe();
      this.success();
    } catch {
      this.open();
    }
  }

  private set(state: BreakerState): void {
    if (state === this._state) return;
    this._state = state;
    this.onChange(state);
  }
}
