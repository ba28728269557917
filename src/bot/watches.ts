/**
 * Messages that follow what happens in Joule: an order's message, edited in
 * place as the order moves (pending -> delegating -> active -> completed),
 * and a balance screen, edited when a deposit is credited. News comes from
 * the tenant's signed webhooks when the bot has their secret (`push`), and
 * from reading the order or the balance every `pollMs` otherwise; with
 * webhooks the reads go on ten times slower, as a safety net for an event
 * lost on the way. Watches live in this process: a restarted bot stops
 * editing old messages (/start and "My orders" show the truth again).
 *
 * The reads share the bot's key, and its requests a minute, with every
 * user's taps: an active rental, which nothing moves before its end but a
 * cancel (which the bot itself makes and shows), is read again only then;
 * and all the reads, orders' and balances', make at most `readsPerMin`
 * requests a minute (BOT_READS_PER_MIN), those read longest ago first. So a
 * bot with many rentals under way, or many users who opened their balance,
 * does not spend its key's limit on reads and leave its users "busy".
 */
import type { Logger } from '../observability/logger.js';
import { trxOf } from './format.js';
import { t, type Language } from './i18n.js';
import { JouleRefused, type JouleClient, type OrderView, type UserBalances } from './joule-client.js';
import { balanceScreen, isFinal, orderScreen, type Screen } from './screens.js';

/** Where a message is, and how to change it: the bot's Telegram side. */
export interface MessageSink {
  edit(chatId: number, messageId: number, screen: Screen): Promise<void>;
  send(chatId: number, text: string): Promise<void>;
}

interface OrderWatch {
  chatId: number;
  messageId: number;
  lang: Language;
  shown: string;
  /** When to read it next (epoch ms): at once while it moves, at its end while it is active. */
  readAt: number;
  /** When it was last read (epoch ms; when it was watched, before its first read): the longest unread go first. */
  lastRead: number;
}

interface BalanceWatch {
  chatId: number;
  /** Undefined once the message shows another screen: a credit is then only told, in a message of its own. */
  messageId: number | undefined;
  lang: Language;
  userId: number;
  depositAddress: string | undefined;
  balances: UserBalances;
  /**
   * The newest ledger entry when the balance was shown (its id; 0 for none): a credit is told from the
   * deposits after it. Undefined when that read failed: the first change then only learns it.
   */
  ledgerSeen: bigint | undefined;
  until: number;
  /** When it was last read (epoch ms; when it was shown, before its first read). */
  lastRead: number;
}

/** A balance screen is watched this long after it was shown. */
const BALANCE_WATCH_MS = 30 * 60_000;
/** An order a webhook told of before its message was watched is kept this long, and no more than this many. */
const EARLY_NEWS_MS = 60_000;
const EARLY_NEWS_MAX = 1000;
/** Orders read in one round of polling at most (fewer when the minute's reads run short). */
const READS_PER_ROUND = 20;

/**
 * Requests a minute, paced: a read may go when a share of the minute has come
 * in for it, and no more than a round's worth of shares is saved up.
 */
class ReadBudget {
  private tokens: number;
  /** performance.now(): a wall clock stepped back would stop the reads for as long. */
  private at = performance.now();
  private readonly cap: number;

  constructor(
    private readonly perMin: number,
    roundMs: number,
  ) {
    this.cap = Math.max(1, (perMin * roundMs) / 60_000);
    this.tokens = this.cap;
  }

  /** Whether a read may go now (taking its share), or has to wait for a later round. */
  take(): boolean {
    const now = performance.now();
    this.tokens = Math.min(this.cap, this.tokens + ((now - this.at) * this.perMin) / 60_000);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
/** Ledger entries read to tell what came in since the balance was shown: more than enough between two reads. */
const LEDGER_READ = 50;

/** When an order as just seen is next worth reading: an active rental at its end (unless a cancel ends it sooner), anything else at once. */
const readAtOf = (order: OrderView): number =>
  order.status === 'active' && order.expires_at !== null && order.cancel_requested_at == null ? Date.parse(order.expires_at) : 0;

export class Watches {
  private readonly orders = new Map<string, OrderWatch>();
  private readonly balances = new Map<number, BalanceWatch>();
  /** What each watched message shows, by `chatId:messageId`: an order's id, or a balance's user. */
  private readonly shownOn = new Map<string, { order: string } | { balanceOf: number }>();
  /**
   * Orders a webhook told of while nobody watched them yet, by id: an order
   * can fail (a receiver the chain refuses) before its message is shown and
   * watched, and its one webhook would be lost until the next read.
   */
  private readonly early = new Map<string, { order: OrderView; at: number }>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private closed = false;
  private readonly budget: ReadBudget;

  constructor(
    private readonly joule: JouleClient,
    private readonly sink: MessageSink,
    private readonly log: Logger,
    private readonly pollMs: number,
    /** Reads a minute at most (BOT_READS_PER_MIN): an order's, or a balance's (with its ledger's when it changed). */
    readsPerMin: number,
  ) {
    this.budget = new ReadBudget(readsPerMin, pollMs);
  }

  start(): void {
    this.schedule();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.running;
  }

  get watching(): { orders: number; balances: number } {
    return { orders: this.orders.size, balances: this.balances.size };
  }

  /** Follow an order whose message `order` was just rendered into. */
  watchOrder(order: OrderView, at: { chatId: number; messageId: number; lang: Language }): void {
    this.leave(at.chatId, at.messageId);
    this.unwatchOrder(order.id);
    if (isFinal(order.status)) return;
    this.orders.set(order.id, { ...at, shown: orderScreen(at.lang, order).text, readAt: readAtOf(order), lastRead: Date.now() });
    this.shownOn.set(messageKey(at.chatId, at.messageId), { order: order.id });
    const news = this.early.get(order.id);
    if (news === undefined) return;
    this.early.delete(order.id);
    this.orderSeen(news.order).catch((err: unknown) => this.log.warn({ err: String(err) }, 'bot: could not show an order’s news'));
  }

  watchBalance(at: {
    chatId: number;
    messageId: number;
    lang: Language;
    userId: number;
    depositAddress: string | undefined;
    balances: UserBalances;
    ledgerSeen: bigint | undefined;
  }): void {
    this.leave(at.chatId, at.messageId);
    this.unwatchBalance(at.userId);
    this.balances.set(at.userId, { ...at, until: Date.now() + BALANCE_WATCH_MS, lastRead: Date.now() });
    this.shownOn.set(messageKey(at.chatId, at.messageId), { balanceOf: at.userId });
  }

  /**
   * The message is about to show another screen (the user pressed one of its
   * buttons): no news may edit it back. The order it showed is no longer
   * followed (My orders shows it); a balance's credit is still told, in a
   * message of its own.
   */
  leave(chatId: number, messageId: number): void {
    const key = messageKey(chatId, messageId);
    const shown = this.shownOn.get(key);
    if (shown === undefined) return;
    this.shownOn.delete(key);
    if ('order' in shown) this.unwatchOrder(shown.order);
    else {
      const watch = this.balances.get(shown.balanceOf);
      if (watch !== undefined) watch.messageId = undefined;
    }
  }

  /** Whether this message is the balance screen being watched for the user (a Refresh, not a new screen). */
  watchesBalance(userId: number, messageId: number): boolean {
    return this.balances.get(userId)?.messageId === messageId;
  }

  /** An order as a webhook or a read says it is now: its message is edited if it changed. */
  async orderSeen(order: OrderView): Promise<void> {
    const watch = this.orders.get(order.id);
    if (!watch) {
      this.keepEarly(order);
      return;
    }
    if (isFinal(order.status)) this.unwatchOrder(order.id);
    else watch.readAt = readAtOf(order);
    const screen = orderScreen(watch.lang, order);
    if (screen.text === watch.shown) return;
    watch.shown = screen.text;
    await this.sink.edit(watch.chatId, watch.messageId, screen);
  }

  private unwatchOrder(id: string): void {
    const watch = this.orders.get(id);
    if (watch === undefined) return;
    this.orders.delete(id);
    this.shownOn.delete(messageKey(watch.chatId, watch.messageId));
  }

  private unwatchBalance(userId: number): void {
    const watch = this.balances.get(userId);
    if (watch === undefined) return;
    this.balances.delete(userId);
    if (watch.messageId !== undefined) this.shownOn.delete(messageKey(watch.chatId, watch.messageId));
    // A poll under way may hold it still: it must edit nothing.
    watch.messageId = undefined;
  }

  /** An order's news with no watch yet: kept for EARLY_NEWS_MS, the oldest let go first past EARLY_NEWS_MAX. */
  private keepEarly(order: OrderView): void {
    const now = Date.now();
    for (const [id, news] of this.early) {
      if (now - news.at <= EARLY_NEWS_MS && this.early.size < EARLY_NEWS_MAX) break;
      this.early.delete(id);
    }
    this.early.delete(order.id);
    this.early.set(order.id, { order, at: now });
  }

  /** A deposit was credited to `userId` (a webhook said so): its balance screen is read again now. */
  async depositSeen(userId: number): Promise<void> {
    const watch = this.balances.get(userId);
    if (watch) await this.refreshBalance(watch);
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.running = this.poll().finally(() => {
        this.running = undefined;
        this.schedule();
      });
    }, this.pollMs);
  }

  private async poll(): Promise<void> {
    const now = Date.now();
    for (const watch of [...this.balances.values()]) if (now > watch.until) this.unwatchBalance(watch.userId);
    // Orders and balances alike, the ones read longest ago first, as many as the minute's reads allow: neither
    // kind can keep the other from being read.
    const orders = [...this.orders.entries()]
      .filter(([, w]) => w.readAt <= now)
      .sort(([, a], [, b]) => a.lastRead - b.lastRead)
      .slice(0, READS_PER_ROUND);
    const due = [
      ...orders.map(([id, watch]) => ({ watch, watched: () => this.orders.get(id) === watch, read: () => this.readOrder(id) })),
      ...[...this.balances.values()].map((watch) => ({ watch, watched: () => this.balances.get(watch.userId) === watch, read: () => this.readBalance(watch) })),
    ].sort((a, b) => a.watch.lastRead - b.watch.lastRead);
    for (const { watch, watched, read } of due) {
      if (this.closed) return;
      // Let go meanwhile (the user left its message, a read before this one ended it; a new balance screen,
      // whose watch tells the news): not read.
      if (!watched()) continue;
      if (!this.budget.take()) return;
      watch.lastRead = Date.now();
      await read();
    }
  }

  private async readOrder(id: string): Promise<void> {
    try {
      await this.orderSeen(await this.joule.order(id));
    } catch (err) {
      // The order is gone for this key (a revoked or rotated key answers 401 for all): stop following it.
      if (err instanceof JouleRefused && err.status === 404) this.unwatchOrder(id);
      this.log.warn({ order_id: id, err: (err as Error).message }, 'bot: could not read a watched order');
    }
  }

  private async readBalance(watch: BalanceWatch): Promise<void> {
    try {
      await this.refreshBalance(watch);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'bot: could not read a watched balance');
    }
  }

  private async refreshBalance(watch: BalanceWatch): Promise<void> {
    const now = await this.joule.balances(watch.userId);
    const before = watch.balances;
    if (now.balance_sun === before.balance_sun && now.balance_micro_usdt === before.balance_micro_usdt) return;
    // A balance also rises by a refund (an order failed or cancelled), and a deposit beside an order may
    // leave it lower: only deposits are told, each at its own amount, whatever else moved the balance
    // between two reads. Read before anything is written: should it fail, the next read tries again.
    const entries = await this.joule.ledger(watch.userId, LEDGER_READ);
    // From here on synchronously, so that two reads at the same time do not both tell the same entries.
    const seen = watch.ledgerSeen;
    const fresh = seen === undefined ? [] : entries.filter((e) => BigInt(e.id) > seen);
    for (const e of entries) if (watch.ledgerSeen === undefined || BigInt(e.id) > watch.ledgerSeen) watch.ledgerSeen = BigInt(e.id);
    watch.balances = now;
    // Read after the balance came: the user may have left the screen meanwhile.
    if (watch.messageId !== undefined) await this.sink.edit(watch.chatId, watch.messageId, balanceScreen(watch.lang, now, watch.depositAddress));
    for (const currency of ['TRX', 'USDT'] as const) {
      const credited = fresh.filter((e) => e.kind === 'deposit' && e.currency === currency).reduce((sum, e) => sum + BigInt(e.amount), 0n);
      if (credited > 0n) await this.sink.send(watch.chatId, t(watch.lang, 'balance.credited', { amount: trxOf(credited), currency }));
    }
  }
}

/** One message of one chat, as a map's key: what watches follow and edits queue on. */
export const messageKey = (chatId: number, messageId: number): string => `${chatId}:${messageId}`;
