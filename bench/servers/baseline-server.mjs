// The baseline the order benchmark compares against: a bare Fastify route
// doing one SQLite transaction (debit + insert) with raw better-sqlite3, no
// validation, no pricing, no idempotency, no events, no logging. Plain
// JavaScript run by plain `node` (no TypeScript loader), the same in every
// run: PORT to listen on, BENCH_USERS users funded.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import Fastify from 'fastify';

const dir = mkdtempSync(join(tmpdir(), 'joule-baseline-'));
const db = new Database(join(dir, 'base.db'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec(`
  create table users (id integer primary key, balance_sun integer not null);
  create table orders (id text primary key, user_id integer not null, energy_amount integer not null,
    duration text not null, receive_address text not null, price_sun integer not null, created_at integer not null);`);
const n = Number(process.env.BENCH_USERS ?? 100_000);
db.prepare(`with recursive ids(id) as (select 1 union all select id + 1 from ids where id < ?)
  insert into users select id, 1000000000000 from ids`).run(n);

const debit = db.prepare('update users set balance_sun = balance_sun - ? where id = ? and balance_sun >= ?');
const insert = db.prepare('insert into orders values (?, ?, ?, ?, ?, ?, ?)');
const place = db.transaction((b) => {
  const price = b.energy_amount * 65;
  if (debit.run(price, b.user_id, price).changes !== 1) throw new Error('insufficient');
  const id = randomUUID();
  insert.run(id, b.user_id, b.energy_amount, b.duration, b.receive_address, price, Date.now());
  return { id, status: 'pending', price_sun: String(price) };
});

const app = Fastify();
app.post('/api/orders', async (req, reply) => reply.code(201).send(place(req.body)));
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
process.stdout.write(`${JSON.stringify({ port: app.server.address().port })}\n`);
// The database goes with the process (after the measurement), as Joule's does in bench-joule.ts.
process.on('SIGTERM', () =>
  void app.close().then(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  }),
);
