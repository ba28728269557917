import assert from 'node:assert/strict';
import { test } from 'node:test';
import { uuidv7 } from '../../src/db/ids.js';

const UUIDV7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const millisecond = (id: string) => parseInt(id.replace(/-/g, '').slice(0, 12), 16);

test('ids made one after another sort in the order they were made, even thousands within one millisecond', () => {
  const ids = Array.from({ length: 5000 }, () => uuidv7());
  assert.ok(ids.every((id) => UUIDV7.test(id)), 'every id is a well-formed UUIDv7');
  assert.deepEqual([...ids].sort(), ids);
  assert.equal(new Set(ids).size, ids.length);
  assert.ok(millisecond(ids[0]!) <= Date.now());
});

test('an id made when the clock has stepped back still sorts after the one before it', () => {
  const later = Date.now() + 60_000;
  const first = uuidv7(later);
  const next = uuidv7();
  assert.ok(next > first, `${next} sorts after ${first}`);
  assert.ok(UUIDV7.test(next));
});

test('an id asked for at a past moment carries that moment, and the ids after it keep their order', () => {
  const before = uuidv7();
  const past = Date.UTC(2024, 0, 1);
  const old = uuidv7(past);
  assert.equal(millisecond(old), past);
  assert.ok(UUIDV7.test(old));
  const after = uuidv7();
  assert.ok(after > before);
});
