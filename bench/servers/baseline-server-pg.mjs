// The PostgreSQL baseline the order benchmark compares against: a bare
// Fastify route doing one transaction per request (BEGIN, debit, insert,
// COMMIT) with the plain `pg` driver and a pool of the size Joule uses (10),
// no validation, no pricing, no idempotency, no events, no logging. Plain
// JavaScript run by plain `node`. DATABASE_URL: an empty database (the
// script makes its two tables and BENCH_USERS funded users); PORT to listen on.
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
await pool.query(`
  create table users (id bigint primary key, balance_sun bigint not null);
  create table orders (id text primary key, user_id bigint not null, energy_amount bigint not null,
    duration text not null, receive_address text not null, price_sun bigint not null, created_at bigint not null);`);
await pool.query('insert into users select g, 1000000000000 from generate_series(1, $1::int) g', [Number(process.env.BENCH_USERS ?? 100_000)]);

async function place(b) {
  const price = b.energy_amount * 65;
  const client = await pool.connect();
  try {
    await client.query('begin');
    const debit = await client.query('update users set balance_sun = balance_sun - $1 where id = $2 and balance_sun >= $1', [price, b.user_id]);
    if (debit.rowCount !== 1) throw new Error('insufficient');
    const id = randomUUID();
    await client.query('insert into orders values ($1, $2, $3, $4, $5, $6, $7)', [id, b.user_id, b.energy_amount, b.duration, b.receive_address, price, Date.now()]);
    await client.query('commit');
    return { id, status: 'pending', price_sun: String(price) };
  } catch (err) {
    await client.query('rollback');
    throw err;
  } finally {
    client.release();
  }
}

const app = Fastify();
app.post('/api/orders', async (req, reply) => reply.code(201).send(await place(req.body)));
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
process.stdout.write(`${JSON.stringify({ port: app.server.address().port })}\n`);
process.on('SIGTERM', () => void app.close().then(() => pool.end()).then(() => process.exit(0)));
