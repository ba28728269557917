/**
 * A table's columns, named one by one, for the statements PostgreSQL keeps
 * prepared on each connection (prepared.ts). Such a statement never says
 * `*` for a table's row: its plan is cached with the row's shape, so once
 * another process's migration adds a column (the newer of two Joules
 * sharing a database, during an upgrade), a statement that said `*` would
 * fail on every connection that prepared it ("cached plan must not change
 * result type") until the process restarts. A named list keeps answering
 * what it always did.
 */

/**
 * `list`, checked at compile time to name every column of `Table`: a column
 * added to the table and not to the list is a type error naming it.
 */
export function everyColumn<Table>() {
  return <const List extends ReadonlyArray<keyof Table & string>>(
    list: List & (Exclude<keyof Table, List[number]> extends never ? unknown : { missing: Exclude<keyof Table, List[number]> }),
  ): List => list;
}

/** The list as a statement's select list, each column of `alias` when given (`o.id, o.status`). */
export function columnsOf(list: readonly string[], alias?: string): string {
  return (alias === undefined ? list : list.map((c) => `${alias}.${c}`)).join(', ');
}

/**
 * A reader of `list`'s columns out of a statement's row, as a row of their
 * own (each read from `prefix` and its name: `journal_txid` for `txid`),
 * leaving out whatever else the statement answered beside them. A loop
 * over the list: an object rest or Object.fromEntries copying an order's
 * 41 columns took 10 and 6 µs against about 1, on the path every order
 * takes several times.
 */
export function columnReader<Row>(list: readonly string[], prefix = ''): (row: Record<string, unknown>) => Row {
  const sources = list.map((column) => [column, prefix + column] as const);
  return (row) => {
    const picked: Record<string, unknown> = {};
    for (const [column, source] of sources) picked[column] = row[source];
    return picked as Row;
  };
}

/**
 * Another row answered beside a statement's own (a join's), each of
 * `list`'s columns of `alias` under `prefix` and its name (`j.txid as
 * journal_txid`): `select` for the statement's select list, and `read` to
 * take that row back out of the statement's rows. One list and one prefix
 * make both: a prefix written twice that did not match would read nulls,
 * without an error.
 */
export function prefixedColumns<Row>(
  list: readonly string[],
  alias: string,
  prefix: string,
): { select: string; read: (row: Record<string, unknown>) => Row } {
  return { select: list.map((c) => `${alias}.${c} as ${prefix}${c}`).join(', '), read: columnReader<Row>(list, prefix) };
}
