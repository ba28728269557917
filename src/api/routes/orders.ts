import { Type, type Static } from '@sinclair/typebox';
import { isTronAddress } from '../../domain/address.js';
import { parsePositiveInt64 } from '../../domain/amounts.js';
import { isCurrency } from '../../domain/currency.js';
import { AppError, invalid, notFound } from '../../domain/errors.js';
import { listOrderTransactions } from '../../db/chain-transactions.js';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { findOrder, listOrderEvents, listOrders, type Order } from '../../db/orders.js';
import { DEFAULT_TENANT } from '../../domain/tenant.js';
import { cancelOrder } from '../../use-cases/cancel-order.js';
import { earlierOrderFor, placeOrder } from '../../use-cases/place-order.js';
import { scopedKey, userRowOf } from '../../use-cases/tenants.js';
import { tenantOf } from '../auth.js';
import { maySee, ownersFor, tenantIn, userRowFor } from '../tenant-scope.js';
import type { ApiContext } from '../context.js';
import {
  AmountInput,
  ClientOrderId,
  currencyField,
  durationField,
  ErrorBody,
  Limit,
  OrderBody,
  OrderEventsBody,
  OrderPageBody,
  OrderStatusSchema,
  OrderTransactionsBody,
  UserIdInput,
  UserIdParam,
} from '../schemas.js';
import { chainTransactionView, orderEventView, orderView } from '../views.js';
import { userIdOf } from '../user-id.js';
import type { TypedApp } from '../typed-app.js';

const OrderId = Type.String({
  pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
  description: 'an order id as Joule gave it out: a lowercase UUID such as 01a225b2-a38b-759c-bca9-ef16383fb40e',
});
const IDEMPOTENCY_KEY_RE = /^[\x21-\x7e]{1,128}$/;

/**
 * An order request refused for what it asks (the schema, the settings, a
 * field's form): a keyed retry of a placed order may replay instead. Not a
 * conflict, whose key already names another order, nor a failure of ours.
 */
function isRefusal(err: unknown): boolean {
  if (err instanceof AppError) return err.status >= 400 && err.status < 500 && err.code !== 'idempotency_conflict';
  return (err as FastifyError | undefined)?.validation !== undefined;
}

const refusalCode = (err: unknown): string => (err instanceof AppError ? err.code : 'schema');

export function orderRoutes(app: TypedApp, ctx: ApiContext): void {
  /** The order, if the request's tenant may see it: another tenant's is a 404 too, so ids cannot be probed. */
  async function visibleOrder(request: FastifyRequest, id: string): Promise<Order> {
    const order = await findOrder(ctx.db, id);
    if (!order || !(await maySee(ctx, request, order.user_id))) throw notFound('order');
    return order;
  }

  const { config } = ctx;
  const CreateOrder = Type.Object(
    {
      user_id: UserIdInput,
      energy_amount: Type.Integer({
        minimum: Number(config.minEnergy),
        maximum: Number(config.maxEnergy),
        description: `energy to rent, ${config.minEnergy}..${config.maxEnergy}`,
      }),
      duration: durationField(config.durations, { description: 'rental length' }),
      receive_address: Type.String({ description: 'TRON address (base58check) that receives the energy' }),
      client_order_id: Type.Optional(ClientOrderId),
      pay_currency: Type.Optional(
        currencyField('the balance to pay from: TRX (the default, priced by PRICE_TABLE) or USDT (priced by PRICE_TABLE_USDT, when set)'),
      ),
      max_price: Type.Optional(
        AmountInput(
          'the most this order may cost, in the smallest unit of pay_currency (the price a customer was shown): priced above it, the order is refused with 409 price_above_max and nothing is debited',
        ),
      ),
    },
    { additionalProperties: false },
  );

  app.post(
    '/api/orders',
    {
      preHandler: ctx.guards.client,
      schema: {
        summary: 'Create an order',
        description:
          'Prices the order, debits the prepaid balance and queues the delegation, all or nothing. ' +
          'An Idempotency-Key header (or client_order_id) makes retries safe: the same key and body return the first order (200), ' +
          'even after the operator has changed the durations, limits or currencies it was placed under; ' +
          'the same key with another body is 409 idempotency_conflict.',
        tags: ['orders'],
        headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String()) }),
        body: CreateOrder,
        response: { 200: OrderBody, 201: OrderBody, '4xx': ErrorBody },
      },
      attachValidation: true,
    },
    async (request, reply) => {
      try {
        // The schema's refusal waits until here (attachValidation), so that a keyed retry can still replay.
        if (request.validationError) throw request.validationError;
        return await place(request.body, request, reply);
      } catch (err) {
        const earlier = isRefusal(err) ? await earlierOrderOf(request) : undefined;
        if (earlier === undefined) throw err;
        const tenantId = tenantIn(request);
        request.log.info(
          { orderId: earlier.order.id, tenant: tenantId, userId: earlier.userId.toString(), refusedNow: refusalCode(err) },
          'order replayed for idempotency key (the request would be refused under the settings of today)',
        );
        return reply.code(200).send(orderView(earlier.order, { tenantId, externalId: earlier.userId }));
      }
    },
  );

  async function place(body: Static<typeof CreateOrder>, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const userId = userIdOf(body.user_id);
    if (!isTronAddress(body.receive_address)) {
      throw invalid('invalid_address', 'receive_address is not a TRON address (base58check, 34 characters, starting with T)');
    }
    const key = idempotencyKeyOf(request, body.client_order_id);
    const duration = config.durations.find((d) => d.text === body.duration)!;
    const tenantId = tenantIn(request);
    // A user the tenant has never had has nothing to pay with: no row is made for a refusal.
    const userRow = (await userRowFor(ctx, request, userId, false)) ?? null;
    const { order, created } = await placeOrder(ctx.db, ctx.config, {
      userId: userRow,
      tenantId,
      energyAmount: BigInt(body.energy_amount),
      duration,
      receiveAddress: body.receive_address,
      payCurrency: body.pay_currency ?? 'TRX',
      maxPrice: body.max_price === undefined ? undefined : parsePositiveInt64(body.max_price)!,
      idempotencyKey: scopedKey(tenantId, key),
    });
    if (created) {
      request.log.info(
        { orderId: order.id, tenant: tenantId, userId: userId.toString(), price: order.price_sun.toString(), currency: order.pay_currency },
        'order created',
      );
      ctx.dispatch.orderPlaced(order.id);
    } else {
      request.log.info({ orderId: order.id, tenant: tenantId, userId: userId.toString() }, 'order replayed for idempotency key');
    }
    return reply.code(created ? 201 : 200).send(orderView(order, { tenantId, externalId: userId }));
  }

  /**
   * The request's idempotency key: the Idempotency-Key header or
   * client_order_id, the same when both are sent; null without either. A
   * header that is no key, or two that differ, is a 400. (The body's
   * client_order_id is checked by the schema, which a replay reads past.)
   */
  function idempotencyKeyOf<T>(request: FastifyRequest, inBody: T | undefined): string | T | null {
    const header = request.headers['idempotency-key'];
    if (header !== undefined && (typeof header !== 'string' || !IDEMPOTENCY_KEY_RE.test(header))) {
      throw invalid('invalid_idempotency_key', 'Idempotency-Key must be 1 to 128 printable ASCII characters');
    }
    if (header !== undefined && inBody !== undefined && header !== inBody) {
      throw invalid('idempotency_key_mismatch', 'Idempotency-Key and client_order_id differ; send one, or the same in both');
    }
    return header ?? inBody ?? null;
  }

  /**
   * For a keyed request refused before it placed anything: the order its key
   * placed, when the request is the one that placed it (earlierOrderFor).
   * Read from the body as sent, since the refusal may be the schema's.
   */
  async function earlierOrderOf(request: FastifyRequest): Promise<{ order: Order; userId: bigint } | undefined> {
    const body = request.body as Record<string, unknown> | null | undefined;
    if (typeof body !== 'object' || body === null) return undefined;
    let key: unknown;
    try {
      key = idempotencyKeyOf(request, body.client_order_id);
    } catch {
      return undefined;
    }
    const userId = parsePositiveInt64(body.user_id);
    const { energy_amount: energy, duration, receive_address: address, pay_currency: currency = 'TRX' } = body;
    if (typeof key !== 'string' || userId === null || !Number.isSafeInteger(energy) || typeof duration !== 'string') return undefined;
    if (typeof address !== 'string' || !isCurrency(currency)) return undefined;
    const tenantId = tenantIn(request);
    const userRow = await userRowFor(ctx, request, userId, false);
    if (userRow === undefined) return undefined;
    const order = await earlierOrderFor(ctx.db, scopedKey(tenantId, key), {
      userId: userRow,
      energyAmount: BigInt(energy as number),
      durationText: duration,
      receiveAddress: address,
      payCurrency: currency,
    });
    return order && { order, userId };
  }

  app.get(
    '/api/orders/:order_id',
    {
      preHandler: ctx.guards.client,
      schema: {
        summary: 'Get an order',
        tags: ['orders'],
        params: Type.Object({ order_id: OrderId }),
        response: { 200: OrderBody, '4xx': ErrorBody },
      },
    },
    async (request) => {
      const order = await visibleOrder(request, request.params.order_id);
      return orderView(order, (await ownersFor(ctx, [order.user_id])).get(order.user_id)!);
    },
  );

  app.post(
    '/api/orders/:order_id/cancel',
    {
      preHandler: ctx.guards.client,
      schema: {
        summary: 'Cancel an order',
        description:
          'A pending order (or one waiting for pool capacity) is cancelled at once and refunded in full: 200 with status cancelled. ' +
          'An active order whose delegation is unlocked (DELEGATE_LOCK=false) or whose lock has run out is reclaimed early: ' +
          '202 with cancel_requested_at set; a worker undelegates it, and it completes with cancelled_at and its refund ' +
          '(CANCEL_REFUND_POLICY: prorata of the unused time minus the reclaim fee, or none). ' +
          'Anything else is 409 cancel_not_allowed with a reason (being_processed: ask again in a moment; locked: with possible_at; ' +
          'delegating, rental_ended, reclaiming, completed, failed). Asking again is harmless: a cancelled order is returned as it is (200), ' +
          'an early reclaim under way again with 202. No body is needed. The client key or the admin token.',
        tags: ['orders'],
        params: Type.Object({ order_id: OrderId }),
        response: { 200: OrderBody, 202: OrderBody, '4xx': ErrorBody },
      },
    },
    async (request, reply) => {
      const admin = tenantOf(request).admin;
      // Another tenant's order is a 404, as for reading it.
      await visibleOrder(request, request.params.order_id);
      const outcome = await cancelOrder(ctx.db, {
        orderId: request.params.order_id,
        actor: admin ? 'admin' : 'api',
        flashRefundFeeSun: ctx.config.flashRent?.refundFeeSun ?? 0n,
      });
      const { order } = outcome;
      if (outcome.kind === 'cancelled') {
        request.log.info({ orderId: order.id, by: admin ? 'admin' : 'client', refunded: order.refunded_sun?.toString() ?? null, currency: order.pay_currency }, 'order cancelled');
      }
      if (outcome.kind === 'reclaim_requested') {
        request.log.info({ orderId: order.id, by: admin ? 'admin' : 'client' }, 'early cancel requested; a worker reclaims the energy');
        ctx.dispatch.orderDue?.(order.id);
      }
      const owner = (await ownersFor(ctx, [order.user_id])).get(order.user_id)!;
      return reply.code(outcome.kind === 'reclaim_requested' ? 202 : 200).send(orderView(order, owner));
    },
  );

  app.get(
    '/api/orders/:order_id/events',
    {
      preHandler: ctx.guards.client,
      schema: {
        summary: "An order's timeline: every status change, oldest first",
        tags: ['orders'],
        params: Type.Object({ order_id: OrderId }),
        response: { 200: OrderEventsBody, '4xx': ErrorBody },
      },
    },
    async (request) => {
      const order = await visibleOrder(request, request.params.order_id);
      const events = await listOrderEvents(ctx.db, order.id);
      return { order_id: order.id, events: events.map(orderEventView) };
    },
  );

  app.get(
    '/api/orders/:order_id/transactions',
    {
      preHandler: ctx.guards.client,
      schema: {
        summary: "An order's chain transactions, oldest first: each delegation and reclaim as journaled",
        description: 'Every transaction the engine signed for the order, with its status and what the node said; the signed transaction itself is never returned.',
        tags: ['orders'],
        params: Type.Object({ order_id: OrderId }),
        response: { 200: OrderTransactionsBody, '4xx': ErrorBody },
      },
    },
    async (request) => {
      const order = await visibleOrder(request, request.params.order_id);
      const transactions = await listOrderTransactions(ctx.db, order.id);
      return { order_id: order.id, transactions: transactions.map(chainTransactionView) };
    },
  );

  const ListQuery = Type.Object(
    {
      user_id: Type.Optional(UserIdParam),
      tenant_id: Type.Optional(Type.String({ maxLength: 64, description: 'admin token only: one tenant (every tenant when absent); a key lists its own tenant' })),
      status: Type.Optional(OrderStatusSchema),
      receive_address: Type.Optional(Type.String({ maxLength: 64 })),
      limit: Type.Optional(Limit),
      cursor: Type.Optional(OrderId),
    },
    { additionalProperties: false },
  );

  app.get(
    '/api/orders',
    {
      preHandler: ctx.guards.client,
      schema: {
        summary: 'List orders, newest first',
        description: 'Keyset pagination: pass the next_cursor of one page as cursor to get the next; null means no more.',
        tags: ['orders'],
        querystring: ListQuery,
        response: { 200: OrderPageBody, '4xx': ErrorBody },
      },
    },
    async (request) => {
      const q = request.query;
      const limit = q.limit ?? 50;
      if (q.receive_address !== undefined && !isTronAddress(q.receive_address)) {
        throw invalid('invalid_address', 'receive_address is not a TRON address (base58check, 34 characters, starting with T)');
      }
      const t = tenantOf(request);
      // The admin token lists every tenant unless it names one; a key, its own tenant only.
      const tenantId = t.admin && q.tenant_id === undefined ? undefined : tenantIn(request, q.tenant_id);
      let userRow: bigint | undefined;
      if (q.user_id !== undefined) {
        userRow = await userRowOf(ctx.db, tenantId ?? DEFAULT_TENANT, userIdOf(q.user_id), false);
        if (userRow === undefined) return { orders: [], next_cursor: null };
      }
      const rows = await listOrders(ctx.db, {
        userId: userRow,
        tenantId,
        status: q.status,
        receiveAddress: q.receive_address,
        beforeId: q.cursor,
        limit: limit + 1,
      });
      const page = rows.slice(0, limit);
      const owners = await ownersFor(ctx, page.map((o) => o.user_id));
      return { orders: page.map((o) => orderView(o, owners.get(o.user_id)!)), next_cursor: rows.length > limit ? page[page.length - 1]!.id : null };
    },
  );
}
