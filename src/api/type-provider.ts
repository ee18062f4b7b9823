import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import type { SCHOOL_ASSIGNMENT_SCHEMA } from './schemas.ts';
import type {
  NEW_USER_SCHEMA,
  PRIVILEGES_UPDATE_SCHEMA,
  SCHOOLS_UPDATE_SCHEMA,
  USER_PATCH_SCHEMA,
} from './user-schemas.ts';

/**
 * Request types of the API's routes come from the very JSON schemas that validate them (and that
 * the OpenAPI document publishes), so there is no hand-written interface to drift from them.
 * The shared schemas a route names by `$ref` are listed here for json-schema-to-ts to resolve.
 */
export type ApiTypeProvider = JsonSchemaToTsProvider<{
  ValidatorSchemaOptions: {
    references: [
      typeof NEW_USER_SCHEMA,
      typeof USER_PATCH_SCHEMA,
      typeof PRIVILEGES_UPDATE_SCHEMA,
      typeof SCHOOLS_UPDATE_SCHEMA,
      typeof SCHOOL_ASSIGNMENT_SCHEMA,
    ];
  };
}>;
