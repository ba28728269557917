import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export type TransactionWork<T> = (trx: Kysely<Database>) => Promise<T>;

interface Pending {
  work: TransactionWork<unknown>;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

/**
 * Group commit for SQLite. SQLite has one writer, and on this kind of disk
 * the commit (appending the touched pages to the WAL; the checkpoints that
 * follow run on a thread of their own, background-checkpoints.ts) costs
 * several times the statements themselves. So the
 * transactions that arrive while one batch runs are run together in the next
 * batch: one BEGIN ... COMMIT, each unit of work inside its own SAVEPOINT.
 * A unit that throws is rolled back to its savepoint alone, so it still
 * changes nothing, and the others are unaffected. Every caller learns its
 * outcome only after the batch has committed, so a caller never sees a
 * success that is not yet durable, nor re-reads state that is not yet visible.
 *
 * `exec` runs a statement on the connection the batch's transaction holds:
 * the savepoints go straight to SQLite, three of them per unit.
 */
export function createGroupCommit(db: Kysely<Database>, exec: (statement: string) => void): <T>(work: TransactionWork<T>) => Promise<T> {
  let queue: Pending[] = [];
  let running = false;

  async function runBatch(batch: Pending[]): Promise<void> {
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; err: unknown }> = [];
    let trx;
    try {
      trx = await db.startTransaction().execute();
      if (batch.length === 1) {
        // Alone in its batch, a unit is the whole transaction: no savepoint; if it throws, nothing commits.
        try {
          outcomes.push({ ok: true, value: await batch[0]!.work(trx) });
          await trx.commit().execute();
        } catch (err) {
          await trx.rollback().execute();
          outcomes.push({ ok: false, err });
        }
      } else {
        for (const item of batch) {
          exec('savepoint unit');
          try {
            outcomes.push({ ok: true, value: await item.work(trx) });
          } catch (err) {
            exec('rollback to unit');
            outcomes.push({ ok: false, err });
          }
          exec('release unit');
        }
        await trx.commit().execute();
      }
    } catch (err) {
      // The batch itself failed (BEGIN, a savepoint or COMMIT): nothing of it was written.
      if (trx) await trx.rollback().execute().catch(() => {});
      for (const item of batch) item.reject(err);
      return;
    }
    batch.forEach((item, i) => {
      const o = outcomes[i]!;
      if (o.ok) item.resolve(o.value);
      else item.reject(o.err);
    });
  }

  async function drain(): Promise<void> {
    running = true;
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      await runBatch(batch);
    }
    running = false;
  }

  return <T>(work: TransactionWork<T>) =>
    new Promise<T>((resolve, reject) => {
      queue.push({ work, resolve: resolve as (v: unknown) => void, reject });
      // Wait one turn of the event loop so that requests parsed together commit together.
      if (!running) {
        running = true;
        setImmediate(() => void drain());
      }
    });
}
