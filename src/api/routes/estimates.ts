import { Type, type Static } from '@sinclair/typebox';
import { isTronAddress } from '../../domain/address.js';
import { sunToTrx } from '../../domain/amounts.js';
import { AppError, invalid } from '../../domain/errors.js';
import { priceTableFor, quote } from '../../domain/pricing.js';
import { USDT_CONTRACT } from '../../domain/usdt.js';
import type { ApiContext } from '../context.js';
import { durationField, ErrorBody, Int64, Nullable } from '../schemas.js';
import type { TypedApp } from '../typed-app.js';


const RentalPrice = Type.Object({
  duration: Type.String(),
  seconds: Int64(),
  billed_days: Int64(),
  price_sun: Type.String({ description: 'renting energy_amount for this duration, paid in TRX (PRICE_TABLE): what GET /api/prices/quote answers' }),
  price_trx: Type.String(),
  price_micro_usdt: Nullable(Type.String({ description: 'the same paid in USDT (PRICE_TABLE_USDT); null when USDT is not accepted' })),
  price_usdt: Nullable(Type.String()),
});

const UsdtTransferEstimateBody = Type.Object({
  to: Type.String(),
  token: Type.String({ description: 'the USDT contract' }),
  energy_amount: Int64({ description: 'energy the transfer needs now, as the node simulates it (triggerconstantcontract energy_used): the amount to order' }),
  holds_usdt: Type.Boolean({ description: 'whether `to` holds USDT now: true ~65k energy; false ~130k (its balance takes a new storage slot)' }),
  prices: Type.Array(RentalPrice),
});

export function estimateRoutes(app: TypedApp, ctx: ApiContext): void {
  const { config } = ctx;
  const EstimateQuery = Type.Object(
    {
      to: Type.String({ maxLength: 64, description: 'TRON address (base58check) the USDT would be sent to' }),
      duration: Type.Optional(durationField(config.durations, { description: 'price this rental length only; default: every allowed one' })),
    },
    { additionalProperties: false },
  );

  app.get(
    '/api/estimate/usdt-transfer',
    {
      preHandler: ctx.guards.client,
      schema: {
        summary: 'The energy a USDT transfer to an address needs now, and the price of renting it',
        description:
          'Asks the node to simulate transfer(to, 1) from a USDT holder (USDT_ESTIMATE_FROM): about 65,000 energy to an address that holds USDT, ' +
          'about 130,000 to one that holds none. The answer depends on the receiver only, and is shared for a block: asking again about the same ' +
          'address within a block asks the node nothing. Every allowed duration is priced, in TRX and (with PRICE_TABLE_USDT) USDT, so a bot can ' +
          'offer its customer the rentals from one answer; `duration` narrows it to one. Each price is the quote for energy_amount. ' +
          'Needs the client key, as it spends the operator\'s node requests. 503 when the node cannot answer (chain_unavailable, chain_busy, ' +
          'estimate_failed) or this process has none (chain_not_configured).',
        tags: ['prices'],
        querystring: EstimateQuery,
        response: { 200: UsdtTransferEstimateBody, '4xx': ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply): Promise<Static<typeof UsdtTransferEstimateBody>> => {
      const { to } = request.query;
      if (!isTronAddress(to)) throw invalid('invalid_address', 'to is not a TRON address (base58check, 34 characters, starting with T)');
      if (ctx.estimates === undefined) {
        throw new AppError('chain_not_configured', 503, 'this process has no TRON node to ask: set TRON_FULL_HOST for role api');
      }
      let estimate;
      try {
        estimate = await ctx.estimates.usdtTransfer(to);
      } catch (err) {
        if (err instanceof AppError) {
          request.log.warn({ code: err.code, reason: err.message }, 'USDT transfer estimate unavailable');
          const retryAfter = err.details?.retry_after_seconds;
          if (typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
        }
        throw err;
      }
      const durations = request.query.duration === undefined ? config.durations : config.durations.filter((d) => d.text === request.query.duration);
      return {
        to,
        token: USDT_CONTRACT,
        energy_amount: estimate.energy,
        holds_usdt: estimate.holdsUsdt,
        prices: durations.map((d) => {
          const trx = quote(priceTableFor(config, 'TRX'), estimate.energy, d);
          const usdt = config.ratesUsdt === undefined ? undefined : quote(priceTableFor(config, 'USDT'), estimate.energy, d);
          return {
            duration: d.text,
            seconds: d.seconds,
            billed_days: trx.billedDays,
            price_sun: trx.priceSun.toString(),
            price_trx: sunToTrx(trx.priceSun),
            // Both currencies have six decimals.
            price_micro_usdt: usdt === undefined ? null : usdt.priceSun.toString(),
            price_usdt: usdt === undefined ? null : sunToTrx(usdt.priceSun),
          };
        }),
      };
    },
  );
}
