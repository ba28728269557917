import { Type } from '@sinclair/typebox';
import { parsePositiveInt64 } from '../../domain/amounts.js';
import { invalid, notFound } from '../../domain/errors.js';
import { findUser, listLedger, listUsers } from '../../db/users.js';
import { deposit } from '../../use-cases/deposit.js';
import type { ApiContext } from '../context.js';
import { ErrorBody, Int64, LedgerEntryBody, LedgerPageBody, Limit, UserBody, UserIdParam, UserPageBody } from '../schemas.js';
import { userIdOf } from '../user-id.js';
import { ledgerEntryView, userView } from '../views.js';
import type { TypedApp } from '../typed-app.js';

/** Largest single deposit: 100 billion TRX, more than the TRX supply. */
const MAX_DEPOSIT_SUN = 100_000_000_000_000_000n;

const Params = Type.Object({ user_id: UserIdParam });
const Cursor = Type.String({ pattern: '^[1-9][0-9]{0,18}$', description: 'next_cursor of the previous page' });
const PageQuery = Type.Object({ limit: Type.Optional(Limit), cursor: Type.Optional(Cursor) }, { additionalProperties: false });

/** A keyset cursor this API gave out: a positive int64 id. */
function cursorOf(raw: string | undefined): bigint | undefined {
  if (raw === undefined) return undefined;
  const cursor = parsePositiveInt64(raw);
  if (cursor === null) throw invalid('invalid_cursor', 'cursor is not one this API gave out');
  return cursor;
}

export function userRoutes(app: TypedApp, ctx: ApiContext): void {
  app.get(
    '/api/users',
    {
      preHandler: ctx.guards.admin,
      schema: {
        summary: 'Every user with its balance, by id (admin)',
        description: 'Keyset pagination: pass the next_cursor of one page as cursor to get the next; null means no more.',
        tags: ['users'],
        security: [{ adminToken: [] }],
        querystring: PageQuery,
        response: { 200: UserPageBody, '4xx': ErrorBody },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const rows = await listUsers(ctx.db, limit + 1, cursorOf(request.query.cursor));
      const page = rows.slice(0, limit);
      return { users: page.map(userView), next_cursor: rows.length > limit ? page[page.length - 1]!.id.toString() : null };
    },
  );

  app.get(
    '/api/users/:user_id',
    {
      preHandler: ctx.guards.client,
      schema: { summary: "A user's prepaid balance", tags: ['users'], params: Params, response: { 200: UserBody, '4xx': ErrorBody } },
    },
    async (request) => {
      const user = await findUser(ctx.db, userIdOf(request.params.user_id));
      if (!user) throw notFound('user');
      return userView(user);
    },
  );

  app.get(
    '/api/users/:user_id/ledger',
    {
      preHandler: ctx.guards.client,
      schema: {
        summary: "A user's ledger, newest first: every balance change",
        tags: ['users'],
        params: Params,
        querystring: PageQuery,
        response: { 200: LedgerPageBody, '4xx': ErrorBody },
      },
    },
    async (request) => {
      const userId = userIdOf(request.params.user_id);
      if (!(await findUser(ctx.db, userId))) throw notFound('user');
      const limit = request.query.limit ?? 50;
      const rows = await listLedger(ctx.db, userId, limit + 1, cursorOf(request.query.cursor));
      const page = rows.slice(0, limit);
      return {
        user_id: userId,
        entries: page.map(ledgerEntryView),
        next_cursor: rows.length > limit ? page[page.length - 1]!.id.toString() : null,
      };
    },
  );

  const DepositBody = Type.Object(
    {
      amount_sun: Type.Union([Type.String({ pattern: '^[1-9][0-9]{0,17}$' }), Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })], {
        description: 'amount to credit, in sun (1 TRX = 1000000 sun); a decimal string keeps it exact',
      }),
      reference: Type.String({
        minLength: 1,
        maxLength: 128,
        pattern: '^[\\x21-\\x7e]+$',
        description: 'your reference for this top-up (a payment id); the same reference is credited once',
      }),
    },
    { additionalProperties: false },
  );
  const DepositResult = Type.Object({ user_id: Int64(), balance_sun: Type.String(), entry: LedgerEntryBody });
  app.post(
    '/api/users/:user_id/deposits',
    {
      preHandler: ctx.guards.admin,
      schema: {
        summary: "Credit a user's prepaid balance (admin)",
        description: 'Creates the user on first deposit. Idempotent by reference: a replay returns the first entry (200); the same reference with another user or amount is 409.',
        tags: ['users'],
        security: [{ adminToken: [] }],
        params: Params,
        body: DepositBody,
        response: { 200: DepositResult, 201: DepositResult, '4xx': ErrorBody },
      },
    },
    async (request, reply) => {
      const userId = userIdOf(request.params.user_id);
      const amount = parsePositiveInt64(request.body.amount_sun);
      if (amount === null || amount > MAX_DEPOSIT_SUN) {
        throw invalid('invalid_amount', `amount_sun must be a positive whole number of sun up to ${MAX_DEPOSIT_SUN}`);
      }
      const result = await deposit(ctx.db, { userId, amountSun: amount, reference: request.body.reference });
      if (result.created) {
        request.log.info({ userId: userId.toString(), amountSun: amount.toString(), entryId: result.entry.id.toString() }, 'deposit credited');
      }
      return reply
        .code(result.created ? 201 : 200)
        .send({ user_id: userId, balance_sun: result.balanceSun.toString(), entry: ledgerEntryView(result.entry) });
    },
  );
}
