import type pgModule from 'pg';
import { POSTGRES_SENT_WITH_NEXT, POSTGRES_STATEMENT_NAMES } from './prepared.js';

/**
 * How each of the pool's connections sends what Kysely asks of it. Three
 * changes to the driver's defaults, all about round trips (on two shared
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
 * - So does a lock statement inside a transaction (preparedLock): answered at
 *   once, sent ahead of the transaction's next statement. The server runs
 *   them in order, so that statement starts, and takes its snapshot, with
 *   the lock held; a transaction that ends before another statement never
 *   needed the lock, and sends neither.
 */
export function adaptPostgresClient(pg: typeof pgModule, client: pgModule.PoolClient): void {
  const send = client.query.bind(client) as (...args: unknown[]) => unknown;
  const QueryAfter = queryAfterClass(pg);
  let open = false;
  /** What goes out ahead of the open transaction's next statement: its BEGIN until sent, then any lock. */
  let ahead: Ahead[] = [];
  (client as { query: unknown }).query = (text: unknown, values?: unknown, ...rest: unknown[]) => {
    // Kysely passes text and an array of values, and awaits the promise; anything else goes through as it came.
    if (typeof text !== 'string' || rest.length > 0 || (values !== undefined && !Array.isArray(values))) return send(text, values, ...rest);
    const command = values === undefined || values.length === 0 ? text.toLowerCase() : undefined;
    if (command === 'begin') {
      if (open) return Promise.reject(new Error('a transaction is already open on this connection'));
      open = true;
      ahead = [BEGIN];
      return Promise.resolve(emptyResult('BEGIN'));
    }
    if (open && (command === 'commit' || command === 'rollback')) {
      const begun = !ahead.includes(BEGIN);
      open = false;
      ahead = [];
      if (!begun) return Promise.resolve(emptyResult(command === 'commit' ? 'COMMIT' : 'ROLLBACK'));
      return send(text);
    }
    const name = POSTGRES_STATEMENT_NAMES.get(text);
    if (open && name !== undefined && POSTGRES_SENT_WITH_NEXT.has(text)) {
      ahead.push({ name, text, values: (values ?? []) as Ahead['values'] });
      return Promise.resolve(emptyResult('SELECT'));
    }
    const config = name === undefined ? { text, values } : { name, text, values };
    if (ahead.length === 0) return send(config);
    // The transaction is open from here, whatever the statement's fate: its COMMIT or ROLLBACK goes to the server.
    const before = ahead;
    ahead = [];
    const { parsedStatements } = (client as unknown as { connection: Wire }).connection;
    // pg marks the query's statement as prepared at any parse completion while it runs, those of the
    // statements ahead too: with all parsed in one go, a statement whose own parse then failed would pass
    // for prepared on this connection, and fail for good. So before a statement that needs a parse, the
    // statements ahead that need one too (a connection's first BEGIN, its first lock) go alone, in turn.
    if (name !== undefined && parsedStatements[name] === undefined && before.some((a) => parsedStatements[a.name] === undefined)) {
      return before.reduce<Promise<unknown>>((sent, a) => sent.then(() => send(a === BEGIN ? 'begin' : a)), Promise.resolve()).then(() => send(config));
    }
    return new Promise((resolve, reject) => {
      send(new QueryAfter(before, config, (err: Error | null, result: unknown) => (err ? reject(err) : resolve(result))));
    });
  };
}

/** What pg answers for a statement with no rows, as Kysely reads it. */
const emptyResult = (command: string) => ({ command, rowCount: null, oid: null, rows: [], fields: [] });

/** A statement sent ahead of another, its answer not read: a named statement that cannot fail to parse. */
interface Ahead {
  name: string;
  text: string;
  values: ReadonlyArray<string | number | bigint | null>;
}

/** BEGIN, prepared once per connection under this name. */
const BEGIN: Ahead = { name: 'joule_begin', text: 'begin', values: [] };

/** pg's connection, as much of it as a query writes to (pg types it as internal). */
interface Wire {
  parsedStatements: Record<string, string>;
  parse(query: { text: string; name: string }): void;
  bind(config: { statement: string; values: Array<string | null> }): void;
  execute(config: Record<string, never>): void;
}

/**
 * A pg Query that writes other statements (parse once, bind, execute) ahead
 * of its own messages, before the one Sync that ends them all: the server
 * runs them in order and answers once ready. Their rows and completions come
 * first and are not the query's result; an error in any of them is its
 * error, and the server skips the rest. Always sent with the extended
 * protocol, which is what lets them share a Sync (pg sends a query without
 * values as a simple Query message otherwise, which would end with a Sync of
 * its own).
 */
function queryAfterClass(pg: typeof pgModule) {
  const Query = (pg as unknown as { Query: new (...args: unknown[]) => object }).Query;
  const base = Query.prototype as {
    prepare(c: Wire): void;
    handleDataRow(m: unknown): void;
    handleCommandComplete(m: unknown, c: Wire): void;
  };
  return class QueryAfter extends Query {
    readonly #ahead: readonly Ahead[];
    #unanswered: number;

    constructor(ahead: readonly Ahead[], config: unknown, callback: unknown) {
      super(config, undefined, callback);
      this.#ahead = ahead;
      this.#unanswered = ahead.length;
    }

    requiresPreparation(): boolean {
      return true;
    }

    prepare(connection: Wire): void {
      for (const a of this.#ahead) {
        if (connection.parsedStatements[a.name] === undefined) {
          connection.parse({ text: a.text, name: a.name });
          connection.parsedStatements[a.name] = a.text;
        }
        connection.bind({ statement: a.name, values: a.values.map((v) => (v === null ? null : String(v))) });
        connection.execute({});
      }
      base.prepare.call(this, connection);
    }

    handleDataRow(message: unknown): void {
      if (this.#unanswered === 0) base.handleDataRow.call(this, message);
    }

    handleCommandComplete(message: unknown, connection: Wire): void {
      if (this.#unanswered > 0) this.#unanswered--;
      else base.handleCommandComplete.call(this, message, connection);
    }
  };
}
