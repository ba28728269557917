/**
 * What each screen says and which buttons it has, from what Joule answered:
 * pure functions, so every screen reads the same in both languages and the
 * callback data stays within Telegram's 64 bytes.
 *
 * Callback data:
 *   m  menu          lang  switch language
 *   rent  the card   rd:<duration>  re:<energy>  rr:<address>  rc custom energy
 *   ra type an address   rb BUY   rx close   rk back to the card
 *   ok:<energy>:<duration>:<address>[:<shown>]  confirm, paid in TRX (the order is in the button itself)
 *   ou:…  the same, paid in USDT
 *   bal balance   adr addresses   adA add   adD:<address> delete
 *   ord orders    oc:<order id> cancel
 */
import type { InlineKeyboardButton, InlineKeyboardMarkup } from 'grammy/types';
import { energyShort, energyText, shortAddress, shortId, timeText, trxOf } from './format.js';
import { MESSAGES, t, type Language, type MessageKey } from './i18n.js';
import type { OrderView, SavedAddress, UserBalances } from './joule-client.js';

export interface Screen {
  text: string;
  keyboard: InlineKeyboardMarkup;
}

/** The presets the replaced bot offered, kept: 65K covers a USDT transfer to a holder, 135K to a new one. */
export const ENERGY_PRESETS = [65_000, 135_000, 270_000, 540_000, 1_000_000] as const;

const button = (text: string, data: string): InlineKeyboardButton => ({ text, callback_data: data });
const rows = (...r: InlineKeyboardButton[][]): InlineKeyboardMarkup => ({ inline_keyboard: r.filter((row) => row.length > 0) });
const chunk = <T>(items: readonly T[], size: number): T[][] => Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, i * size + size));
const chosen = (label: string, on: boolean) => (on ? `• ${label} •` : label);

export function menuKeyboard(lang: Language): InlineKeyboardMarkup {
  return rows(
    [button(t(lang, 'menu.rent'), 'rent')],
    [button(t(lang, 'menu.addresses'), 'adr'), button(t(lang, 'menu.balance'), 'bal')],
    [button(t(lang, 'menu.orders'), 'ord'), button(t(lang, 'menu.language'), 'lang')],
  );
}

export function welcomeScreen(lang: Language, name: string, balances: UserBalances): Screen {
  return { text: t(lang, 'start.welcome', { name, trx: balances.balance_trx }), keyboard: menuKeyboard(lang) };
}

const backToMenu = (lang: Language) => [button(t(lang, 'menu.back'), 'm')];

/** What the user has chosen on the card so far. */
export interface RentDraft {
  duration: string;
  energy: number;
  receiver: string | undefined;
}

export function rentCard(lang: Language, draft: RentDraft, options: { durations: readonly string[]; saved: readonly SavedAddress[]; costTrx: string | undefined }): Screen {
  const lines = [
    t(lang, 'rent.title'),
    '',
    t(lang, 'rent.duration', { value: draft.duration }),
    t(lang, 'rent.energy', { value: energyText(draft.energy) }),
    t(lang, 'rent.receiver', { value: draft.receiver ?? t(lang, 'rent.receiver_none') }),
    options.costTrx === undefined ? t(lang, 'rent.cost_unknown') : t(lang, 'rent.cost', { value: options.costTrx }),
  ];
  const durations = options.durations.map((d) => button(chosen(d, d === draft.duration), `rd:${d}`));
  const presets = ENERGY_PRESETS.map((e) => button(chosen(energyShort(e), e === draft.energy), `re:${e}`));
  const saved = options.saved.map((a) => button(chosen(a.label, a.address === draft.receiver), `rr:${a.address}`));
  return {
    text: lines.join('\n'),
    keyboard: rows(
      ...chunk(durations, 4),
      ...chunk(presets, 3),
      [button(t(lang, 'rent.custom'), 'rc')],
      ...chunk(saved, 2),
      [button(t(lang, 'rent.type_address'), 'ra')],
      [button(t(lang, 'rent.buy'), 'rb'), button(t(lang, 'rent.close'), 'rx')],
    ),
  };
}

/**
 * The Confirm button's data: the order, and which showing of a confirmation
 * it is (`shown`, a few base-36 characters), so that a second order
 * confirmed on the same message is a new order, while the same button
 * pressed twice, or its update delivered again after a restart, is the
 * same one. Left out when it would pass Telegram's 64 bytes.
 */
export const confirmData = (d: { energy: number; duration: string; receiver: string; shown?: string; currency?: PayCurrency }) => {
  const order = `${d.currency === 'USDT' ? 'ou' : 'ok'}:${d.energy}:${d.duration}:${d.receiver}`;
  return d.shown !== undefined && Buffer.byteLength(order) + 1 + d.shown.length <= 64 ? `${order}:${d.shown}` : order;
};

/** What a Confirm button pays in. */
export type PayCurrency = 'TRX' | 'USDT';

/** The order a Confirm button's data (confirmData) holds, `ok:` paid in TRX and `ou:` in USDT, the order is in the button itself: a restart forgets drafts. */
export function parseConfirmData(data: string): { energy: number; duration: string; receiver: string; currency: PayCurrency; shown?: string } | undefined {
  const m = /^o([ku]):([0-9]{1,15}):([0-9]{1,6}[smhd]):(T[1-9A-HJ-NP-Za-km-z]{33})(?::([0-9a-z]{1,8}))?$/.exec(data);
  if (!m) return undefined;
  return { energy: Number(m[2]), duration: m[3]!, receiver: m[4]!, currency: m[1] === 'u' ? 'USDT' : 'TRX', ...(m[5] === undefined ? {} : { shown: m[5] }) };
}

/** A showing of a confirmation: the time in tenths of a second, base 36 (its last six characters). */
export const confirmationShown = (now: number = Date.now()): string => Math.floor(now / 100).toString(36).slice(-6);

/**
 * The confirmation of a draft: its cost in TRX, and in USDT too when the
 * user has USDT to pay with and Joule prices orders in it (`costUsdt`), with
 * a button for each.
 */
export function confirmScreen(lang: Language, draft: RentDraft & { receiver: string }, costTrx: string, shown = confirmationShown(), costUsdt?: string): Screen {
  const what = { energy: energyText(draft.energy), duration: draft.duration, address: draft.receiver, cost: costTrx };
  const back = button(t(lang, 'rent.confirm_back'), 'rk');
  if (costUsdt === undefined) {
    return { text: t(lang, 'rent.confirm', what), keyboard: rows([button(t(lang, 'rent.confirm_yes'), confirmData({ ...draft, shown })), back]) };
  }
  return {
    text: t(lang, 'rent.confirm_either', { ...what, cost_usdt: costUsdt }),
    keyboard: rows(
      [
        button(t(lang, 'rent.pay_in', { cost: costTrx, currency: 'TRX' }), confirmData({ ...draft, shown })),
        button(t(lang, 'rent.pay_in', { cost: costUsdt, currency: 'USDT' }), confirmData({ ...draft, shown, currency: 'USDT' })),
      ],
      [back],
    ),
  };
}

export const isFinal = (status: string) => status === 'completed' || status === 'failed' || status === 'cancelled';

export function statusLabel(lang: Language, status: string): string {
  const key = `status.${status}` as MessageKey;
  return key in MESSAGES.en ? t(lang, key) : status;
}

/** A failure code or cancel reason, in words; an unknown one as it is. */
export function reasonText(lang: Language, code: string): string {
  const base = code.split(':')[0]!;
  const key = `reason.${base}` as MessageKey;
  return key in MESSAGES.en ? t(lang, key) : t(lang, 'reason.other', { code });
}

/** The order's own message, edited in place as it moves. */
export function orderScreen(lang: Language, order: OrderView): Screen {
  const lines = [
    t(lang, 'order.line', { energy: energyText(order.energy_amount), duration: order.duration, address: order.receive_address }),
    t(lang, 'order.id', { id: shortId(order.id) }),
    t(lang, 'order.status', { status: statusLabel(lang, order.status) }),
  ];
  if (order.delegate_txid) lines.push(t(lang, 'order.txid', { txid: order.delegate_txid }));
  if (order.status === 'active' && order.expires_at) lines.push(t(lang, 'order.expires', { time: timeText(order.expires_at) }));
  if (order.reclaim_txid && order.status === 'completed') lines.push(t(lang, 'order.reclaim_txid', { txid: order.reclaim_txid }));
  // Why a working order is not moving, when it is worth saying (not the ordinary wait for a block).
  if (!isFinal(order.status) && order.wait_reason && !order.wait_reason.startsWith('awaiting_')) {
    lines.push(t(lang, 'order.waiting', { reason: reasonText(lang, order.wait_reason) }));
  }
  if (order.status === 'failed' && order.error_code) lines.push(t(lang, 'order.reason', { reason: reasonText(lang, order.error_code) }));
  // In what the order was paid in (sun or micro-USDT: six decimals either way).
  if (order.refunded && BigInt(order.refunded) > 0n) lines.push(t(lang, 'order.refunded', { amount: trxOf(order.refunded), currency: order.pay_currency }));
  return { text: lines.join('\n'), keyboard: rows(backToMenu(lang)) };
}

export function balanceScreen(lang: Language, balances: UserBalances, depositAddress: string | undefined): Screen {
  const lines = [t(lang, 'balance.title'), t(lang, 'balance.trx', { value: balances.balance_trx }), t(lang, 'balance.usdt', { value: balances.balance_usdt }), ''];
  lines.push(depositAddress === undefined ? t(lang, 'balance.no_deposit') : t(lang, 'balance.deposit', { address: depositAddress }));
  return { text: lines.join('\n'), keyboard: rows([button(t(lang, 'balance.refresh'), 'bal')], backToMenu(lang)) };
}

export function addressesScreen(lang: Language, saved: readonly SavedAddress[], limit: number): Screen {
  const lines = [t(lang, 'addresses.title', { count: saved.length, limit }), ''];
  if (saved.length === 0) lines.push(t(lang, 'addresses.none'));
  for (const a of saved) {
    const energy =
      a.energy === null
        ? t(lang, 'addresses.energy_unknown')
        : !a.energy.activated
          ? t(lang, 'addresses.not_activated')
          : t(lang, 'addresses.energy', { available: energyText(a.energy.available) });
    lines.push(t(lang, 'addresses.line', { label: a.label, address: a.address, energy }));
  }
  return {
    text: lines.join('\n'),
    keyboard: rows(...chunk(saved.map((a) => button(t(lang, 'addresses.delete', { label: a.label }), `adD:${a.address}`)), 2), [button(t(lang, 'addresses.add'), 'adA')], backToMenu(lang)),
  };
}

/** Orders a user may ask to cancel: the API decides, these are the ones worth a button. */
const cancellable = (status: string) => status === 'pending' || status === 'active';

export function ordersScreen(lang: Language, orders: readonly OrderView[]): Screen {
  const lines = [t(lang, 'orders.title'), ''];
  if (orders.length === 0) lines.push(t(lang, 'orders.none'));
  for (const o of orders) {
    lines.push(
      `${shortId(o.id)} ${t(lang, 'orders.line', { status: statusLabel(lang, o.status), energy: energyText(o.energy_amount), duration: o.duration, address: shortAddress(o.receive_address), time: timeText(o.created_at) })}`,
    );
  }
  const cancels = orders.filter((o) => cancellable(o.status)).map((o) => button(t(lang, 'orders.cancel', { id: shortId(o.id) }), `oc:${o.id}`));
  return { text: lines.join('\n'), keyboard: rows(...chunk(cancels, 2), backToMenu(lang)) };
}
