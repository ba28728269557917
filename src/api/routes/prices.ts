import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { sunToTrx } from '../../domain/amounts.js';
import { billedDays, PRICE_FORMULA, quote } from '../../domain/pricing.js';
import type { ApiContext } from '../context.js';
import { ErrorBody } from '../schemas.js';

export function priceRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { config } = ctx;
  const DurationPrice = Type.Object({
    duration: Type.String(),
    seconds: Type.Integer(),
    rate_sun_per_energy_day: Type.String(),
    billed_days: Type.Integer(),
  });

  app.get(
    '/api/prices',
    {
      schema: {
        summary: 'The price table and the formula',
        tags: ['prices'],
        response: {
          200: Type.Object({
            formula: Type.String(),
            unit: Type.String(),
            min_energy: Type.Integer(),
            max_energy: Type.Integer(),
            durations: Type.Array(DurationPrice),
          }),
        },
      },
    },
    async () => ({
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
  app.get<{ Querystring: Static<typeof QuoteQuery> }>(
    '/api/prices/quote',
    {
      schema: {
        summary: 'What an order would cost',
        tags: ['prices'],
        querystring: QuoteQuery,
        response: {
          200: Type.Object({
            energy_amount: Type.Integer(),
            duration: Type.String(),
            rate_sun_per_energy_day: Type.String(),
            billed_days: Type.Integer(),
            price_sun: Type.String(),
            price_trx: Type.String(),
            formula: Type.String(),
          }),
          '4xx': ErrorBody,
        },
      },
    },
    async (request) => {
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
