// TronGrid's request limits, in front of the node (profile `trongrid`). Each
// API key (the TRON-PRO-API-KEY header), or each client address when there is
// none, may make `perSecond` requests in any second and `perDay` in a day.
// Going over the rate suspends the key for `suspendMs`; past the quota it is
// refused until the day turns. Every one of these is chain time, so a devnet
// on an accelerated clock scales its limits with the chain (at 30x, 15 a
// chain-second is 450 a wall second and a 30 s suspension lasts one).

export interface RateLimit {
  /** Requests one key may make in any one second of chain time. */
  perSecond: number;
  /** Requests one key may make in one chain day (00:00 to 24:00 UTC of chain time). */
  perDay: number;
  /** Chain time a key is refused for after going over perSecond; 0 refuses only the excess. */
  suspendMs: number;
}

/** TronGrid's free plan: 15 requests a second and 100,000 a day per key, 30 s of suspension. */
export const TRONGRID_FREE_PLAN: Readonly<RateLimit> = { perSecond: 15, perDay: 100_000, suspendMs: 30_000 };

/** The header TronGrid reads its API key from (node lowercases header names). */
export const API_KEY_HEADER = 'tron-pro-api-key';

const SECOND_MS = 1000;
const DAY_MS = 86_400_000;
/** Keys and addresses remembered; past this the least recently seen is forgotten, so invented keys cannot grow the table. */
const MAX_CLIENTS = 1000;

/** The profile's limits with the fields given set over them; undefined when neither asks for limits. */
export function resolveRateLimit(fromProfile: Readonly<RateLimit> | undefined, given: Partial<RateLimit> | undefined): RateLimit | undefined {
  if (fromProfile === undefined && given === undefined) return undefined;
  const limit = { ...TRONGRID_FREE_PLAN, ...fromProfile };
  for (const field of ['perSecond', 'perDay', 'suspendMs'] as const) {
    const value = given?.[field];
    if (value !== undefined) limit[field] = value;
  }
  if (!Number.isSafeInteger(limit.perSecond) || limit.perSecond < 1) throw new Error('rateLimit.perSecond must be a positive integer');
  if (!Number.isSafeInteger(limit.perDay) || limit.perDay < 1) throw new Error('rateLimit.perDay must be a positive integer');
  if (!Number.isSafeInteger(limit.suspendMs) || limit.suspendMs < 0) throw new Error('rateLimit.suspendMs must be a non-negative integer');
  return limit;
}

/** Who a request counts against: its API key, or the address it came from when it has none. */
export function rateLimitClient(apiKey: string | string[] | undefined, remoteAddress: string | undefined): string {
  const key = (Array.isArray(apiKey) ? apiKey[0] : apiKey)?.trim();
  if (key) return `key:${key}`;
  return `ip:${(remoteAddress ?? 'unknown').replace(/^::ffff:/, '')}`;
}

/** What a refused request is answered: TronGrid's status, and the full-node API's `{"Error"}` body. */
export interface Refusal {
  status: number;
  body: { Error: string };
}

interface ClientState {
  /** Chain times of the last `perSecond` requests let through, as a ring; `next` is the oldest once it is full. */
  recent: number[];
  next: number;
  suspendedUntil: number;
  day: number;
  usedToday: number;
}

export interface RateLimitSnapshot extends RateLimit {
  /** Chain time now (ms), what the windows are measured in. */
  chainTime: number;
  /** When the current chain day, and with it every quota, ends. */
  dayEndsAt: number;
  clients: Array<{ client: string; usedToday: number; suspendedUntil: number | null }>;
}

export class RateLimiter {
  private readonly clients = new Map<string, ClientState>();
  private readonly frequency: Refusal;
  private readonly quota: Refusal;

  /** `chainTime` returns chain time now in ms (see chain-clock.ts). */
  constructor(
    readonly limit: RateLimit,
    private readonly chainTime: () => number,
  ) {
    // TronGrid's wording (developers.tron.network, "Rate Limits"), with the limits this devnet applies.
    this.frequency = {
      status: 403,
      body: { Error: `The key exceeds the frequency limit(${limit.perSecond}), and the query server is suspended for ${limit.suspendMs / SECOND_MS}s` },
    };
    // TronGrid documents no body for a spent quota: this one follows the shape and wording of the one above.
    this.quota = {
      status: 403,
      body: { Error: `The key exceeds the daily request limit(${limit.perDay}), and the query server is suspended until the next day` },
    };
  }

  /** Counts a request against its client; returns the answer to give instead when it is over a limit (and then it does not count). */
  check(client: string): Refusal | null {
    const now = this.chainTime();
    const state = this.stateOf(client, now);
    if (now < state.suspendedUntil) return this.frequency;
    const day = Math.floor(now / DAY_MS);
    if (state.day !== day) {
      state.day = day;
      state.usedToday = 0;
    }
    if (state.usedToday >= this.limit.perDay) return this.quota;
    const { perSecond } = this.limit;
    if (state.recent.length < perSecond) {
      state.recent.push(now);
    } else {
      // The ring is full: the oldest of the last perSecond requests decides whether this one is one too many this second.
      if (now - state.recent[state.next]! < SECOND_MS) {
        state.suspendedUntil = now + this.limit.suspendMs;
        return this.frequency;
      }
      state.recent[state.next] = now;
      state.next = (state.next + 1) % perSecond;
    }
    state.usedToday += 1;
    return null;
  }

  /** Forgets every quota used and every suspension. */
  reset(): void {
    this.clients.clear();
  }

  snapshot(): RateLimitSnapshot {
    const now = this.chainTime();
    const today = Math.floor(now / DAY_MS);
    return {
      ...this.limit,
      chainTime: now,
      dayEndsAt: (today + 1) * DAY_MS,
      clients: [...this.clients].map(([client, s]) => ({
        client,
        usedToday: s.day === today ? s.usedToday : 0,
        suspendedUntil: now < s.suspendedUntil ? s.suspendedUntil : null,
      })),
    };
  }

  private stateOf(client: string, now: number): ClientState {
    let state = this.clients.get(client);
    if (state === undefined) {
      if (this.clients.size >= MAX_CLIENTS) this.clients.delete(this.clients.keys().next().value!);
      state = { recent: [], next: 0, suspendedUntil: 0, day: Math.floor(now / DAY_MS), usedToday: 0 };
    } else {
      // Re-inserted so the map stays in order of last use and the one forgotten is the longest idle.
      this.clients.delete(client);
    }
    this.clients.set(client, state);
    return state;
  }
}
