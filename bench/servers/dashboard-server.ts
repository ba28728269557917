// Joule's real HTTP app on a SQLite file holding a busy operator's last hour:
// BENCH_ORDERS orders (default 200,000) spread over it in every status, their
// users, two pool snapshots and the journal rows of the orders in flight.
// Prints {"port":N} on its first stdout line.
import { sql } from 'kysely';
import { benchJoule, serve } from '../lib/bench-joule.js';
import { seedUsers } from './seed.js';

const POOLS = ['THG4Zgojwnj5wAGUaRpdDB31sHXdA87HKD', 'TFxfd56AKzXh4hZfeve52MTo894QNdF5TB'];

const orders = Number(process.env.BENCH_ORDERS ?? 200_000);
const joule = await benchJoule({ JOULE_ROLE: 'api', LOG_LEVEL: 'warn' });
const { db } = joule;
await seedUsers(db.kysely, 10_000);
const now = BigInt(Date.now());
// Order i was created (hour * i / n) ago; 1 in 100 is still in flight, 1 in 50 failed, the rest went active ~2 s later.
await sql`
  with recursive ids(i) as (select 1 union all select i + 1 from ids where i < ${orders})
  insert into orders (id, user_id, status, energy_amount, duration, duration_seconds, receive_address, price_sun,
                      rate_sun_per_energy_day, request_hash, pool_address, delegated_sun, created_at, updated_at,
                      delegated_at, failed_at, expires_at)
  select printf('%08x-0000-7000-8000-%012x', ${orders} - i, i), 1 + i % 10000,
         case when i % 100 = 0 then 'delegating' when i % 50 = 0 then 'failed' when i % 3 = 0 then 'completed' else 'active' end,
         32000, '1h', 3600, 'TS8yE1SMGroe8V2ZWqm1atZqpKAeLui1EX', 2080000, 65, 'bench',
         case when i % 50 = 0 and i % 100 <> 0 then null else ${POOLS[0]} end, 3400000000,
         ${now} - i * 3600000 / ${orders}, ${now} - i * 3600000 / ${orders},
         case when i % 50 = 0 then null else ${now} - i * 3600000 / ${orders} + 2000 + i % 1500 end,
         case when i % 50 = 0 and i % 100 <> 0 then ${now} - i * 3600000 / ${orders} + 500 else null end,
         case when i % 50 = 0 then null else ${now} + 3600000 end
  from ids`.execute(db.kysely);
await sql`
  insert into chain_transactions (txid, order_id, kind, pool_address, receiver, amount_sun, signed_json, expiration, status, created_at, updated_at)
  select printf('%064x', rowid), id, 'delegate', pool_address, receive_address, delegated_sun, '{}', ${now} + 60000, 'broadcast', created_at, created_at
  from orders where status = 'delegating'`.execute(db.kysely);
for (const address of POOLS) {
  await db.kysely
    .insertInto('pool_snapshots')
    .values({
      address,
      staked_sun: 5_000_000_000_000n,
      delegated_sun: 1_000_000_000_000n,
      delegatable_sun: 4_000_000_000_000n,
      energy_limit: 46_000_000n,
      total_energy_weight: 19_250_000_000n,
      total_energy_limit: 180_000_000_000n,
      observed_at: now,
      error: null,
      updated_at: now,
    })
    .execute();
}
await serve(joule);
