import { Type, type Static } from '@sinclair/typebox';
import { sunToTrx } from '../../domain/amounts.js';
import { billedDays, PRICE_FORMULA, quote } from '../../domain/pricing.js';
import type { ApiContext } from '../context.js';
import { ErrorBody, Int64 } from '../schemas.js';
import type { TypedApp } from '../typed-app.js';

const DurationPrice = Type.Object({
  duration: Type.String(),
  seconds: Int64(),
  rate_sun_per_energy_day: Type.String(),
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
  rate_sun_per_energy_day: Type.String(),
  billed_days: Int64(),
  price_sun: Type.String(),
  price_trx: Type.String(),
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
        billed_days: billedDays(d.seconds),
      })),
    }),
  );

  const QuoteQuery = Type.Object(
    {
      energy_amount: Type.Integer({ minimum: Number(config.minEnergy), maximum: Number(config.maxEnergy) }),
      duration: Type.Union(config.durations.map((d) => Type.Literal(d.text))),
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
      const q = quote(ctx.config, BigInt(request.query.energy_amount), duration);
      return {
        energy_amount: q.energyAmount,
        duration: duration.text,
        rate_sun_per_energy_day: q.rateSunPerEnergyDay.toString(),
        billed_days: q.billedDays,
        price_sun: q.priceSun.toString(),
        price_trx: sunToTrx(q.priceSun),
        formula: PRICE_FORMULA,
      };
    },
  );
}
