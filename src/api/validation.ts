import AjvModule from 'ajv';
import type { FastifyInstance } from 'fastify';

// ajv ships CommonJS; under NodeNext its default export is the module object.
const Ajv = AjvModule.default;

/**
 * Two validators. Bodies are JSON and must already have the right types: no
 * coercion ("32000" is not an integer, true is not 1) and unknown fields are
 * errors, not silently dropped. Query strings and path parameters arrive as
 * text, so they are coerced to the schema's types.
 */
export function registerValidators(app: FastifyInstance): void {
  // verbose: errors carry their schema, so a message can list what would have been accepted.
  const common = { allErrors: false, strict: false, useDefaults: true, verbose: true } as const;
  const bodyAjv = new Ajv({ ...common, coerceTypes: false, removeAdditional: false });
  const textAjv = new Ajv({ ...common, coerceTypes: true, removeAdditional: false });
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? bodyAjv : textAjv).compile(schema as object),
  );
}
