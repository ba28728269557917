// A connection asks the server to describe a kept statement's columns at its
// first run only: later runs get their rows without the description (1,283
// bytes for an order's 41 columns), and read them the same. Counted in bytes
// the connection reads, which the wire protocol fixes exactly.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import type pgModule from 'pg';
import { createDatabase, startPostgres, type PostgresServer } from '../../scripts/services/postgres.js';
import { connect, postgresTypes, type Db } from '../../src/db/connect.js';
import { migrate } from '../../src/db/migrate.js';
import { placePaidOrder } from '../../src/db/order-placement.js';
import { ORDER_COLUMNS, type Order } from '../../src/db/orders.js';
import { adaptPostgresClient } from '../../src/db/postgres-client.js';
import { prepared } from '../../src/db/prepared.js';
import { PRICE } from '../support/placements.js';
import { paidOrder } from '../support/seed.js';

const pg = createRequire(import.meta.url)('pg') as typeof pgModule;

// Written for PostgreSQL as it is sent ($1), so the test sends the very text that is kept under a name.
const ORDERS_OF_USER = `select ${ORDER_COLUMNS} from orders where user_id = $1 order by id`;
const TOUCH_ORDERS_OF_USER = 'update orders set updated_at = updated_at where user_id = $1';
prepared(ORDERS_OF_USER, { only: 'postgres' });
prepared(TOUCH_ORDERS_OF_USER, { only: 'postgres' });

/** The bytes of a RowDescription message naming these columns: type, length and count, then per column its name, its NUL and 18 bytes. */
const descriptionBytes = (fields: ReadonlyArray<{ name: string }>) => 1 + 4 + 2 + fields.reduce((n, f) => n + Buffer.byteLength(f.name) + 1 + 18, 0);
/** NoData: the answer to a Describe of a statement that returns no rows. */
const NO_DATA_BYTES = 5;
/** ParseComplete: a statement's first run on a connection parses it. */
const PARSE_COMPLETE_BYTES = 5;

interface Counted {
  result: pgModule.QueryResult<Order>;
  bytes: number;
}

describe('kept statements described once per connection', () => {
  let server: PostgresServer;
  let db: Db;
  let client: pgModule.Client;
  let userId: bigint;
  /** Column parsers looked up by the connection's reads so far (pg builds a row reader from a description with them). */
  let parserLookups = 0;
  before(async () => {
    server = await startPostgres();
    const url = await createDatabase(server.url);
    db = connect(url);
    await migrate(db);
    await sql`insert into users (id, balance_sun, created_at, updated_at) values (1, ${10n * PRICE}, 0, 0)`.execute(db.kysely);
    for (let i = 0; i < 2; i++) await placePaidOrder(db, paidOrder(1), 'api');
    userId = 1n;
    // A connection as the pool makes them (connect.ts): int8 as bigint, and adapted; its parser look-ups counted.
    const types = postgresTypes(pg);
    const counted: typeof types = {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
        parserLookups++;
        return types.getTypeParser(oid, format);
      }) as typeof types.getTypeParser,
    };
    client = new pg.Client({ connectionString: url, types: counted });
    await client.connect();
    adaptPostgresClient(pg, client as unknown as pgModule.PoolClient);
  });
  after(async () => {
    await client?.end();
    await db?.close();
    await server?.stop();
  });

  /** Runs a statement as Kysely sends it (text and values); its result and the bytes the connection read for it. */
  const runCounted = async (text: string, values: unknown[]): Promise<Counted> => {
    const stream = (client as unknown as { connection: { stream: { bytesRead: number } } }).connection.stream;
    const before = stream.bytesRead;
    const result = (await client.query(text, values)) as unknown as pgModule.QueryResult<Order>;
    return { result, bytes: stream.bytesRead - before };
  };

  test('when a kept statement runs again on its connection, then it reads the same rows without their description', async () => {
    const runs: Counted[] = [];
    for (let i = 0; i < 5; i++) runs.push(await runCounted(ORDERS_OF_USER, [userId]));
    const [first, ...later] = runs;
    assert.equal(first!.result.rows.length, 2);
    for (const run of later) assert.deepEqual(run.result.rows, first!.result.rows);
    assert.equal(typeof first!.result.rows[0]!.price_sun, 'bigint', 'int8 columns still read as bigint');
    assert.equal(later[0]!.result.rows[0]!.price_sun, PRICE);
    const description = descriptionBytes(first!.result.fields);
    assert.ok(description > 1_000, `an order's columns take ${description} bytes to describe`);
    assert.deepEqual(
      later.map((run) => first!.bytes - run.bytes),
      later.map(() => PARSE_COMPLETE_BYTES + description),
      'each later run reads exactly the parse and the description less than the first',
    );
    assert.deepEqual(
      later.map((run) => run.result.fields.map((f) => f.name)),
      later.map(() => first!.result.fields.map((f) => f.name)),
    );
  });

  test('when a kept statement runs again on its connection, then its rows are read with the parsers built at its first run', async () => {
    const first = (await client.query(ORDERS_OF_USER, [userId])) as unknown as pgModule.QueryResult<Order>;
    const before = parserLookups;
    const later: Array<pgModule.QueryResult<Order>> = [];
    for (let i = 0; i < 3; i++) later.push((await client.query(ORDERS_OF_USER, [userId])) as unknown as pgModule.QueryResult<Order>);
    assert.equal(parserLookups - before, 0, 'later runs look up no parser');
    for (const run of later) assert.deepEqual(run.rows, first.rows);
    assert.equal(later[2]!.rows[0]!.price_sun, PRICE, 'int8 still read as bigint');
    assert.equal(later[2]!.rows[0]!.delegate_tx_status, null);
    // The same text with a space more is not kept: it is described at every run, and its parsers looked up each time.
    const lookedUp = parserLookups;
    const unkept = await client.query(`${ORDERS_OF_USER} `, [userId]);
    assert.equal(parserLookups - lookedUp, unkept.fields.length);
    assert.deepEqual(unkept.rows, first.rows);
  });

  test('when a run of a kept statement fails, then the next run is described again and reads its rows right', async () => {
    const described = await runCounted(ORDERS_OF_USER, [userId]);
    await assert.rejects(client.query(ORDERS_OF_USER, ['not a number']), /invalid input syntax for type bigint/);
    // pg rejects at the error, before the ReadyForQuery after it is read (6 bytes, at times counted in
    // the next run): a statement of no name runs once that is in, so the next count starts clean.
    await client.query('select 1');
    const again = await runCounted(ORDERS_OF_USER, [userId]);
    const after = await runCounted(ORDERS_OF_USER, [userId]);
    assert.deepEqual(again.result.rows, described.result.rows);
    assert.deepEqual(after.result.rows, described.result.rows);
    assert.equal(again.bytes - after.bytes, descriptionBytes(described.result.fields), 'described again after the failure, then not');
  });

  test('when a kept statement returns no rows, then later runs skip the NoData answer and still count what they changed', async () => {
    const runs: Counted[] = [];
    for (let i = 0; i < 3; i++) runs.push(await runCounted(TOUCH_ORDERS_OF_USER, [userId]));
    assert.deepEqual(
      runs.map((r) => r.result.rowCount),
      [2, 2, 2],
    );
    assert.deepEqual(
      runs.slice(1).map((r) => runs[0]!.bytes - r.bytes),
      [PARSE_COMPLETE_BYTES + NO_DATA_BYTES, PARSE_COMPLETE_BYTES + NO_DATA_BYTES],
    );
  });
});
