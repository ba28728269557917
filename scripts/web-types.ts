/**
 * Writes web/src/types.ts, the dashboard's types for the JSON the API
 * answers with, from the very TypeBox schemas the server serialises with
 * (src/api/schemas.ts, and the flash-rent route's): the page cannot drift from the API unnoticed.
 *
 *   npm run web-types
 *
 * test/web/types-generated.test.ts fails while the checked-in file differs.
 * The schemas are JSON Schema; this emits TypeScript for the part of it they
 * use (objects, strings, numbers, booleans, null, literals, unions, lists of
 * words, arrays, records) and refuses anything else rather than guess.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TSchema } from '@sinclair/typebox';
import * as api from '../src/api/schemas.js';
import { FlashPaymentBody, FlashRentBody } from '../src/api/routes/flash-rent.js';
import { ApiKeyBody, TenantBody } from '../src/api/routes/api-keys.js';

export const WEB_TYPES_FILE = fileURLToPath(new URL('../web/src/types.ts', import.meta.url));

/** What the dashboard reads, under the names it reads it by, in the order written. */
export const WEB_TYPES: ReadonlyArray<readonly [name: string, schema: TSchema]> = [
  ['OrderStatus', api.OrderStatusSchema],
  ['TxStatus', api.TxStatus],
  ['DispatchPath', api.DispatchPathSchema],
  ['Order', api.OrderBody],
  ['OrderEvent', api.OrderEventBody],
  ['ChainTransaction', api.ChainTransactionBody],
  ['Pool', api.PoolBody],
  ['User', api.UserBody],
  ['LedgerEntry', api.LedgerEntryBody],
  ['Status', api.StatusBody],
  ['DelayBucket', api.DelayBucketBody],
  ['Delays', api.DelayReportBody],
  ['OrderPage', api.OrderPageBody],
  ['OrderEvents', api.OrderEventsBody],
  ['OrderTransactions', api.OrderTransactionsBody],
  ['PoolList', api.PoolListBody],
  ['UserPage', api.UserPageBody],
  ['LedgerPage', api.LedgerPageBody],
  ['FlashRent', FlashRentBody],
  ['FlashPayment', FlashPaymentBody],
  ['Tenant', TenantBody],
  ['ApiKey', ApiKeyBody],
];

const HEADER = `// Generated from the API's schemas (src/api/schemas.ts) by scripts/web-types.ts: do not edit.
// Regenerate with \`npm run web-types\`; test/web/types-generated.test.ts fails while this file is stale.
// The JSON the API answers with (see /openapi.json): what the dashboard reads.
`;

interface Schema {
  /** A list for a scalar or null (schemas.ts's Nullable). */
  type?: string | string[];
  description?: string;
  const?: unknown;
  /** A list of words (schemas.ts's Words), with null among them when Nullable. */
  enum?: unknown[];
  anyOf?: Schema[];
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  patternProperties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
}

/** Keywords that only constrain or document a value: they change nothing in its TypeScript type. */
const NO_TYPE_KEYWORDS = new Set(['$id', 'description', 'format', 'pattern', 'minimum', 'maximum', 'minLength', 'maxLength', 'default', 'title', 'examples']);
const TYPE_KEYWORDS = new Set(['type', 'const', 'enum', 'anyOf', 'items', 'properties', 'required', 'patternProperties', 'additionalProperties']);

/** A list of words' own words: without the null that Nullable adds. */
const wordsOf = (schema: Schema): unknown[] => (schema.enum ?? []).filter((w) => w !== null);

const literal = (value: unknown): string => {
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new Error(`web-types: cannot write the literal ${JSON.stringify(value)}`);
};
const key = (name: string) => (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : literal(name));
const comment = (text: string, pad: string) => `${pad}/** ${text.replace(/\*\//g, '*\\/')} */\n`;

class Emitter {
  /** A schema written under its own name is referred to by that name wherever it is reused. */
  private readonly names = new Map<Schema, string>();

  constructor(types: ReadonlyArray<readonly [string, TSchema]>) {
    for (const [name, schema] of types) this.names.set(schema as Schema, name);
  }

  declaration(name: string, schema: Schema): string {
    const doc = schema.description ? comment(schema.description, '') : '';
    const isInterface = schema.type === 'object' && schema.properties !== undefined && this.recordOf(schema) === undefined;
    return isInterface
      ? `${doc}export interface ${name} ${this.object(schema, '')}\n`
      : `${doc}export type ${name} = ${this.type(schema, '', false)};\n`;
  }

  /** The TypeScript type of a schema; `pad` is the indentation of the line it starts on. */
  type(schema: Schema, pad: string, byName = true): string {
    const name = byName ? this.names.get(schema) : undefined;
    if (name !== undefined) return name;
    for (const k of Object.keys(schema)) {
      if (!NO_TYPE_KEYWORDS.has(k) && !TYPE_KEYWORDS.has(k)) throw new Error(`web-types: the keyword "${k}" has no TypeScript counterpart here: ${JSON.stringify(schema)}`);
    }
    if (schema.anyOf) return schema.anyOf.map((s) => this.type(s, pad)).join(' | ');
    if (schema.enum) {
      // A nullable copy of a named list is that name or null, as a union with null was.
      const words = wordsOf(schema);
      const own = (byName ? this.namedList(words) : undefined) ?? words.map(literal).join(' | ');
      return words.length < schema.enum.length ? `${own} | null` : own;
    }
    if (Array.isArray(schema.type)) return schema.type.map((type) => this.type({ ...schema, type }, pad, false)).join(' | ');
    if ('const' in schema) return literal(schema.const);
    switch (schema.type) {
      case 'string':
        return 'string';
      case 'integer':
      case 'number':
        return 'number';
      case 'boolean':
        return 'boolean';
      case 'null':
        return 'null';
      case 'array': {
        if (!schema.items) throw new Error(`web-types: an array without items: ${JSON.stringify(schema)}`);
        const item = this.type(schema.items, pad);
        return /^[A-Za-z0-9_]+$/.test(item) ? `${item}[]` : `Array<${item}>`;
      }
      case 'object':
        return this.recordOf(schema) ?? this.object(schema, pad);
      case undefined:
        if (Object.keys(schema).every((k) => NO_TYPE_KEYWORDS.has(k))) return 'unknown';
    }
    throw new Error(`web-types: cannot write this schema in TypeScript: ${JSON.stringify(schema)}`);
  }

  private object(schema: Schema, pad: string): string {
    const properties = Object.entries(schema.properties ?? {});
    if (properties.length === 0 && schema.additionalProperties === true && !schema.patternProperties) return 'Record<string, unknown>';
    if (properties.length === 0 || schema.patternProperties || typeof schema.additionalProperties === 'object') {
      throw new Error(`web-types: cannot write this object in TypeScript: ${JSON.stringify(schema)}`);
    }
    const inner = `${pad}  `;
    const required = new Set(schema.required ?? []);
    const lines = properties.map(([name, s]) => {
      const doc = this.description(s);
      return `${doc ? comment(doc, inner) : ''}${inner}${key(name)}${required.has(name) ? '' : '?'}: ${this.type(s, inner)};\n`;
    });
    return `{\n${lines.join('')}${pad}}`;
  }

  /**
   * `Record<K, V>`: a string-keyed map (patternProperties), or an object
   * whose keys are exactly the values of a named literal union, all required
   * and of one schema (what Type.Record makes of a union of literals).
   */
  private recordOf(schema: Schema): string | undefined {
    const patterns = Object.values(schema.patternProperties ?? {});
    if (patterns.length === 1 && !schema.properties) return `Record<string, ${this.type(patterns[0]!, '')}>`;
    const properties = Object.entries(schema.properties ?? {});
    if (properties.length === 0) return undefined;
    const values = properties.map(([, s]) => s);
    if (!values.every((v) => JSON.stringify(v) === JSON.stringify(values[0]))) return undefined;
    const keys = properties.map(([k]) => k).sort();
    if ((schema.required ?? []).length !== keys.length) return undefined;
    for (const [named, name] of this.names) {
      const members = named.anyOf?.map((m) => m.const) ?? named.enum;
      if (members && members.every((m) => typeof m === 'string') && JSON.stringify([...(members as string[])].sort()) === JSON.stringify(keys)) {
        return `Record<${name}, ${this.type(values[0]!, '')}>`;
      }
    }
    return undefined;
  }

  /** The name of the named list of exactly these words, in this order, if there is one. */
  private namedList(words: readonly unknown[]): string | undefined {
    for (const [named, name] of this.names) if (named.enum && JSON.stringify(named.enum) === JSON.stringify(words)) return name;
    return undefined;
  }

  /** A property's description, or that of the non-null member of a nullable one; not a named type's: that is written once, on the type. */
  private description(schema: Schema): string | undefined {
    if (this.names.has(schema)) return undefined;
    if (schema.enum && this.namedList(wordsOf(schema)) !== undefined) return undefined;
    if (schema.description) return schema.description;
    return schema.anyOf?.find((m) => m.description && !this.names.has(m))?.description;
  }
}

/** The whole file, as it should be checked in. */
export function renderWebTypes(types = WEB_TYPES): string {
  const emitter = new Emitter(types);
  return `${HEADER}\n${types.map(([name, schema]) => emitter.declaration(name, schema as Schema)).join('\n')}`;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  writeFileSync(WEB_TYPES_FILE, renderWebTypes());
  console.log(`wrote ${WEB_TYPES_FILE.slice(resolve(fileURLToPath(new URL('..', import.meta.url))).length + 1)}`);
}
