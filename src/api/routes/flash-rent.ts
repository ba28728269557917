import { Type, type Static } from '@sinclair/typebox';
import { findFlashPayment, recentFlashPayments, type FlashPaymentView } from '../../db/flash-payments.js';
import { findOrderByPaymentTxid } from '../../db/orders.js';
import { sunToTrx } from '../../domain/amounts.js';
import { notFound } from '../../domain/errors.js';
import type { ApiContext } from '../context.js';
import { ErrorBody, Nullable, Words } from '../schemas.js';
import type { TypedApp } from '../typed-app.js';
import { iso } from '../views.js';

const Sun = (description: string) => Type.String({ pattern: '^[0-9]+$', description });

const Offer = Type.Object({
  amount_sun: Sun('send exactly this many sun'),
  amount_trx: Type.String({ description: 'the same amount in TRX' }),
  energy_amount: Type.Integer({ description: 'energy delegated for it' }),
  duration: Type.String({ description: 'for this long' }),
});

export const FlashRentBody = Type.Object({
  enabled: Type.Boolean({ description: 'false: this Joule takes no payments by transfer (FLASH_RENT_ADDRESS is not set)' }),
  address: Nullable(Type.String({ description: 'where to send TRX' })),
  offers: Type.Array(Offer),
  refund_fee_sun: Nullable(Sun('kept from every refund')),
  rules: Type.Array(Type.String(), { description: 'how a transfer is served, in words' }),
});

export const FLASH_PAYMENT_STATUSES = ['ordered', 'refunding', 'refunded', 'kept'] as const;

export const FlashPaymentBody = Type.Object(
  {
    txid: Type.String({ description: 'the payment transfer' }),
    sender: Type.String(),
    memo: Nullable(Type.String()),
    amount_sun: Sun('what was paid'),
    block_number: Type.Integer(),
    block_time: Type.String({ format: 'date-time' }),
    status: Words(FLASH_PAYMENT_STATUSES, {
      description: 'ordered: it paid order_id; refunding: being given back on chain; refunded: given back (refund_txid); kept: too small to give back',
    }),
    order_id: Nullable(Type.String({ description: 'the order it paid for' })),
    reason: Nullable(Type.String({ description: 'why it is refunded: flash_amount_not_listed, flash_memo_not_an_address, or the failure code of its order' })),
    refund_sun: Nullable(Sun('what goes back: the amount minus the refund fee')),
    refund_txid: Nullable(Type.String()),
    refund_tx_status: Nullable(Type.String()),
    wait_reason: Nullable(Type.String({ description: 'why a refund is waiting (awaiting_refund_confirmation, pool_cannot_pay_fee, …)' })),
    created_at: Type.String({ format: 'date-time', description: 'when Joule saw it on the solidified chain' }),
  },
  { $id: 'FlashPayment' },
);

function paymentStatus(p: Pick<FlashPaymentView, 'refund_status' | 'order_id'>): (typeof FLASH_PAYMENT_STATUSES)[number] {
  if (p.refund_status === 'refunded') return 'refunded';
  if (p.refund_status === 'due') return 'refunding';
  return p.order_id !== null ? 'ordered' : 'kept';
}

function paymentView(p: FlashPaymentView): Static<typeof FlashPaymentBody> {
  return {
    txid: p.txid,
    sender: p.sender,
    memo: p.memo,
    amount_sun: p.amount_sun.toString(),
    block_number: Number(p.block_number),
    block_time: iso(p.block_time),
    status: paymentStatus(p),
    order_id: p.order_id,
    reason: p.refund_reason,
    refund_sun: p.refund_sun === null ? null : p.refund_sun.toString(),
    refund_txid: p.refund_txid,
    refund_tx_status: p.refund_tx_status,
    wait_reason: p.wait_reason,
    created_at: iso(p.created_at),
  };
}

const TxidParam = Type.Object({ txid: Type.String({ pattern: '^[0-9a-fA-F]{64}$', description: 'the payment transfer id (64 hex characters)' }) });

/** Pay per order by a TRX transfer: the terms, and what became of a payment. */
export function flashRentRoutes(app: TypedApp, ctx: ApiContext): void {
  const flash = ctx.config.flashRent;

  app.get(
    '/api/flash-rent',
    { schema: { summary: 'Flash rent: pay for an order by sending TRX', tags: ['flash rent'], response: { 200: FlashRentBody } } },
    async (): Promise<Static<typeof FlashRentBody>> => {
      if (flash === undefined) return { enabled: false, address: null, offers: [], refund_fee_sun: null, rules: [] };
      const fee = `${sunToTrx(flash.refundFeeSun)} TRX`;
      return {
        enabled: true,
        address: flash.address,
        offers: flash.offers.map((o) => ({ amount_sun: o.amountSun.toString(), amount_trx: sunToTrx(o.amountSun), energy_amount: Number(o.energyAmount), duration: o.duration.text })),
        refund_fee_sun: flash.refundFeeSun.toString(),
        rules: [
          `Send exactly one of the listed amounts of TRX to ${flash.address} in a plain TRX transfer; it is served once its block is solidified (about a minute on mainnet).`,
          "The energy goes to the sender, or to the TRON address written as the transfer's memo (nothing else in the memo). Send from your own wallet, not from an exchange, unless the memo names the receiver.",
          `Any other amount, a memo that is not an address, or an order that cannot be delivered (e.g. a receiver never activated, or a contract) is sent back to the sender, minus ${fee}; an amount of ${fee} or less is kept.`,
          'Each transfer is served once: a transfer id answers GET /api/flash-rent/payments/{txid} with its order or its refund.',
          'TRC-20 tokens sent to the address are not served.',
        ],
      };
    },
  );

  app.get(
    '/api/flash-rent/payments/:txid',
    {
      preHandler: ctx.guards.client,
      schema: {
        summary: 'What became of a flash-rent transfer',
        tags: ['flash rent'],
        params: TxidParam,
        response: { 200: FlashPaymentBody, 404: ErrorBody },
      },
    },
    async (req) => {
      const txid = req.params.txid.toLowerCase();
      const p = await findFlashPayment(ctx.db, txid);
      if (p === undefined) throw notFound('flash-rent payment (not seen on the solidified chain yet, or not a payment to the flash-rent address)');
      const order = await findOrderByPaymentTxid(ctx.db, txid);
      return paymentView({ ...p, order_id: order?.id ?? null });
    },
  );

  const ListQuery = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })) }, { additionalProperties: false });
  app.get(
    '/api/admin/flash-rent/payments',
    {
      preHandler: ctx.guards.admin,
      schema: {
        summary: 'The latest flash-rent payments, newest first, with their orders and refunds',
        tags: ['flash rent', 'admin'],
        querystring: ListQuery,
        response: { 200: Type.Object({ payments: Type.Array(FlashPaymentBody) }) },
      },
    },
    async (req) => ({ payments: (await recentFlashPayments(ctx.db, req.query.limit ?? 50)).map(paymentView) }),
  );
}
