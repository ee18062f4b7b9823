import { Ajv, type AnySchema } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';

/**
 * Request validation for an API scope. Bodies are checked strictly: JSON already has types, so
 * nothing is coerced ("42" is not 42) and unknown members are refused, not silently dropped
 * (Fastify's default), so a typo in a field name is an error the caller sees. Query strings and
 * path parameters are text by nature and are coerced to the declared types.
 */
export function strictValidation(scope: FastifyInstance, schemas: readonly Record<string, unknown>[]): void {
  const make = (coerce: boolean) => {
    const ajv = new Ajv({
      coerceTypes: coerce ? 'array' : false,
      removeAdditional: false,
      useDefaults: true,
      allErrors: false,
      strict: false,
    });
    addFormats.default(ajv);
    for (const schema of schemas) ajv.addSchema(schema);
    return ajv;
  };
  const body = make(false);
  const text = make(true);
  scope.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? body : text).compile(schema as AnySchema),
  );
}
