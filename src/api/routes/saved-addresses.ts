import { Type, type Static } from '@sinclair/typebox';
import { deleteSavedAddress, listSavedAddresses, wantFreshReads, type SavedAddressWithEnergy } from '../../db/saved-addresses.js';
import { isTronAddress } from '../../domain/address.js';
import { invalid, notFound } from '../../domain/errors.js';
import { MAX_SAVED_ADDRESSES, saveAddress } from '../../use-cases/saved-addresses.js';
import type { ApiContext } from '../context.js';
import { ErrorBody, Int64, Nullable, UserIdParam } from '../schemas.js';
import type { TypedApp } from '../typed-app.js';
import { userIdOf } from '../user-id.js';
import { userRowFor } from '../tenant-scope.js';
import { iso } from '../views.js';

/**
 * A saved address's energy is read again once its last read is this many
 * block intervals old and someone looks at it (a minute on mainnet): a list
 * costs no chain request, and an address nobody looks at costs none either.
 */
const STALE_AFTER_POLLS = 20;


const Energy = Type.Object({
  activated: Type.Boolean({ description: 'false: the account was never activated (it has never received TRX), so it cannot receive energy' }),
  available: Type.Integer({ description: 'energy it can spend now: limit − used' }),
  limit: Type.Integer({ description: 'its energy limit (its own stake and what is delegated to it)' }),
  used: Type.Integer({ description: 'used, as recovered over 24 h by the chain at the read' }),
  observed_at: Type.String({ format: 'date-time', description: 'when it was read' }),
});

const SavedAddressBody = Type.Object(
  {
    address: Type.String(),
    label: Type.String(),
    created_at: Type.String({ format: 'date-time' }),
    energy: Nullable(Energy),
    energy_error: Nullable(Type.String({ description: "why the last read failed (the figures are the read before it)" })),
  },
  { $id: 'SavedAddress' },
);

const SavedAddressListBody = Type.Object({
  user_id: Int64(),
  limit: Type.Integer({ description: 'how many a user may keep' }),
  addresses: Type.Array(SavedAddressBody),
});

const Label = Type.String({ minLength: 1, maxLength: 64, pattern: '^[^\\x00-\\x1f\\x7f]+$', description: 'your name for it, 1–64 characters' });
const Params = Type.Object({ user_id: UserIdParam });
const AddressParams = Type.Object({ user_id: UserIdParam, address: Type.String({ maxLength: 64 }) });

function savedView(s: SavedAddressWithEnergy): Static<typeof SavedAddressBody> {
  const read = s.observed_at !== null && s.energy_limit !== null && s.energy_used !== null;
  return {
    address: s.address,
    label: s.label,
    created_at: iso(s.created_at),
    energy: read
      ? {
          activated: s.activated === 1n,
          available: Number(s.energy_limit! > s.energy_used! ? s.energy_limit! - s.energy_used! : 0n),
          limit: Number(s.energy_limit),
          used: Number(s.energy_used),
          observed_at: iso(s.observed_at!),
        }
      : null,
    energy_error: s.error,
  };
}

function addressOf(raw: string): string {
  if (!isTronAddress(raw)) throw invalid('invalid_address', 'address is not a TRON address (base58check, 34 characters, starting with T)');
  return raw;
}

/** A user's saved receivers ("wallets"), each with its energy as a worker last read it. */
export function savedAddressRoutes(app: TypedApp, ctx: ApiContext): void {
  const staleMs = STALE_AFTER_POLLS * ctx.config.engine.confirmPollMs;

  app.get(
    '/api/users/:user_id/addresses',
    {
      preHandler: ctx.guards.client,
      schema: {
        summary: "A user's saved addresses, each with its energy",
        description:
          'The energy is the latest read a worker made (null until the first), not a chain request per call: listing asks for a new read once the last is a minute old (20 block intervals).',
        tags: ['users'],
        params: Params,
        response: { 200: SavedAddressListBody, '4xx': ErrorBody },
      },
    },
    async (request) => {
      const userId = userIdOf(request.params.user_id);
      const row = await userRowFor(ctx, request, userId, false);
      if (row === undefined) return { user_id: userId, limit: MAX_SAVED_ADDRESSES, addresses: [] };
      const rows = await listSavedAddresses(ctx.db, row);
      await wantFreshReads(ctx.db, rows.map((r) => r.address), staleMs);
      return { user_id: userId, limit: MAX_SAVED_ADDRESSES, addresses: rows.map(savedView) };
    },
  );

  app.post(
    '/api/users/:user_id/addresses',
    {
      preHandler: ctx.guards.client,
      schema: {
        summary: 'Save an address under a label (201), or give a saved one a new label (200)',
        description: `At most ${MAX_SAVED_ADDRESSES} per user (409 too_many_addresses). Its energy is read by a worker shortly after.`,
        tags: ['users'],
        params: Params,
        body: Type.Object({ address: Type.String({ maxLength: 64, description: 'TRON address (base58check)' }), label: Label }, { additionalProperties: false }),
        response: { 200: SavedAddressBody, 201: SavedAddressBody, '4xx': ErrorBody },
      },
    },
    async (request, reply) => {
      const userId = userIdOf(request.params.user_id);
      const address = addressOf(request.body.address);
      const row = (await userRowFor(ctx, request, userId, true))!;
      const { created } = await saveAddress(ctx.db, row, address, request.body.label);
      const saved = (await listSavedAddresses(ctx.db, row)).find((s) => s.address === address)!;
      return reply.code(created ? 201 : 200).send(savedView(saved));
    },
  );

  app.delete(
    '/api/users/:user_id/addresses/:address',
    {
      preHandler: ctx.guards.client,
      schema: {
        summary: 'Forget a saved address; answers what was forgotten',
        tags: ['users'],
        params: AddressParams,
        response: { 200: SavedAddressBody, '4xx': ErrorBody },
      },
    },
    async (request) => {
      const userId = userIdOf(request.params.user_id);
      const address = addressOf(request.params.address);
      const row = await userRowFor(ctx, request, userId, false);
      const saved = row === undefined ? undefined : (await listSavedAddresses(ctx.db, row)).find((s) => s.address === address);
      if (row === undefined || saved === undefined || !(await ctx.db.transaction((tx) => deleteSavedAddress(tx, row, address)))) throw notFound('saved address');
      return savedView(saved);
    },
  );
}
