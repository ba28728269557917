/**
 * Where updates come from. Long polling by default: getUpdates with a 30 s
 * wait, the offset confirming what was handled, so an update the bot died on
 * is delivered again (and its order, by its key, placed once). Updates of one
 * chat are handled in order, chats side by side: a chat whose answer is slow
 * in coming (Joule slow, Telegram slow for it) holds up no other chat, and
 * the bot goes on polling meanwhile; a chat's updates past
 * MAX_IN_FLIGHT_PER_CHAT waiting are dropped as they come, so that a flood
 * from one chat cannot stop the polls. The offset stays below the oldest update
 * still being handled, so Telegram answers the polls with it again at once:
 * those are not handled twice, and with nothing new the next poll waits for
 * a handler to finish or 500 ms. A poll answers 100 updates at most: when
 * all 100 are ones already started, the ones behind them could not be read
 * until the oldest is done, so the offset then moves past everything
 * started (those, if the bot dies before they are done, are not delivered
 * again: their orders' keys would have made that safe, but a tap can be
 * lost). Failures back off from 1 s to a minute, and
 * a server that answers an empty poll at once (a test server, a proxy that
 * drops the wait) is not asked again for 250 ms: never a tight loop against
 * Telegram.
 *
 * With TELEGRAM_WEBHOOK_URL, Telegram posts each update to the bot's HTTP
 * listener instead, with the secret token the bot registered; anything
 * without it is refused.
 */
import type { Bot } from 'grammy';
import type { Update } from 'grammy/types';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../observability/logger.js';

const POLL_WAIT_S = 30;
const EMPTY_POLL_PAUSE_MS = 250;
const MAX_BACKOFF_MS = 60_000;
export const ALLOWED_UPDATES = ['message', 'callback_query'] as const;

/** Handles one update; a handler's own failure is logged, never thrown (the next updates must go on). */
export type UpdateHandler = (update: Update) => Promise<void>;

/** Updates being handled at once, at most: past this the bot polls for no more until some are done. */
const MAX_IN_FLIGHT = 256;
/**
 * Updates of one chat waiting or being handled, at most: more are dropped as
 * they come (a flood, which the per-user limit would drop anyway, only after
 * each had waited its turn), so that one chat cannot fill MAX_IN_FLIGHT and
 * stop the polls every other chat's updates come by. Above the default
 * BOT_USER_RATE_PER_MIN: a burst within a user's limit is never dropped.
 */
export const MAX_IN_FLIGHT_PER_CHAT = 40;
/** Updates a poll answers at most (Telegram's own limit). */
const POLL_LIMIT = 100;
/** With updates in flight and nothing new, the next poll waits this long at most (or for one to be done). */
const IN_FLIGHT_POLL_MS = 500;

/**
 * The updates being handled: each chat's one after another (a lane per
 * chat), chats side by side, and what the offset may confirm.
 */
export class UpdateLanes {
  private readonly lanes = new Map<number | string, Promise<void>>();
  /** Updates of each chat in its lane (waiting or being handled). */
  private readonly queued = new Map<number | string, number>();
  private readonly inFlight = new Set<number>();
  /** Updates handled above the offset (an older one is still in flight): Telegram sends them again until it moves. */
  private readonly handled = new Set<number>();
  private next = 0;
  /** Confirmed past updates still in flight (skipPast): the offset never goes below it. */
  private floor = 0;
  private wake: (() => void) | undefined;

  constructor(private readonly handle: UpdateHandler) {}

  /** Updates dropped because their chat's lane was full. */
  dropped = 0;

  get busy(): number {
    return this.inFlight.size;
  }

  /** The offset to poll with: every update below it is handled, so Telegram may forget it. */
  get offset(): number {
    let lowest = this.next;
    for (const id of this.inFlight) lowest = Math.min(lowest, id);
    return Math.max(lowest, this.floor);
  }

  /** Lets Telegram forget every update started, done or not: the polls can then read past them. */
  skipPast(): void {
    this.floor = this.next;
  }

  /** Starts each update not started before on its chat's lane; how many were new. */
  start(updates: readonly Update[]): number {
    const offset = this.offset;
    let fresh = 0;
    for (const u of updates) {
      if (u.update_id < offset || this.inFlight.has(u.update_id) || this.handled.has(u.update_id)) continue;
      fresh++;
      this.next = Math.max(this.next, u.update_id + 1);
      const chat = u.message?.chat.id ?? u.callback_query?.message?.chat.id ?? u.callback_query?.from.id ?? `update ${u.update_id}`;
      const queued = this.queued.get(chat) ?? 0;
      if (queued >= MAX_IN_FLIGHT_PER_CHAT) {
        this.dropped++;
        this.done(u.update_id);
        continue;
      }
      this.queued.set(chat, queued + 1);
      this.inFlight.add(u.update_id);
      // The handler logs its own failures; one that throws anyway must not stop its chat's lane.
      const lane = (this.lanes.get(chat) ?? Promise.resolve())
        .then(() => this.handle(u))
        .catch(() => undefined)
        .finally(() => {
          const left = (this.queued.get(chat) ?? 1) - 1;
          if (left > 0) this.queued.set(chat, left);
          else this.queued.delete(chat);
          this.done(u.update_id);
        });
      this.lanes.set(chat, lane);
      void lane.finally(() => {
        if (this.lanes.get(chat) === lane) this.lanes.delete(chat);
      });
    }
    return fresh;
  }

  /** Resolves when an update in flight is done, or after `ms`. */
  async oneDone(ms: number, signal: AbortSignal): Promise<void> {
    const done = new Promise<void>((resolve) => (this.wake = resolve));
    await Promise.race([done, sleep(ms, undefined, { signal }).catch(() => undefined)]);
    this.wake = undefined;
  }

  /** Resolves when every update in flight is done. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.lanes.values()]);
  }

  private done(id: number): void {
    this.inFlight.delete(id);
    this.handled.add(id);
    const offset = this.offset;
    for (const h of this.handled) if (h < offset) this.handled.delete(h);
    this.wake?.();
  }
}

export class LongPolling {
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(
    private readonly bot: Bot,
    private readonly handle: UpdateHandler,
    private readonly log: Logger,
    private readonly safe: (err: unknown) => string,
  ) {}

  async start(): Promise<void> {
    // A webhook left set makes getUpdates fail: polling is what this process was asked for.
    await this.bot.api.deleteWebhook();
    this.loop = this.run();
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    let backoffMs = 1000;
    const { signal } = this.abort;
    const lanes = new UpdateLanes(this.handle);
    while (!signal.aborted) {
      if (lanes.busy >= MAX_IN_FLIGHT) {
        await lanes.oneDone(IN_FLIGHT_POLL_MS, signal);
        continue;
      }
      const asked = performance.now();
      try {
        // With updates in flight Telegram answers at once (it sends them again): no long wait asked.
        const wait = lanes.busy > 0 ? 0 : POLL_WAIT_S;
        const updates = await this.bot.api.getUpdates({ offset: lanes.offset, limit: POLL_LIMIT, timeout: wait, allowed_updates: [...ALLOWED_UPDATES] }, signal as Parameters<Bot["api"]["getUpdates"]>[1]);
        backoffMs = 1000;
        const fresh = lanes.start(updates);
        // A full answer of updates all started: what comes behind them can only be read past them.
        if (fresh === 0 && updates.length >= POLL_LIMIT) lanes.skipPast();
        else if (fresh === 0 && lanes.busy > 0) await lanes.oneDone(IN_FLIGHT_POLL_MS, signal);
        else if (fresh === 0 && performance.now() - asked < EMPTY_POLL_PAUSE_MS) {
          await sleep(EMPTY_POLL_PAUSE_MS, undefined, { signal }).catch(() => undefined);
        }
      } catch (err) {
        if (signal.aborted) break;
        this.log.warn({ err: this.safe(err), retry_in_ms: backoffMs }, 'bot: getUpdates failed');
        await sleep(backoffMs * (0.5 + Math.random() / 2), undefined, { signal }).catch(() => undefined);
        backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
      }
    }
    // Closing: what was started is finished (its order placed or not), never cut off half-way, and
    // confirmed, so a restarted bot is not sent it again (best effort: at worst it is, as after a crash).
    await lanes.drain();
    await this.bot.api.getUpdates({ offset: lanes.offset, timeout: 0, limit: 1, allowed_updates: [...ALLOWED_UPDATES] }).catch(() => undefined);
  }
}
