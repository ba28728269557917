// A process keeps a database key's answer for a few seconds, and forgets it
// at once when it revokes the key, rotates it or changes its limit. A look-up
// under way at that moment read the key as it was: its answer stands for its
// own request, but must not be kept, or the revoked key would work on in the
// very process that revoked it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import { createGuards } from '../../src/api/auth.js';
import { connect } from '../../src/db/connect.js';
import { revokeApiKey } from '../../src/db/tenants.js';
import { ADMIN_TOKEN, createTestApp } from '../support/app.js';

/** Holds the answer of every read of api_keys until `release`: the read itself has happened. */
class HeldKeyReads implements KyselyPlugin {
  private readonly reads = new WeakSet<object>();
  private opened!: () => void;
  private gate = new Promise<void>((resolve) => (this.opened = resolve));
  held = 0;

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    if (args.node.kind === 'SelectQueryNode' && JSON.stringify(args.node.from).includes('"api_keys"')) this.reads.add(args.queryId);
    return args.node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    if (this.reads.has(args.queryId)) {
      this.held++;
      await this.gate;
    }
    return args.result;
  }

  release(): void {
    this.opened();
  }
}

const asking = (key: string) => ({ headers: { authorization: `Bearer ${key}` } }) as unknown as FastifyRequest;
const reply = {} as FastifyReply;

test('a key revoked while a look-up of it is under way is refused at the next request in the process that revoked it', async () => {
  const t = await createTestApp();
  try {
    const issued = await t.request({ method: 'POST', url: '/api/admin/api-keys', headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, payload: { name: 'shop' } });
    assert.equal(issued.status, 201);
    const held = new HeldKeyReads();
    const guards = createGuards(ADMIN_TOKEN, { apiKeys: [], clientAuth: 'keys' }, { ...t.db, kysely: t.db.kysely.withPlugin(held) });

    // A request's look-up reads the key, live; its answer is held back.
    const first = guards.client(asking(issued.body.key), reply);
    while (held.held === 0) await new Promise((r) => setTimeout(r, 5));
    // Meanwhile the admin revokes it (on a connection of its own: the held read keeps this one), and this process forgets the key.
    const admin = connect(t.config.databaseUrl);
    try {
      assert.ok(await revokeApiKey(admin, issued.body.id));
    } finally {
      await admin.close();
    }
    guards.forget(issued.body.id);
    held.release();
    await first; // It read the key before the revoke: let through.

    await assert.rejects(guards.client(asking(issued.body.key), reply), (err: any) => err.status === 401 && err.code === 'unauthorized' && /invalid API key/.test(err.message));
    assert.equal(held.held, 2, 'looked up again, not answered from what the earlier look-up read');
  } finally {
    await t.close();
  }
});
