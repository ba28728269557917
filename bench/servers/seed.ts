import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/db/schema.js';

/** Users 1..n, each with 1,000,000 TRX and the matching deposit entry, in one statement each. */
export async function seedUsers(db: Kysely<Database>, n: number): Promise<void> {
  const balance = 1_000_000_000_000n;
  await sql`
    with recursive ids(id) as (select 1 union all select id + 1 from ids where id < ${n})
    insert into users (id, balance_sun, created_at, updated_at) select id, ${balance}, 0, 0 from ids`.execute(db);
  await sql`
    insert into ledger_entries (user_id, kind, amount_sun, balance_after_sun, reference, created_at)
    select id, 'deposit', balance_sun, balance_sun, 'seed-' || id, 0 from users`.execute(db);
}
