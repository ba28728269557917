import { Type } from '@sinclair/typebox';
import { INT64_MAX, parsePositiveInt64 } from '../../domain/amounts.js';
import { CURRENCIES, SMALLEST_UNIT } from '../../domain/currency.js';
import { parseAccountXpub } from '../../domain/deposit-address.js';
import { AppError, invalid, notFound } from '../../domain/errors.js';
import { findTenant, insertTenantUser } from '../../db/tenants.js';
import { findUser, listLedger, listUsers } from '../../db/users.js';
import { DEFAULT_TENANT } from '../../domain/tenant.js';
import { scopedKey, userRowOf } from '../../use-cases/tenants.js';
import { ownersFor, tenantIn, userRowFor } from '../tenant-scope.js';
import { CHAIN_REFERENCE_PREFIX, chainDepositsBehind } from '../../use-cases/chain-deposit.js';
import { deposit } from '../../use-cases/deposit.js';
import { depositAddressFor } from '../../use-cases/deposit-address.js';
import type { ApiContext } from '../context.js';
import { AmountInput, CurrencySchema, currencyField, DepositAddressBody, ErrorBody, Int64, LedgerEntryBody, LedgerPageBody, Limit, UserBody, UserIdParam, UserPageBody } from '../schemas.js';
import { userIdOf } from '../user-id.js';
import { ledgerEntryView, userView } from '../views.js';
import type { TypedApp } from '../typed-app.js';

/** Largest single deposit: 100 billion TRX (or USDT), more than either supply. */
const MAX_DEPOSIT_SUN = 100_000_000_000_000_000n;

const Params = Type.Object({ user_id: UserIdParam });
const Cursor = Type.String({ pattern: '^[1-9][0-9]{0,18}$', description: 'next_cursor of the previous page' });
const PageQuery = Type.Object({ limit: Type.Optional(Limit), cursor: Type.Optional(Cursor) }, { additionalProperties: false });
const TenantQuery = Type.Object(
  { tenant_id: Type.Optional(Type.String({ maxLength: 64, description: "admin token only: the tenant whose user this is (the default tenant's when absent)" })) },
  { additionalProperties: false },
);
const LedgerQuery = Type.Object({ ...PageQuery.properties, ...TenantQuery.properties }, { additionalProperties: false });
const UsersQuery = Type.Object(
  { limit: Type.Optional(Limit), cursor: Type.Optional(Type.String({ maxLength: 20, description: 'next_cursor of the previous page' })), tenant_id: Type.Optional(Type.String({ maxLength: 64, description: 'one tenant only' })) },
  { additionalProperties: false },
);

/** A keyset cursor this API gave out: a positive int64 id. */
function cursorOf(raw: string | undefined): bigint | undefined {
  if (raw === undefined) return undefined;
  const cursor = parsePositiveInt64(raw);
  if (cursor === null) throw invalid('invalid_cursor', 'cursor is not one this API gave out');
  return cursor;
}

/**
 * The users list's cursor: the last users row of a page, an int64 that may
 * be zero (the flash-rent user) or below (another tenant's users).
 */
function userCursorOf(raw: string | undefined): bigint | undefined {
  if (raw === undefined) return undefined;
  if (!/^(0|-?[1-9][0-9]{0,18})$/.test(raw) || BigInt(raw) > INT64_MAX || BigInt(raw) < -INT64_MAX) throw invalid('invalid_cursor', 'cursor is not one this API gave out');
  return BigInt(raw);
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
        querystring: UsersQuery,
        response: { 200: UserPageBody, '4xx': ErrorBody },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const cursor = userCursorOf(request.query.cursor);
      const rows = await listUsers(ctx.db, limit + 1, cursor, request.query.tenant_id);
      const page = rows.slice(0, limit);
      const owners = await ownersFor(ctx, page.map((u) => u.id));
      return { users: page.map((u) => userView(u, owners.get(u.id)!)), next_cursor: rows.length > limit ? page[page.length - 1]!.id.toString() : null };
    },
  );

  app.get(
    '/api/users/:user_id',
    {
      preHandler: ctx.guards.client,
      schema: { summary: "A user's prepaid balance", tags: ['users'], params: Params, querystring: TenantQuery, response: { 200: UserBody, '4xx': ErrorBody } },
    },
    async (request) => {
      const externalId = userIdOf(request.params.user_id);
      const row = await userRowFor(ctx, request, externalId, false, request.query.tenant_id);
      const user = row === undefined ? undefined : await findUser(ctx.db, row);
      if (!user) throw notFound('user');
      return userView(user, { tenantId: tenantIn(request, request.query.tenant_id), externalId });
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
        querystring: LedgerQuery,
        response: { 200: LedgerPageBody, '4xx': ErrorBody },
      },
    },
    async (request) => {
      const userId = userIdOf(request.params.user_id);
      const row = await userRowFor(ctx, request, userId, false, request.query.tenant_id);
      if (row === undefined || !(await findUser(ctx.db, row))) throw notFound('user');
      const limit = request.query.limit ?? 50;
      const rows = await listLedger(ctx.db, row, limit + 1, cursorOf(request.query.cursor));
      const page = rows.slice(0, limit);
      const chain = await chainDepositsBehind(ctx.db, page);
      return {
        user_id: userId,
        entries: page.map((e) => ledgerEntryView(e, chain.get(e.id))),
        next_cursor: rows.length > limit ? page[page.length - 1]!.id.toString() : null,
      };
    },
  );

  // Checked at start (config); parsed once here.
  const account = ctx.config.deposits.xpub === undefined ? undefined : parseAccountXpub(ctx.config.deposits.xpub);
  app.get(
    '/api/users/:user_id/deposit-address',
    {
      preHandler: ctx.guards.client,
      schema: {
        summary: "A user's own address to send TRX or USDT to",
        description:
          "Derived from DEPOSIT_XPUB at m/44'/195'/0'/0/<index>; the same address every time, created (with the user) on the first call. " +
          'Transfers to it are credited to the balance once solidified, from MIN_DEPOSIT_TRX_SUN or MIN_DEPOSIT_USDT up. 404 deposits_not_configured without DEPOSIT_XPUB.',
        tags: ['users'],
        params: Params,
        response: { 200: DepositAddressBody, '4xx': ErrorBody },
      },
    },
    async (request) => {
      if (account === undefined) {
        throw new AppError('deposits_not_configured', 404, 'this Joule has no deposit addresses: DEPOSIT_XPUB is not set');
      }
      const userId = userIdOf(request.params.user_id);
      const row = await depositAddressFor(ctx.db, account, (await userRowFor(ctx, request, userId, true))!);
      return { user_id: userId, address: row.address, index: Number(row.derivation_index), currencies: [...CURRENCIES] };
    },
  );

  const DepositBody = Type.Object(
    {
      currency: Type.Optional(currencyField('what to credit: TRX (the default) or USDT')),
      amount: Type.Optional(AmountInput('amount to credit in the smallest unit of currency: sun (1 TRX = 1000000) or micro-USDT (1 USDT = 1000000)')),
      amount_sun: Type.Optional(AmountInput('compatibility: amount for a TRX deposit, in sun (1 TRX = 1000000 sun); send amount or amount_sun')),
      reference: Type.String({
        minLength: 1,
        maxLength: 128,
        pattern: '^[\\x21-\\x7e]+$',
        description: 'your reference for this top-up (a payment id); the same reference is credited once',
      }),
      tenant_id: Type.Optional(Type.String({ maxLength: 64, description: 'whose user: the default tenant when absent' })),
    },
    { additionalProperties: false },
  );
  const DepositResult = Type.Object({
    user_id: Int64(),
    currency: CurrencySchema,
    balance: Type.String({ description: "the user's balance in currency right after, in its smallest unit" }),
    balance_sun: Type.String({ description: "the user's TRX balance, in sun" }),
    balance_micro_usdt: Type.String({ description: "the user's USDT balance, in micro-USDT" }),
    entry: LedgerEntryBody,
  });
  app.post(
    '/api/users/:user_id/deposits',
    {
      preHandler: ctx.guards.admin,
      schema: {
        summary: "Credit a user's prepaid balance (admin)",
        description:
          'Creates the user on first deposit. TRX unless currency says USDT; the amount is in the smallest unit (amount_sun is the older name, for TRX). ' +
          'Idempotent by reference: a replay returns the first entry (200); the same reference with another user, currency or amount is 409.',
        tags: ['users'],
        security: [{ adminToken: [] }],
        params: Params,
        body: DepositBody,
        response: { 200: DepositResult, 201: DepositResult, '4xx': ErrorBody },
      },
    },
    async (request, reply) => {
      const userId = userIdOf(request.params.user_id);
      const body = request.body;
      const currency = body.currency ?? 'TRX';
      if (body.amount !== undefined && body.amount_sun !== undefined) throw invalid('invalid_amount', 'send amount or amount_sun, not both');
      if (body.amount === undefined && body.amount_sun === undefined) throw invalid('missing_field', 'field "amount" is required');
      if (body.amount_sun !== undefined && currency !== 'TRX') {
        throw invalid('invalid_amount', `amount_sun is for TRX; send amount, in ${SMALLEST_UNIT[currency]}`);
      }
      const amount = parsePositiveInt64(body.amount ?? body.amount_sun);
      if (amount === null || amount > MAX_DEPOSIT_SUN) {
        const field = body.amount === undefined ? 'amount_sun' : 'amount';
        throw invalid('invalid_amount', `${field} must be a positive whole number of ${SMALLEST_UNIT[currency]} up to ${MAX_DEPOSIT_SUN}`);
      }
      if (body.reference.startsWith(CHAIN_REFERENCE_PREFIX)) {
        throw invalid('invalid_reference', `references starting with ${CHAIN_REFERENCE_PREFIX} are kept for deposits seen on chain`);
      }
      const tenantId = body.tenant_id ?? DEFAULT_TENANT;
      if (tenantId !== DEFAULT_TENANT && (await findTenant(ctx.db, tenantId)) === undefined) throw notFound('tenant');
      const result = await deposit(ctx.db, {
        userRow: () => userRowOf(ctx.db, tenantId, userId, false),
        // The default tenant's users are their own rows (ensureUser makes them); another's get one of theirs.
        newUser: (tx) => (tenantId === DEFAULT_TENANT ? Promise.resolve(userId) : insertTenantUser(tx, tenantId, userId)),
        currency,
        amount,
        reference: scopedKey(tenantId, body.reference),
      });
      if (result.created) {
        request.log.info({ tenant: tenantId, userId: userId.toString(), currency, amount: amount.toString(), entryId: result.entry.id.toString() }, 'deposit credited');
      }
      const { balance_sun, balance_micro_usdt } = result.balances;
      return reply.code(result.created ? 201 : 200).send({
        user_id: userId,
        currency: result.entry.currency,
        balance: (result.entry.currency === 'TRX' ? balance_sun : balance_micro_usdt).toString(),
        balance_sun: balance_sun.toString(),
        balance_micro_usdt: balance_micro_usdt.toString(),
        entry: ledgerEntryView(result.entry),
      });
    },
  );
}
