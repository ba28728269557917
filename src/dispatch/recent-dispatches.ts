import type { DispatchPath } from '../observability/metrics.js';

export interface RecentDispatch {
  orderId: string;
  path: DispatchPath;
  /** When it was dispatched (this process's clock), ISO-8601. */
  at: string;
}

/** How many dispatches /api/status shows. */
export const RECENT_DISPATCHES = 20;

/**
 * The last few orders this process dispatched and the path each took, newest
 * first: a bounded list in memory, so reading it (GET /api/status) is no I/O.
 * Recording is on every order's path and reading is rare, so a record is a
 * write into a ring of slots and the times are written out as text on read.
 */
export class RecentDispatches {
  private readonly slots: Array<{ orderId: string; path: DispatchPath; atMs: number }> = [];
  /** Where the next record goes, once every slot is taken. */
  private next = 0;

  constructor(private readonly size = RECENT_DISPATCHES) {}

  record(orderId: string, path: DispatchPath): void {
    this.put(orderId, path, Date.now());
  }

  /** Orders dispatched together, in order: only the last `size` of them can show, so only those are written. */
  recordAll(orderIds: readonly string[], path: DispatchPath): void {
    const atMs = Date.now();
    for (let i = Math.max(0, orderIds.length - this.size); i < orderIds.length; i++) this.put(orderIds[i]!, path, atMs);
  }

  private put(orderId: string, path: DispatchPath, atMs: number): void {
    const entry = { orderId, path, atMs };
    if (this.slots.length < this.size) this.slots.push(entry);
    else this.slots[this.next] = entry;
    this.next = (this.next + 1) % this.size;
  }

  list(): RecentDispatch[] {
    const newestFirst: RecentDispatch[] = [];
    for (let i = 1; i <= this.slots.length; i++) {
      const { orderId, path, atMs } = this.slots[(this.next - i + this.size) % this.size]!;
      newestFirst.push({ orderId, path, at: new Date(atMs).toISOString() });
    }
    return newestFirst;
  }
}
