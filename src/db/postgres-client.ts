import type pgModule from 'pg';
import { POSTGRES_ENDS_TRANSACTION, POSTGRES_SENT_WITH_NEXT, POSTGRES_STATEMENT_NAMES } from './prepared.js';

/**
 * How each of the pool's connections sends what Kysely asks of it. Four
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
 * - A statement that ends its transaction (prepared(…, { endsTransaction }))
 *   takes the transaction's COMMIT along, after it, in the same write: the
 *   COMMIT runs only if the statement succeeded (the server skips the rest
 *   of a write after an error), and the caller's own COMMIT then has nothing
 *   left to send. Any statement after it in the same transaction is refused.
 * - A named statement's columns are asked for once per connection. pg asks
 *   the server to describe them at every run (a Describe, answered with a
 *   RowDescription naming each column and its type: 1,283 bytes for an
 *   order's 41 columns), though a prepared statement's columns cannot change
 *   under it: PostgreSQL refuses to run it if they would ("cached plan must
 *   not change result type"). The first run's description is kept, and the
 *   later runs' rows are read with it, and with the column parsers pg built
 *   from it at that run: pg builds them again from every description it is
 *   handed, a parser looked up and a property set for each of an order's
 *   41 columns.
 */
export function adaptPostgresClient(pg: typeof pgModule, client: pgModule.PoolClient): void {
  const send = client.query.bind(client) as (...args: unknown[]) => unknown;
  const QueryWith = queryWithClass(pg, new Map());
  let open = false;
  /** What goes out ahead of the open transaction's next statement: its BEGIN until sent, then any lock. */
  let ahead: Ahead[] = [];
  /** The transaction's COMMIT went with its last statement: its own COMMIT or ROLLBACK sends nothing. */
  let ended = false;
  (client as { query: unknown }).query = (text: unknown, values?: unknown, ...rest: unknown[]) => {
    // Kysely passes text and an array of values, and awaits the promise; anything else goes through as it came.
    if (typeof text !== 'string' || rest.length > 0 || (values !== undefined && !Array.isArray(values))) return send(text, values, ...rest);
    const command = values === undefined || values.length === 0 ? text.toLowerCase() : undefined;
    if (command === 'begin') {
      if (open || ended) return Promise.reject(new Error('a transaction is already open on this connection'));
      open = true;
      ahead = [BEGIN];
      return Promise.resolve(emptyResult('BEGIN'));
    }
    if (ended && (command === 'commit' || command === 'rollback')) {
      // Committed already, with its last statement: which was written so that nothing after it needs undoing.
      ended = false;
      return Promise.resolve(emptyResult(command === 'commit' ? 'COMMIT' : 'ROLLBACK'));
    }
    if (ended) return Promise.reject(new Error('a statement after the one that ended its transaction (endsTransaction) would run outside it'));
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
    const commits = open && name !== undefined && POSTGRES_ENDS_TRANSACTION.has(text);
    if (name === undefined && ahead.length === 0) return send(config);
    // The transaction is open from here, whatever the statement's fate: its COMMIT or ROLLBACK goes to the server.
    const before = ahead;
    ahead = [];
    const sendWith = (aheadOfIt: readonly Ahead[]) =>
      new Promise((resolve, reject) => {
        send(
          new QueryWith(aheadOfIt, config, commits, (err: Error | null, result: unknown) => {
            if (err) return reject(err);
            // Not after a failure: then the transaction is still open on the server (or its COMMIT failed), and the ROLLBACK goes.
            if (commits) {
              open = false;
              ended = true;
            }
            resolve(result);
          }),
        );
      });
    const { parsedStatements } = (client as unknown as { connection: Wire }).connection;
    // pg marks the query's statement as prepared at any parse completion while it runs, those of the
    // statements ahead too: with all parsed in one go, a statement whose own parse then failed would pass
    // for prepared on this connection, and fail for good. So before a statement that needs a parse, the
    // statements ahead that need one too (a connection's first BEGIN, its first lock) go alone, in turn.
    if (name !== undefined && parsedStatements[name] === undefined && before.some((a) => parsedStatements[a.name] === undefined)) {
      return before.reduce<Promise<unknown>>((sent, a) => sent.then(() => send(a === BEGIN ? 'begin' : a)), Promise.resolve()).then(() => sendWith([]));
    }
    return sendWith(before);
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
  bind(config: { statement: string; values: unknown[]; portal?: string | undefined; binary?: unknown; valueMapper?: unknown }): void;
  execute(config: { portal?: string }): void;
  sync(): void;
}

/**
 * A pg Query that writes other statements (parse once, bind, execute) ahead
 * of its own messages, and with `commits` the transaction's COMMIT after
 * them, all before the one Sync that ends them: the server runs them in
 * order and answers once ready. Only the query's own rows and completion are
 * its result; an error in any of them is its error, and the server skips
 * the rest up to the Sync (so a COMMIT after a failed statement never runs).
 * Always sent with the extended protocol, which is what lets them share a
 * Sync (pg sends a query without values as a simple Query message
 * otherwise, which would end with a Sync of its own). The COMMIT goes as the
 * unnamed statement: were it named and parsed once, a failure of the query
 * before it would leave pg believing it prepared on this connection.
 *
 * A named query is described only at its first run on the connection
 * (`described`, the connection's: each statement's RowDescription and what
 * pg built from it to read rows with, or null for one that returns no
 * rows); later runs read their rows with that.
 */
function queryWithClass(pg: typeof pgModule, described: Map<string, Described | null>) {
  const Query = (pg as unknown as { Query: new (...args: unknown[]) => object }).Query;
  const { prepareValue } = (pg as unknown as { utils: { prepareValue: unknown } }).utils;
  const base = Query.prototype as {
    prepare(c: Wire): void;
    _getRows(c: Wire, rows: unknown): void;
    handleRowDescription(m: RowDescription): void;
    handleDataRow(m: unknown): void;
    listeners(event: string): unknown[];
    handleCommandComplete(m: unknown, c: Wire): void;
    handleError(e: unknown, c: Wire): void;
  };
  return class QueryWith extends Query {
    readonly #ahead: readonly Ahead[];
    readonly #commits: boolean;
    /** Completions answered so far: the statements ahead, then the query, then its COMMIT. */
    #completed = 0;
    declare portal: string | undefined;
    declare name: string | undefined;
    declare values: unknown[];
    declare binary: unknown;
    declare rows: unknown;
    declare callback: unknown;
    declare _result: ResultFields;
    declare _accumulateRows: unknown;

    constructor(ahead: readonly Ahead[], config: unknown, commits: boolean, callback: unknown) {
      super(config, undefined, callback);
      this.#ahead = ahead;
      this.#commits = commits;
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
      const description = this.name === undefined ? undefined : described.get(this.name);
      if (description === undefined) return base.prepare.call(this, connection);
      // pg's prepare() without the Describe: a statement parsed on this connection before, so no parse either.
      try {
        connection.bind({ portal: this.portal, statement: this.name!, values: this.values, binary: this.binary, valueMapper: prepareValue });
      } catch (err) {
        // As pg's prepare() answers a value it cannot write.
        return this.handleError(err, connection);
      }
      if (description !== null) this.#readRowsWith(description);
      this._getRows(connection, this.rows);
    }

    handleRowDescription(message: RowDescription): void {
      base.handleRowDescription.call(this, message);
      const { _parsers: parsers, _prebuiltEmptyResultObject: emptyRow } = this._result;
      if (this.name !== undefined) described.set(this.name, { fields: message.fields, parsers, emptyRow });
    }

    /**
     * pg's handleRowDescription for a statement described before: what its
     * Result's addFields would build again from the same description. Its
     * check for a second result set has nothing to do before a query's
     * first, and a Result reads these three without changing them.
     */
    #readRowsWith({ fields, parsers, emptyRow }: Described): void {
      Object.assign(this._result, { fields, _parsers: parsers, _prebuiltEmptyResultObject: emptyRow });
      this._accumulateRows = this.callback || !base.listeners.call(this, 'row').length;
    }

    /** pg's last step of prepare(): the query's Execute, then the Sync; the COMMIT goes between. */
    _getRows(connection: Wire, rows: unknown): void {
      if (!this.#commits || rows) return base._getRows.call(this, connection, rows);
      connection.execute({ portal: this.portal });
      connection.parse({ text: 'commit', name: '' });
      connection.bind({ statement: '', values: [] });
      connection.execute({});
      connection.sync();
    }

    handleDataRow(message: unknown): void {
      if (this.#completed === this.#ahead.length) base.handleDataRow.call(this, message);
    }

    handleCommandComplete(message: unknown, connection: Wire): void {
      const own = this.#completed === this.#ahead.length;
      this.#completed++;
      if (!own) return;
      // Described, and no RowDescription came: the statement returns no rows (the server answered NoData).
      if (this.name !== undefined && !described.has(this.name)) described.set(this.name, null);
      base.handleCommandComplete.call(this, message, connection);
    }

    handleError(err: unknown, connection: Wire): void {
      // Whatever failed, the next run describes its statement again rather than trust what was kept.
      if (this.name !== undefined) described.delete(this.name);
      base.handleError.call(this, err, connection);
    }
  };
}

/** pg's RowDescription message: its columns' names and types, which pg reads the rows with. */
interface RowDescription {
  fields: unknown[];
}

/** What pg's Result reads rows with, built by its addFields from a RowDescription. */
interface ResultFields {
  fields: unknown[];
  _parsers: unknown[] | undefined;
  _prebuiltEmptyResultObject: object | null;
}

/** A kept statement's columns, and what pg built from them to read its rows. */
interface Described {
  fields: unknown[];
  parsers: ResultFields['_parsers'];
  emptyRow: ResultFields['_prebuiltEmptyResultObject'];
}
