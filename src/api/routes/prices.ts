import { Type, type Static } from '@sinclair/typebox';
import { sunToTrx } from '../../domain/amounts.js';
import { billedDays, PRICE_FORMULA, priceTableFor, quote } from '../../domain/pricing.js';
import type { ApiContext } from '../context.js';
import { CurrencySchema, currencyField, durationField, ErrorBody, Int64, Nullable } from '../schemas.js';
import type { TypedApp } from '../typed-app.js';

const DurationPrice = Type.Object({
  duration: Type.String(),
  seconds: Int64(),
  rate_sun_per_energy_day: Type.String(),
  rate_micro_usdt_per_energy_day: Type.Union([Type.String(), Type.Null()], { description: 'from PRICE_TABLE_USDT; null when USDT is not accepted' }),
  billed_days: Int64(),
});

const PriceTableBody = Type.Object({
  formula: Type.String(),
  unit: Type.String(),
  min_energy: Int64(),
  max_energy: Int64(),
  durations: Type.Array(DurationPrice),
});


const QuoteBody = Type.Object({
  energy_amount: Int64(),
  duration: Type.String(),
  pay_currency: CurrencySchema,
  rate_per_energy_day: Type.String({ description: 'in the smallest unit of pay_currency (sun or micro-USDT)' }),
  price: Type.String({ description: 'in the smallest unit of pay_currency (sun or micro-USDT)' }),
  price_decimal: Type.String({ description: 'price as a decimal string of pay_currency (TRX or USDT)' }),
  rate_sun_per_energy_day: Nullable(Type.String({ description: 'for TRX; null for USDT' })),
  billed_days: Int64(),
  price_sun: Nullable(Type.String({ description: 'for TRX; null for USDT' })),
  price_trx: Nullable(Type.String({ description: 'for TRX; null for USDT' })),
  formula: Type.String(),
});

export function priceRoutes(app: TypedApp, ctx: ApiContext): void {
  const { config } = ctx;

  app.get(
    '/api/prices',
    {
      schema: {
        summary: 'The price table and the formula',
        tags: ['prices'],
        response: { 200: PriceTableBody },
      },
    },
    async (): Promise<Static<typeof PriceTableBody>> => ({
      formula: PRICE_FORMULA,
      unit: 'sun per energy per day',
      min_energy: config.minEnergy,
      max_energy: config.maxEnergy,
      durations: config.durations.map((d) => ({
        duration: d.text,
        seconds: d.seconds,
        rate_sun_per_energy_day: ctx.config.rates.get(d.text)!.toString(),
        rate_micro_usdt_per_energy_day: ctx.config.ratesUsdt?.get(d.text)?.toString() ?? null,
        billed_days: billedDays(d.seconds),
      })),
    }),
  );

  const QuoteQuery = Type.Object(
    {
      energy_amount: Type.Integer({ minimum: Number(config.minEnergy), maximum: Number(config.maxEnergy) }),
      duration: durationField(config.durations),
      pay_currency: Type.Optional(currencyField('TRX (the default) or USDT')),
    },
    { additionalProperties: false },
  );
  app.get(
    '/api/prices/quote',
    {
      schema: {
        summary: 'What an order would cost',
        tags: ['prices'],
        querystring: QuoteQuery,
        response: { 200: QuoteBody, '4xx': ErrorBody },
      },
    },
    async (request): Promise<Static<typeof QuoteBody>> => {
      const duration = config.durations.find((d) => d.text === request.query.duration)!;
      const currency = request.query.pay_currency ?? 'TRX';
      const q = quote(priceTableFor(ctx.config, currency), BigInt(request.query.energy_amount), duration);
      const trx = currency === 'TRX';
      return {
        energy_amount: q.energyAmount,
        duration: duration.text,
        pay_currency: currency,
        rate_per_energy_day: q.rateSunPerEnergyDay.toString(),
        price: q.priceSun.toString(),
        // Both currencies have six decimals.
        price_decimal: sunToTrx(q.priceSun),
        rate_sun_per_energy_day: trx ? q.rateSunPerEnergyDay.toString() : null,
        billed_days: q.billedDays,
        price_sun: trx ? q.priceSun.toString() : null,
        price_trx: trx ? sunToTrx(q.priceSun) : null,
        formula: PRICE_FORMULA,
      };
    },
  );
}
