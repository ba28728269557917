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
 */
export class RecentDispatches {
  private readonly entries: RecentDispatch[] = [];

  constructor(private readonly size = RECENT_DISPATCHES) {}

  record(orderId: string, path: DispatchPath): void {
    this.entries.unshift({ orderId, path, at: new Date().toISOString() });
    if (this.entries.length > this.size) this.entries.length = this.size;
  }

  list(): RecentDispatch[] {
    return this.entries.slice();
  }
}
