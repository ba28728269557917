/**
 * A read of chain state that every caller in the process shares: callers
 * that ask at once wait for one request, and its answer serves everyone for
 * `ttlMs` (a block interval: the state cannot be newer than the last block).
 * A failed read is not kept.
 */
export class SharedRead<K, V> {
  private readonly cache = new Map<K, { at: number; value: V }>();
  private readonly inFlight = new Map<K, Promise<V>>();

  constructor(
    private readonly ttlMs: number,
    private readonly read: (key: K) => Promise<V>,
    /** Entries kept at most (least recently read go first). */
    private readonly maxEntries = 1000,
  ) {}

  get(key: K): Promise<V> {
    const hit = this.cache.get(key);
    if (hit && performance.now() - hit.at < this.ttlMs) return Promise.resolve(hit.value);
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.read(key)
        .then((value) => {
          this.cache.delete(key);
          this.cache.set(key, { at: performance.now(), value });
          if (this.cache.size > this.maxEntries) this.cache.delete(this.cache.keys().next().value as K);
          return value;
        })
        .finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  /** Forget what is known (the state changed by something we did). */
  forget(key: K): void {
    this.cache.delete(key);
  }
}
