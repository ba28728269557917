import type pgModule from 'pg';
import { POSTGRES_STATEMENT_NAMES } from './prepared.js';

/**
 * How each of the pool's connections sends what Kysely asks of it. Two
 * changes to the driver's defaults, both about round trips (on two shared
 * cores, each one wakes a backend and costs both sides a system call):
 *
 * - The statements of prepared.ts go under their name, so each connection
 *   parses and plans them once. Kysely sends every query as unnamed text,
 *   which PostgreSQL would parse and plan each time.
 * - A transaction's BEGIN waits for the transaction's first statement and goes
 *   out in the same write, ahead of it, answered with it: one round trip fewer
 *   per transaction. Nothing can tell the difference: under READ COMMITTED each
 *   statement takes its own snapshot, and a BEGIN takes none. A transaction
 *   that sent nothing commits or rolls back without a word to the server.
 */
export function adaptPostgresClient(pg: typeof pgModule, client: pgModule.PoolClient): void {
  const send = client.query.bind(client) as (...args: unknown[]) => unknown;
  const QueryAfterBegin = queryAfterBeginClass(pg);
  let beginPending = false;
  (client as { query: unknown }).query = (text: unknown, values?: unknown, ...rest: unknown[]) => {
    // Kysely passes text and an array of values, and awaits the promise; anything else goes through as it came.
    if (typeof text !== 'string' || rest.length > 0 || (values !== undefined && !Array.isArray(values))) return send(text, values, ...rest);
    const command = values === undefined || values.length === 0 ? text.toLowerCase() : undefined;
    if (command === 'begin') {
      if (beginPending) return Promise.reject(new Error('a transaction is already open on this connection'));
      beginPending = true;
      return Promise.resolve(emptyResult('BEGIN'));
    }
    if (beginPending && (command === 'commit' || command === 'rollback')) {
      beginPending = false;
      return Promise.resolve(emptyResult(command === 'commit' ? 'COMMIT' : 'ROLLBACK'));
    }
    const name = POSTGRES_STATEMENT_NAMES.get(text);
    const config = name === undefined ? { text, values } : { name, text, values };
    if (!beginPending) return send(config);
    // The transaction is open from here, whatever the statement's fate: its COMMIT or ROLLBACK goes to the server.
    beginPending = false;
    const { parsedStatements } = (client as unknown as { connection: Wire }).connection;
    // pg marks the query's statement as prepared at any parse completion while it runs, the BEGIN's too: with
    // both parsed in one go, a statement whose own parse then failed would pass for prepared on this
    // connection, and fail for good. So the first BEGIN of a connection goes with a statement that needs no
    // parse (unnamed, or prepared already); before one that does, it goes alone.
    if (parsedStatements[BEGIN_STATEMENT] === undefined && name !== undefined && parsedStatements[name] === undefined) {
      return (send('begin') as Promise<unknown>).then(() => send(config));
    }
    return new Promise((resolve, reject) => {
      send(new QueryAfterBegin(config, undefined, (err: Error | null, result: unknown) => (err ? reject(err) : resolve(result))));
    });
  };
}

/** What pg answers for a statement with no rows, as Kysely reads it. */
const emptyResult = (command: string) => ({ command, rowCount: null, oid: null, rows: [], fields: [] });

/** The name BEGIN is prepared under, once per connection. */
const BEGIN_STATEMENT = 'joule_begin';

/** pg's connection, as much of it as a query writes to (pg types it as internal). */
interface Wire {
  parsedStatements: Record<string, string>;
  parse(query: { text: string; name: string }): void;
  bind(config: { statement: string }): void;
  execute(config: Record<string, never>): void;
}

/**
 * A pg Query that writes BEGIN (parse once, bind, execute) ahead of its own
 * messages, before the one Sync that ends them: the server runs both and
 * answers once ready. The BEGIN's completion is the first one to arrive and
 * is not the query's result. Always sent with the extended protocol, which is
 * what lets the two share a Sync (pg sends a query without values as a
 * simple Query message otherwise, which would end with a Sync of its own).
 */
function queryAfterBeginClass(pg: typeof pgModule) {
  const Query = (pg as unknown as { Query: new (...args: unknown[]) => object }).Query;
  return class QueryAfterBegin extends Query {
    #beginAnswered = false;

    requiresPreparation(): boolean {
      return true;
    }

    prepare(connection: Wire): void {
      if (connection.parsedStatements[BEGIN_STATEMENT] === undefined) {
        connection.parse({ text: 'begin', name: BEGIN_STATEMENT });
        connection.parsedStatements[BEGIN_STATEMENT] = 'begin';
      }
      connection.bind({ statement: BEGIN_STATEMENT });
      connection.execute({});
      (Query.prototype as { prepare(c: Wire): void }).prepare.call(this, connection);
    }

    handleCommandComplete(message: unknown, connection: Wire): void {
      if (!this.#beginAnswered) {
        this.#beginAnswered = true;
        return;
      }
      (Query.prototype as { handleCommandComplete(m: unknown, c: Wire): void }).handleCommandComplete.call(this, message, connection);
    }
  };
}
