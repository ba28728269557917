import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Type } from '@sinclair/typebox';
import { renderWebTypes, WEB_TYPES_FILE } from '../../scripts/web-types.js';
import { Nullable, Words } from '../../src/api/schemas.js';

test('web/src/types.ts is what the API schemas generate', () => {
  const expected = renderWebTypes().split('\n');
  const checkedIn = readFileSync(WEB_TYPES_FILE, 'utf8').split('\n');
  const line = expected.findIndex((l, i) => l !== checkedIn[i]);
  const at = line === -1 ? Math.min(expected.length, checkedIn.length) : line;
  assert.ok(
    line === -1 && expected.length === checkedIn.length,
    `web/src/types.ts is stale (line ${at + 1}: the schemas give ${JSON.stringify(expected[at] ?? '')}, the file has ${JSON.stringify(checkedIn[at] ?? '')}): run npm run web-types and commit the result`,
  );
});

test('the types name what the API declares once, and say what each field means', () => {
  const source = renderWebTypes();
  assert.match(source, /^\/\/ Generated .* do not edit\.\n\/\/ Regenerate with `npm run web-types`/);
  assert.match(source, /export interface OrderEvent \{[^}]*\n  detail: Record<string, unknown> \| null;/, 'an event detail is an object, as the API sends it');
  assert.match(source, /\n  delegate_tx_status: TxStatus \| null;/, 'a reused schema is referred to by its name');
  assert.match(source, /\n    by_status: Record<OrderStatus, number>;/);
  assert.match(source, /\n  \/\*\* prepaid balance in sun \*\/\n  balance_sun: string;/);
});

test('the emitter writes optional fields, quoted keys, maps and literals, and refuses a schema it cannot express', () => {
  const Kind = Type.Union([Type.Literal('a-b'), Type.Literal("it's")]);
  const source = renderWebTypes([
    ['Kind', Kind],
    [
      'Thing',
      Type.Object({
        'odd-key': Type.Optional(Type.Boolean()),
        tags: Type.Array(Type.Union([Type.String(), Type.Integer()])),
        by_name: Type.Record(Type.String(), Type.Number()),
        anything: Type.Unknown(),
        one: Type.Literal(1),
        kind: Kind,
      }),
    ],
  ]);
  assert.match(source, /export type Kind = 'a-b' \| 'it\\'s';/);
  assert.match(
    source,
    /export interface Thing \{\n  'odd-key'\?: boolean;\n  tags: Array<string \| number>;\n  by_name: Record<string, number>;\n  anything: unknown;\n  one: 1;\n  kind: Kind;\n\}/,
  );
  assert.throws(() => renderWebTypes([['Either', Type.Object({ x: { oneOf: [Type.String(), Type.Null()] } as never })]]), /"oneOf" has no TypeScript counterpart/);
  assert.throws(() => renderWebTypes([['Bigint', Type.BigInt()]]), /cannot write this schema/);
});

test('a list of words is a union of its literals, named where it is declared, and a nullable copy of a named one is that name or null', () => {
  const Level = Words(['low', 'high'], { description: 'how full' });
  const source = renderWebTypes([
    ['Level', Level],
    ['Gauge', Type.Object({ level: Level, last: Nullable(Level), mode: Words(['a', "it's"], { description: 'the mode' }), either: Nullable(Words(['x', 'y'])) })],
    ['Counts', Type.Object({ by_level: Type.Record(Type.Union([Type.Literal('low'), Type.Literal('high')]), Type.Integer()) })],
  ]);
  assert.match(source, /\/\*\* how full \*\/\nexport type Level = 'low' \| 'high';/);
  assert.match(source, /export interface Gauge \{\n  level: Level;\n  last: Level \| null;\n  \/\*\* the mode \*\/\n  mode: 'a' \| 'it\\'s';\n  either: 'x' \| 'y' \| null;\n\}/);
  assert.match(source, /by_level: Record<Level, number>;/);
});
