/**
 * The conversation: what each command, button and typed message does. Every
 * answer comes from Joule's API; when Joule refuses or does not answer, the
 * user reads so in their language, never a success that did not happen.
 * Orders carry an idempotency key made of the confirmation message and what
 * it confirms, so a retried update, a double tap or a bot restarted mid-way
 * places one order.
 */
import { Bot, GrammyError, InputFile, type Context } from 'grammy';
import QRCode from 'qrcode';
import { isTronAddress } from '../domain/address.js';
import type { Logger } from '../observability/logger.js';
import { statsText } from './admin.js';
import { energyText, parseEnergyInput, shortAddress, shortId, trxOf } from './format.js';
import { languageOf, MESSAGES, t, type Language, type MessageKey } from './i18n.js';
import { JouleRefused, JouleUnreachable, type JouleClient, type PriceTable, type Quote, type SavedAddress } from './joule-client.js';
import {
  addressesScreen,
  balanceScreen,
  confirmationShown,
  confirmData,
  confirmScreen,
  ENERGY_PRESETS,
  orderScreen,
  ordersScreen,
  parseConfirmData,
  rentCard,
  statusLabel,
  welcomeScreen,
  type RentDraft,
  type Screen,
} from './screens.js';
import { UserLimiter } from './user-limiter.js';
import { messageKey, type Watches } from './watches.js';

/** What the user is asked to type next in a chat. */
type Awaiting = 'energy' | 'address' | 'save-address';

/** The price table is read once a minute at most, not on every tap. */
const PRICE_TABLE_TTL_MS = 60_000;
const MAX_SAVED = 20;
/** Confirmations whose prices are kept; past it the oldest are forgotten (and shown again when confirmed). */
const MAX_SHOWN_PRICES = 10_000;

/**
 * A confirmation: its message, its showing and the order it confirms. The
 * idempotency key its Confirm places the order with, and what its prices are
 * kept by.
 */
const confirmationKey = (chatId: number, messageId: number, order: { energy: number; duration: string; receiver: string }, shown: string | undefined) =>
  `tg:${chatId}:${messageId}:${order.energy}:${order.duration}:${order.receiver}${shown === undefined ? '' : `:${shown}`}`;

export interface BotDeps {
  joule: JouleClient;
  watches: Watches;
  log: Logger;
  adminIds: readonly number[];
  userRatePerMin: number;
  /** The bot token, to keep it out of every logged message. */
  token: string;
}

export class JouleBot {
  private readonly langs = new Map<number, Language>();
  private readonly drafts = new Map<number, RentDraft>();
  private readonly awaiting = new Map<number, Awaiting>();
  private readonly limiter: UserLimiter;
  private prices: { table: PriceTable; at: number } | undefined;
  /** The last edit asked for of each message being edited, by `chatId:messageId`, settled either way. */
  private readonly editing = new Map<string, Promise<void>>();
  /** The prices each confirmation showed (smallest units), by `confirmationKey`: what its Confirm may charge at most. */
  private readonly shownPrices = new Map<string, { TRX: string; USDT?: string }>();

  constructor(
    readonly bot: Bot,
    private readonly deps: BotDeps,
  ) {
    this.limiter = new UserLimiter(deps.userRatePerMin);
    this.install();
  }

  /** The language a user reads: chosen with the button, else their Telegram client's. */
  lang(userId: number, code?: string): Language {
    return this.langs.get(userId) ?? languageOf(code);
  }

  private langOf(ctx: Context): Language {
    return this.lang(ctx.from?.id ?? 0, ctx.from?.language_code);
  }

  private install(): void {
    const { bot } = this;
    bot.use(async (ctx, next) => {
      const userId = ctx.from?.id;
      if (userId === undefined) return;
      // Private chats only. In a group, one chat's messages and buttons are everyone's: another member
      // could press a button of someone's /orders, and drafts and awaited input are kept per chat, not
      // per person; anonymous admins all speak as one user.
      if (ctx.chat !== undefined && ctx.chat.type !== 'private') {
        if (ctx.callbackQuery) await ctx.answerCallbackQuery();
        return;
      }
      const verdict = this.limiter.take(userId, Date.now());
      if (verdict === 'allowed') return next();
      if (verdict === 'refused-first') {
        const text = t(this.langOf(ctx), 'error.rate_limited');
        if (ctx.callbackQuery) await ctx.answerCallbackQuery({ text, show_alert: false });
        else await ctx.reply(text);
      } else if (ctx.callbackQuery) await ctx.answerCallbackQuery();
    });
    bot.command('start', (ctx) => this.guard(ctx, () => this.showMenu(ctx)));
    bot.command('rent', (ctx) => this.guard(ctx, () => this.openCard(ctx)));
    bot.command('balance', (ctx) => this.guard(ctx, () => this.showBalance(ctx, true)));
    bot.command('orders', (ctx) => this.guard(ctx, () => this.showOrders(ctx)));
    bot.command('addresses', (ctx) => this.guard(ctx, () => this.showAddresses(ctx)));
    bot.command('language', (ctx) => this.guard(ctx, () => this.switchLanguage(ctx)));
    bot.command('stats', (ctx) => this.guard(ctx, () => this.showStats(ctx)));
    bot.command('help', (ctx) => this.guard(ctx, () => this.say(ctx, t(this.langOf(ctx), 'help.text'))));
    bot.on('callback_query:data', (ctx) => this.guard(ctx, () => this.onButton(ctx, ctx.callbackQuery.data)));
    bot.on('message:text', (ctx) => this.guard(ctx, () => this.onText(ctx, ctx.message.text)));
  }

  /**
   * Runs a handler; Joule's refusals and silences become a message in the
   * user's language. Anything else is a bug: logged, and the user told the
   * service failed (never that it worked).
   */
  private async guard(ctx: Context, handler: () => Promise<void>): Promise<void> {
    try {
      await handler();
    } catch (err) {
      const lang = this.langOf(ctx);
      let key: MessageKey = 'error.unreachable';
      let params: Record<string, string> = {};
      if (err instanceof JouleRefused) {
        if (err.code === 'rate_limited' || err.code === 'overloaded') key = 'error.busy';
        else if (err.status >= 500) key = 'error.unreachable';
        else [key, params] = ['error.refused', { message: err.message }];
        this.deps.log.warn({ code: err.code, status: err.status }, 'bot: Joule refused');
      } else if (err instanceof JouleUnreachable) {
        this.deps.log.warn({ err: this.safe(err) }, 'bot: Joule unreachable');
      } else {
        this.deps.log.error({ err: this.safe(err) }, 'bot: handler failed');
      }
      await this.say(ctx, t(lang, key, params));
    } finally {
      if (ctx.callbackQuery) await ctx.answerCallbackQuery().catch(() => undefined);
    }
  }

  /**
   * The command menu Telegram clients show, in English and (for Chinese
   * clients) in Chinese. A Bot API server without setMyCommands (a test
   * server) only costs the menu: logged, never fatal.
   */
  async publishCommands(): Promise<void> {
    const commands = (lang: Language) =>
      (['rent', 'balance', 'addresses', 'orders', 'language', 'start'] as const).map((c) => ({ command: c, description: t(lang, `command.${c}`) }));
    try {
      await this.bot.api.setMyCommands(commands('en'));
      await this.bot.api.setMyCommands(commands('zh'), { language_code: 'zh' });
    } catch (err) {
      this.deps.log.warn({ err: this.safe(err) }, 'bot: could not publish the command menu');
    }
  }

  /** An error's message with the bot token taken out. */
  safe(err: unknown): string {
    return String((err as Error)?.message ?? err).replaceAll(this.deps.token, '[token]');
  }

  private async say(ctx: Context, text: string): Promise<void> {
    await ctx.reply(text).catch((err: unknown) => this.deps.log.warn({ err: this.safe(err) }, 'bot: could not send a message'));
  }

  /** Shows a screen: in place of the message whose button was pressed, else as a new message. Returns its message id. */
  private async show(ctx: Context, screen: Screen, fresh = false): Promise<number> {
    const message = ctx.callbackQuery?.message;
    if (!fresh && message !== undefined && ctx.chat !== undefined) {
      // Before the edit is asked for: no order's or balance's news may edit this message back after it.
      this.deps.watches.leave(ctx.chat.id, message.message_id);
      await this.edit(ctx.chat.id, message.message_id, screen);
      return message.message_id;
    }
    const sent = await ctx.reply(screen.text, { reply_markup: screen.keyboard });
    return sent.message_id;
  }

  /**
   * Edits a message. Edits of one message are made one after another, in the
   * order they were asked for: a watch's news asked for just before the user's
   * tap must not land after the screen the tap shows.
   */
  async edit(chatId: number, messageId: number, screen: Screen): Promise<void> {
    const key = messageKey(chatId, messageId);
    const edit = (this.editing.get(key) ?? Promise.resolve()).then(() => this.editNow(chatId, messageId, screen));
    const settled = edit.catch(() => undefined);
    this.editing.set(key, settled);
    try {
      await edit;
    } finally {
      if (this.editing.get(key) === settled) this.editing.delete(key);
    }
  }

  private async editNow(chatId: number, messageId: number, screen: Screen): Promise<void> {
    try {
      await this.bot.api.editMessageText(chatId, messageId, screen.text, { reply_markup: screen.keyboard });
    } catch (err) {
      // Telegram refuses an edit that changes nothing; that is not a failure.
      if (err instanceof GrammyError && err.description.includes('message is not modified')) return;
      throw err;
    }
  }

  private async showMenu(ctx: Context): Promise<void> {
    const balances = await this.deps.joule.balances(ctx.from!.id);
    this.awaiting.delete(ctx.chat!.id);
    await this.show(ctx, welcomeScreen(this.langOf(ctx), ctx.from!.first_name, balances));
  }

  private async switchLanguage(ctx: Context): Promise<void> {
    const next: Language = this.langOf(ctx) === 'en' ? 'zh' : 'en';
    this.langs.set(ctx.from!.id, next);
    await this.say(ctx, t(next, 'language.set'));
    await this.showMenu(ctx);
  }

  private async priceTable(): Promise<PriceTable> {
    if (this.prices === undefined || Date.now() - this.prices.at > PRICE_TABLE_TTL_MS) {
      this.prices = { table: await this.deps.joule.priceTable(), at: Date.now() };
    }
    return this.prices.table;
  }

  private async openCard(ctx: Context, fresh = false): Promise<void> {
    const [table, saved] = await Promise.all([this.priceTable(), this.deps.joule.savedAddresses(ctx.from!.id)]);
    const durations = table.durations.map((d) => d.duration);
    const energy = Math.min(Math.max(ENERGY_PRESETS[0], table.min_energy), table.max_energy);
    const draft: RentDraft = { duration: durations.includes('1h') ? '1h' : durations[0]!, energy, receiver: saved[0]?.address };
    this.drafts.set(ctx.chat!.id, draft);
    await this.showCard(ctx, draft, saved, fresh);
  }

  /** The card's current state; the cost is Joule's quote, so it is what the order will cost. */
  private async showCard(ctx: Context, draft: RentDraft, saved?: SavedAddress[], fresh = false): Promise<void> {
    const [table, addresses] = await Promise.all([this.priceTable(), saved ?? this.deps.joule.savedAddresses(ctx.from!.id)]);
    let costTrx: string | undefined;
    try {
      costTrx = (await this.deps.joule.quote(draft.energy, draft.duration)).price_decimal;
    } catch (err) {
      if (!(err instanceof JouleRefused)) throw err;
    }
    await this.show(ctx, rentCard(this.langOf(ctx), draft, { durations: table.durations.map((d) => d.duration), saved: addresses, costTrx }), fresh);
  }

  /** The draft of this chat; a card pressed after a restart starts from the defaults. */
  private async draftOf(ctx: Context): Promise<RentDraft> {
    const draft = this.drafts.get(ctx.chat!.id);
    if (draft) return draft;
    await this.openCard(ctx);
    return this.drafts.get(ctx.chat!.id)!;
  }

  private async onButton(ctx: Context, data: string): Promise<void> {
    const lang = this.langOf(ctx);
    const [action, arg = ''] = data.split(/:(.*)/s) as [string, string?];
    switch (action) {
      case 'm':
        return this.showMenu(ctx);
      case 'lang':
        return this.switchLanguage(ctx);
      case 'rent':
        return this.openCard(ctx);
      case 'rd':
      case 're':
      case 'rr': {
        const draft = await this.draftOf(ctx);
        if (action === 'rd') draft.duration = arg;
        if (action === 're') draft.energy = Number(arg);
        if (action === 'rr') draft.receiver = arg;
        return this.showCard(ctx, draft);
      }
      case 'rc': {
        const table = await this.priceTable();
        this.awaiting.set(ctx.chat!.id, 'energy');
        return this.say(ctx, t(lang, 'rent.ask_energy', { min: energyText(table.min_energy), max: energyText(table.max_energy) }));
      }
      case 'ra':
        this.awaiting.set(ctx.chat!.id, 'address');
        return this.say(ctx, t(lang, 'rent.ask_address'));
      case 'rb':
        return this.askConfirmation(ctx);
      case 'rk':
        return this.showCard(ctx, await this.draftOf(ctx));
      case 'rx':
        this.drafts.delete(ctx.chat!.id);
        return void (await this.show(ctx, { text: t(lang, 'rent.closed'), keyboard: { inline_keyboard: [] } }));
      case 'ok':
      case 'ou':
        return this.placeOrder(ctx, data);
      case 'bal':
        return this.showBalance(ctx, false);
      case 'adr':
        return this.showAddresses(ctx);
      case 'adA':
        this.awaiting.set(ctx.chat!.id, 'save-address');
        return this.say(ctx, t(lang, 'addresses.ask'));
      case 'adD':
        return this.forgetAddress(ctx, arg);
      case 'ord':
        return this.showOrders(ctx);
      case 'oc':
        return this.cancelOrder(ctx, arg);
      default:
        return this.say(ctx, t(lang, 'rent.expired'));
    }
  }

  private async onText(ctx: Context, text: string): Promise<void> {
    const chatId = ctx.chat!.id;
    const lang = this.langOf(ctx);
    const awaiting = this.awaiting.get(chatId);
    if (awaiting === 'energy') {
      const table = await this.priceTable();
      const energy = parseEnergyInput(text);
      if (energy === undefined || energy < table.min_energy || energy > table.max_energy) {
        return this.say(ctx, t(lang, 'rent.bad_energy', { min: energyText(table.min_energy), max: energyText(table.max_energy) }));
      }
      this.awaiting.delete(chatId);
      const draft = await this.draftOf(ctx);
      draft.energy = energy;
      return this.showCard(ctx, draft, undefined, true);
    }
    if (awaiting === 'address') {
      const address = text.trim();
      if (!isTronAddress(address)) return this.say(ctx, t(lang, 'rent.bad_address'));
      this.awaiting.delete(chatId);
      const draft = await this.draftOf(ctx);
      draft.receiver = address;
      await this.offerEstimate(ctx, address, draft.duration);
      return this.showCard(ctx, draft, undefined, true);
    }
    if (awaiting === 'save-address') return this.saveAddress(ctx, text);
    // Anything else typed: the menu.
    return this.showMenu(ctx);
  }

  /** "This address needs ~130k energy for a USDT transfer", with a button to rent just that. Silent when the node cannot say. */
  private async offerEstimate(ctx: Context, address: string, duration: string): Promise<void> {
    try {
      const estimate = await this.deps.joule.usdtEstimate(address, duration);
      const lang = this.langOf(ctx);
      const energy = energyText(estimate.energy_amount);
      await ctx.reply(t(lang, 'rent.estimate', { energy }), {
        reply_markup: { inline_keyboard: [[{ text: t(lang, 'rent.use_estimate', { energy }), callback_data: `re:${estimate.energy_amount}` }]] },
      });
    } catch (err) {
      if (err instanceof JouleRefused || err instanceof JouleUnreachable) {
        this.deps.log.info({ err: err.message }, 'bot: no USDT estimate for a typed address');
        return;
      }
      throw err;
    }
  }

  private async askConfirmation(ctx: Context): Promise<void> {
    const lang = this.langOf(ctx);
    const draft = await this.draftOf(ctx);
    if (draft.receiver === undefined) {
      await ctx.answerCallbackQuery({ text: t(lang, 'rent.need_receiver'), show_alert: true });
      return;
    }
    const [quote, usdt] = await Promise.all([this.deps.joule.quote(draft.energy, draft.duration), this.usdtQuote(ctx.from!.id, draft)]);
    const receiver = draft.receiver;
    const shown = confirmationShown();
    // Kept under the showing its buttons carry (none when it would pass Telegram's 64 bytes), and before the
    // confirmation is shown: a tap cannot come before it.
    const carried = parseConfirmData(confirmData({ ...draft, receiver, shown }))?.shown;
    const messageId = ctx.callbackQuery?.message?.message_id;
    const prices = { TRX: quote.price, ...(usdt === undefined ? {} : { USDT: usdt.price }) };
    if (messageId !== undefined) this.rememberPrices(confirmationKey(ctx.chat!.id, messageId, { ...draft, receiver }, carried), prices);
    const at = await this.show(ctx, confirmScreen(lang, { ...draft, receiver }, quote.price_decimal, shown, usdt?.price_decimal));
    if (at !== messageId) this.rememberPrices(confirmationKey(ctx.chat!.id, at, { ...draft, receiver }, carried), prices);
  }

  private rememberPrices(key: string, prices: { TRX: string; USDT?: string }): void {
    this.shownPrices.delete(key);
    this.shownPrices.set(key, prices);
    // The oldest go first; a Confirm whose prices are gone is shown again at today's.
    if (this.shownPrices.size > MAX_SHOWN_PRICES) this.shownPrices.delete(this.shownPrices.keys().next().value!);
  }

  /** The draft's cost in USDT, when the user has USDT to pay with and Joule prices orders in it; else undefined. */
  private async usdtQuote(userId: number, draft: RentDraft): Promise<Quote | undefined> {
    const balances = await this.deps.joule.balances(userId);
    if (BigInt(balances.balance_micro_usdt) <= 0n) return undefined;
    try {
      return await this.deps.joule.quote(draft.energy, draft.duration, 'USDT');
    } catch (err) {
      // USDT not accepted (no PRICE_TABLE_USDT): TRX only, as before.
      if (err instanceof JouleRefused && err.status < 500) return undefined;
      throw err;
    }
  }

  private async placeOrder(ctx: Context, data: string): Promise<void> {
    const lang = this.langOf(ctx);
    const wanted = parseConfirmData(data);
    const message = ctx.callbackQuery?.message;
    if (wanted === undefined || message === undefined) return this.say(ctx, t(lang, 'rent.expired'));
    const chatId = ctx.chat!.id;
    // The confirmation message, its showing and what it confirms: the same tap, delivered again or made
    // twice, is one order; a second order confirmed on the same message (after ⬅ Menu) is another.
    // Both currencies' buttons share the key: a tap on one after the other is the same confirmation,
    // which Joule refuses to place again in the other currency (idempotency_conflict).
    const key = confirmationKey(chatId, message.message_id, wanted, wanted.shown);
    // Never charged more than the confirmation said. Its prices are forgotten after a restart (or among the
    // oldest): asked at the least price there is, Joule gives back an order this key placed before (a tap
    // before the restart), and places none; the confirmation is then shown again at today's prices.
    const shownPrice = this.shownPrices.get(key)?.[wanted.currency];
    try {
      const order = await this.deps.joule.placeOrder(
        {
          userId: ctx.from!.id,
          energyAmount: wanted.energy,
          duration: wanted.duration,
          receiveAddress: wanted.receiver,
          payCurrency: wanted.currency,
          maxPrice: shownPrice ?? '1',
        },
        key,
      );
      this.deps.log.info({ order_id: order.id, user_id: ctx.from!.id, status: order.status }, 'bot: order placed');
      this.drafts.delete(chatId);
      // Placed and paid: from here no failure may reach the guard, which would say nothing was charged.
      const at = await this.showPlaced(ctx, chatId, message.message_id, orderScreen(lang, order));
      if (at !== undefined) this.deps.watches.watchOrder(order, { chatId, messageId: at, lang });
    } catch (err) {
      if (err instanceof JouleRefused && err.code === 'insufficient_balance') return this.showShortfall(ctx, err.details);
      if (err instanceof JouleRefused && err.code === 'idempotency_conflict') return this.say(ctx, t(lang, 'rent.already_confirmed'));
      if (err instanceof JouleRefused && err.code === 'price_above_max') return this.confirmAgain(ctx, wanted, shownPrice === undefined ? 'rent.requoted' : 'rent.price_changed');
      // Joule failed inside: the key makes pressing Confirm again safe, whatever it did.
      if (err instanceof JouleRefused && err.status >= 500 && err.code !== 'overloaded') {
        this.deps.log.warn({ code: err.code, status: err.status }, 'bot: order request failed inside Joule');
        return this.say(ctx, t(lang, 'error.unsure'));
      }
      // No answer: it may have been placed. The key makes pressing Confirm again safe, so say exactly that.
      if (err instanceof JouleUnreachable && err.mayHaveArrived) {
        this.deps.log.warn({ err: err.message }, 'bot: order request unanswered');
        return this.say(ctx, t(lang, 'error.unsure'));
      }
      throw err;
    }
  }

  /** The confirmation's terms shown again at today's prices, with why: a new Confirm to tap. */
  private async confirmAgain(ctx: Context, wanted: { energy: number; duration: string; receiver: string }, why: 'rent.requoted' | 'rent.price_changed'): Promise<void> {
    this.drafts.set(ctx.chat!.id, { energy: wanted.energy, duration: wanted.duration, receiver: wanted.receiver });
    await this.askConfirmation(ctx);
    await this.say(ctx, t(this.langOf(ctx), why));
  }

  /**
   * A placed order shown on its confirmation message, or in a new message
   * when that cannot be edited (Telegram busy, the message gone); the
   * message's id, or undefined when neither could be sent (logged: the
   * order stands, and /orders shows it).
   */
  private async showPlaced(ctx: Context, chatId: number, messageId: number, screen: Screen): Promise<number | undefined> {
    try {
      await this.edit(chatId, messageId, screen);
      return messageId;
    } catch (err) {
      this.deps.log.warn({ err: this.safe(err) }, 'bot: the confirmation could not be edited; the order goes in a new message');
    }
    try {
      return await this.show(ctx, screen, true);
    } catch (err) {
      this.deps.log.warn({ err: this.safe(err) }, 'bot: the placed order could not be shown');
      return undefined;
    }
  }

  /** The balance does not cover the order: what is missing, and where to pay it. */
  private async showShortfall(ctx: Context, details: Record<string, unknown>): Promise<void> {
    const lang = this.langOf(ctx);
    const price = BigInt(String(details.price_sun ?? details.price ?? '0'));
    const balance = BigInt(String(details.balance_sun ?? details.balance ?? '0'));
    // TRX in sun, USDT in micro-USDT: both six decimals.
    const currency = details.currency === 'USDT' ? 'USDT' : 'TRX';
    const draft = await this.draftOf(ctx);
    await this.showCard(ctx, draft);
    await this.say(ctx, t(lang, 'balance.short', { balance: trxOf(balance), cost: trxOf(price), missing: trxOf(price - balance), currency }));
    await this.showBalance(ctx, true);
  }

  private async showBalance(ctx: Context, fresh: boolean): Promise<void> {
    const userId = ctx.from!.id;
    const lang = this.langOf(ctx);
    // The newest ledger entry before the balance: a deposit between the two reads is then on the screen,
    // not taken as seen and left untold. A read refused (the API sheds list reads under load) costs only
    // that: the first change learns where the ledger is, and tells nothing.
    const newest = await this.deps.joule.ledger(userId, 1).catch(() => undefined);
    const [balances, depositAddress] = await Promise.all([this.deps.joule.balances(userId), this.deps.joule.depositAddress(userId)]);
    const pressedRefresh = !fresh && ctx.callbackQuery?.message !== undefined && this.deps.watches.watchesBalance(userId, ctx.callbackQuery.message.message_id);
    const messageId = await this.show(ctx, balanceScreen(lang, balances, depositAddress), fresh);
    if (depositAddress !== undefined && !pressedRefresh) await this.sendQr(ctx, depositAddress);
    const ledgerSeen = newest === undefined ? undefined : newest[0] === undefined ? 0n : BigInt(newest[0].id);
    this.deps.watches.watchBalance({ chatId: ctx.chat!.id, messageId, lang, userId, depositAddress, balances, ledgerSeen });
  }

  private async sendQr(ctx: Context, address: string): Promise<void> {
    try {
      const png = await QRCode.toBuffer(address, { type: 'png', width: 360, margin: 2, errorCorrectionLevel: 'M' });
      await ctx.replyWithPhoto(new InputFile(png, 'deposit-address.png'), { caption: t(this.langOf(ctx), 'balance.qr_caption', { address }) });
    } catch (err) {
      // The address is in the text above; a picture that did not go is no reason to fail the screen.
      this.deps.log.warn({ err: this.safe(err) }, 'bot: could not send the deposit QR code');
    }
  }

  private async showAddresses(ctx: Context, fresh = false): Promise<void> {
    const saved = await this.deps.joule.savedAddresses(ctx.from!.id);
    await this.show(ctx, addressesScreen(this.langOf(ctx), saved, MAX_SAVED), fresh);
  }

  private async saveAddress(ctx: Context, text: string): Promise<void> {
    const lang = this.langOf(ctx);
    const [address = '', ...rest] = text.trim().split(/\s+/);
    if (!isTronAddress(address)) return this.say(ctx, t(lang, 'rent.bad_address'));
    const label = rest.join(' ').slice(0, 64) || shortAddress(address);
    try {
      await this.deps.joule.saveAddress(ctx.from!.id, address, label);
    } catch (err) {
      if (err instanceof JouleRefused && err.code === 'too_many_addresses') {
        this.awaiting.delete(ctx.chat!.id);
        return this.say(ctx, t(lang, 'addresses.too_many'));
      }
      throw err;
    }
    this.awaiting.delete(ctx.chat!.id);
    await this.say(ctx, t(lang, 'addresses.saved', { label }));
    await this.showAddresses(ctx, true);
  }

  private async forgetAddress(ctx: Context, address: string): Promise<void> {
    const saved = await this.deps.joule.savedAddresses(ctx.from!.id);
    const label = saved.find((a) => a.address === address)?.label ?? address;
    try {
      await this.deps.joule.forgetAddress(ctx.from!.id, address);
    } catch (err) {
      // Already gone (another device): the list below says so.
      if (!(err instanceof JouleRefused && err.code === 'not_found')) throw err;
    }
    await this.say(ctx, t(this.langOf(ctx), 'addresses.deleted', { label }));
    await this.showAddresses(ctx);
  }

  private async showOrders(ctx: Context): Promise<void> {
    await this.show(ctx, ordersScreen(this.langOf(ctx), await this.deps.joule.recentOrders(ctx.from!.id, 10)));
  }

  private async cancelOrder(ctx: Context, orderId: string): Promise<void> {
    const lang = this.langOf(ctx);
    try {
      // The bot's key sees every order of its tenant: the button's order must be this user's own.
      // (Its data comes from the client, and an old message's buttons outlive the chat it was in.)
      const asked = await this.deps.joule.order(orderId).catch((err: unknown) => {
        if (err instanceof JouleRefused && err.code === 'not_found') return undefined;
        throw err;
      });
      if (asked === undefined || asked.user_id !== ctx.from!.id) {
        await this.say(ctx, t(lang, 'orders.cancel_refused', { id: shortId(orderId), reason: t(lang, 'cancel.not_yours') }));
        return await this.showOrders(ctx);
      }
      const order = await this.deps.joule.cancel(orderId);
      await this.say(ctx, t(lang, 'orders.cancelled', { id: shortId(order.id), status: statusLabel(lang, order.status) }));
      await this.deps.watches.orderSeen(order);
    } catch (err) {
      if (!(err instanceof JouleRefused && err.code === 'cancel_not_allowed')) throw err;
      const reason = `cancel.${String(err.details.reason)}` as MessageKey;
      await this.say(ctx, t(lang, 'orders.cancel_refused', { id: shortId(orderId), reason: reason in MESSAGES.en ? t(lang, reason) : err.message }));
    }
    await this.showOrders(ctx);
  }

  private async showStats(ctx: Context): Promise<void> {
    const lang = this.langOf(ctx);
    if (!this.deps.adminIds.includes(ctx.from!.id)) return this.say(ctx, t(lang, 'admin.only'));
    await this.say(ctx, await statsText(this.deps.joule, lang));
  }
}
