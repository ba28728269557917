import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createDatabase, startPostgres, type PostgresServer } from '../../scripts/services/postgres.js';
import { assertLedgerSound, startStack, startWorker } from '../support/stack.js';

/**
 * Two workers (each its own runner, sweeper and database connection) on one
 * database: their sweepers race for the same due orders all the time. Every
 * order still ends with exactly one delegation and one undelegation.
 */
async function raceTwoWorkers(databaseUrl: string | undefined) {
  const s = await startStack({ ...(databaseUrl === undefined ? {} : { databaseUrl }), env: { SWEEP_INTERVAL_MS: '50' } });
  const other = startWorker(s, 'second-worker');
  try {
    await s.deposit(1, 1_000_000_000n);
    const ids: string[] = [];
    const actors = async () => (await s.db.kysely.selectFrom('order_events').select('actor').distinct().execute()).map((a) => a.actor);
    // The first worker is woken in-process, the second only by its sweeper: which one wins a due
    // order is a race. Rounds of twelve until both have won some (three at most), so the race is
    // really run; then every order must have landed exactly once.
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 12; i++) {
        ids.push((await s.order({ user_id: 1, energy_amount: 32000 + ids.length, duration: '2s', receive_address: s.customer(ids.length % 3) })).id);
      }
      for (const id of ids) await s.waitFor(id, (o) => o.status === 'completed', 60_000);
      const who = await actors();
      if (who.includes('second-worker') && who.includes('test-worker')) break;
    }
    const landed = (type: string) => s.chainTxs(type).then((txs) => txs.filter((t) => t.status === 'included'));
    assert.equal((await landed('DelegateResourceContract')).length, ids.length);
    assert.equal((await landed('UnDelegateResourceContract')).length, ids.length);
    const who = await actors();
    assert.ok(who.includes('second-worker') && who.includes('test-worker'), 'both workers did some of the work');
    await assertLedgerSound(s);
  } finally {
    await other.close();
    await s.close();
  }
}

describe('two workers on one database', () => {
  let pg: PostgresServer;
  before(async () => {
    pg = await startPostgres();
  });
  after(() => pg.stop());

  test('[sqlite] every order delegated and reclaimed exactly once', () => raceTwoWorkers(undefined));
  test('[postgres] every order delegated and reclaimed exactly once', async () => raceTwoWorkers(await createDatabase(pg.url)));
});
