// A statement PostgreSQL keeps prepared names the columns it answers with:
// said with `*`, it would fail on every connection that prepared it once
// another process's migration adds a column (src/db/columns.ts). The
// refusal comes as the statement is made, so it cannot reach a running
// process unnoticed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { prepared } from '../../src/db/prepared.js';

test('when a prepared statement says * for a row, then it is refused as it is made, naming the *', () => {
  for (const [text, star] of [
    ['select * from orders where id = ?', 'select *'],
    ['update orders set status = ? where id = ? returning *', 'returning *'],
    ['with moved as (update orders set status = ? returning id) select moved.* from moved', 'select moved.*'],
    ['select p.address, o.* from pool_snapshots p join orders o on o.pool_address = p.address', ', o.*'],
  ] as const) {
    assert.throws(() => prepared(text), (err: Error) => err.message.includes(`not "${star}"`), text);
  }
});

test('when a prepared statement names its columns, then a * that is not a row is allowed', () => {
  for (const text of [
    'select id, status from orders where id = ?',
    'select count(*) as n from orders where user_id = ?',
    'update orders set lease_until = (extract(epoch from clock_timestamp()) * 1000)::bigint + ? where id = ? returning lease_until',
    'with input as (select * from unnest(?::text[], ?::bigint[]) as i(id, n)) select id, n from input',
  ]) {
    assert.doesNotThrow(() => prepared(text), text);
  }
});
