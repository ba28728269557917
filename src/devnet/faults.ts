// Injected failures, set through the admin API. Each fault counts down the
// requests or broadcasts it affects; `remaining: null` means until cleared.

export interface HttpErrorFault {
  status: number;
  remaining: number | null;
  pathPrefix: string;
  /** 'before': the request is not processed; 'after': processed, then the answer is lost. */
  when: 'before' | 'after';
}

export interface HangFault {
  ms: number;
  remaining: number | null;
  pathPrefix: string;
}

/**
 * A node behind the others (a load balancer's, still syncing) that has not
 * seen the transactions of what is asked: it answers `{}`, java-tron's
 * answer for an account or delegation it does not hold.
 */
export interface EmptyReadFault {
  remaining: number | null;
  pathPrefix: string;
}

export interface DropFault {
  remaining: number | null;
}

export interface DelayFault {
  blocks: number;
  remaining: number | null;
}

export interface FailBroadcastFault {
  code: string;
  message: string;
  remaining: number;
}

/** The transaction is accepted into the pending pool, but the answer is this failure. */
export interface AcceptThenFailFault {
  code: string;
  message: string;
  remaining: number | null;
}

export interface FaultState {
  httpError?: HttpErrorFault;
  hang?: HangFault;
  emptyRead?: EmptyReadFault;
  drop?: DropFault;
  delay?: DelayFault;
  failBroadcast?: FailBroadcastFault;
  acceptThenFail?: AcceptThenFailFault;
}

/** Takes one use of a countdown fault; returns whether it applied. */
function use(fault: { remaining: number | null } | undefined): boolean {
  if (fault === undefined) return false;
  if (fault.remaining === null) return true;
  if (fault.remaining <= 0) return false;
  fault.remaining -= 1;
  return true;
}

export class Faults {
  state: FaultState = {};

  clear(): void {
    this.state = {};
  }

  takeHttpError(path: string, when: 'before' | 'after'): number | null {
    const fault = this.state.httpError;
    if (fault === undefined || fault.when !== when || !path.startsWith(fault.pathPrefix)) return null;
    if (!use(fault)) return null;
    if (fault.remaining === 0) delete this.state.httpError;
    return fault.status;
  }

  takeHang(path: string): number | null {
    const fault = this.state.hang;
    if (fault === undefined || !path.startsWith(fault.pathPrefix)) return null;
    if (!use(fault)) return null;
    if (fault.remaining === 0) delete this.state.hang;
    return fault.ms;
  }

  /** Whether to answer this read `{}`, as a node behind would. */
  takeEmptyRead(path: string): boolean {
    const fault = this.state.emptyRead;
    if (fault === undefined || !path.startsWith(fault.pathPrefix)) return false;
    if (!use(fault)) return false;
    if (fault.remaining === 0) delete this.state.emptyRead;
    return true;
  }

  takeFailBroadcast(): FailBroadcastFault | null {
    const fault = this.state.failBroadcast;
    if (fault === undefined || !use(fault)) return null;
    if (fault.remaining === 0) delete this.state.failBroadcast;
    return fault;
  }

  /** The failure to answer for a broadcast that was just accepted, or null. */
  takeAcceptThenFail(): AcceptThenFailFault | null {
    const fault = this.state.acceptThenFail;
    if (fault === undefined || !use(fault)) return null;
    if (fault.remaining === 0) delete this.state.acceptThenFail;
    return fault;
  }

  takeDrop(): boolean {
    const fault = this.state.drop;
    if (!use(fault)) return false;
    if (fault!.remaining === 0) delete this.state.drop;
    return true;
  }

  /** Blocks to hold the next broadcast back, or null. */
  takeDelay(): number | null {
    const fault = this.state.delay;
    if (fault === undefined || !use(fault)) return null;
    if (fault.remaining === 0) delete this.state.delay;
    return fault.blocks;
  }
}
