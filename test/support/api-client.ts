import { randomBytes, randomUUID } from 'node:crypto';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Db } from '../../src/data/database.ts';
import { hashToken } from '../../src/services/sign-in/secrets.ts';

/**
 * Inserts an API token for an account directly, as if that person had made it under Admin > API
 * tokens (possibly before losing the privilege to make one: a token then acts with whatever its
 * creator holds now). Returns the plain token.
 */
export async function createApiToken(
  db: Db,
  options: {
    organisationId: number;
    accountId: string;
    name?: string;
    expiresAt?: Date | null;
    revokedAt?: Date | null;
  },
): Promise<string> {
  const token = `nxa_${randomBytes(32).toString('base64url')}`;
  await db
    .insertInto('api_tokens')
    .values({
      id: randomUUID(),
      organisation_id: options.organisationId,
      created_by: options.accountId,
      name: options.name ?? 'test token',
      prefix: token.slice(0, 12),
      token_hash: hashToken(token),
      created_at: new Date('2026-01-01T00:00:00Z'),
      expires_at: options.expiresAt === undefined ? new Date('2099-01-01T00:00:00Z') : options.expiresAt,
      revoked_at: options.revokedAt ?? null,
    })
    .execute();
  return token;
}

type Schema = Record<string, unknown>;

/**
 * Checks responses against the OpenAPI document the app serves: the operation is found by
 * method and route pattern, and the body must validate against the schema declared for that
 * status and media type. Every API call of the test suites goes through here.
 */
export class OpenApiValidator {
  readonly #ajv: Ajv2020;
  readonly #document: Schema;
  readonly checked: string[] = [];

  constructor(document: Schema) {
    this.#document = document;
    this.#ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(this.#ajv);
    // The whole document is one schema resource, so "#/components/schemas/…" resolves inside it.
    this.#ajv.addSchema(document, 'openapi');
  }

  static async load(app: FastifyInstance): Promise<OpenApiValidator> {
    const response = await app.inject({ method: 'GET', url: '/api/docs/openapi.json' });
    return new OpenApiValidator(response.json<Schema>());
  }

  /** The path template of the document that matches a concrete path, e.g. /api/v1/users/{id}. */
  #template(path: string): string | undefined {
    const paths = Object.keys(this.#document.paths ?? {});
    return paths.find((template) => new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path));
  }

  validate(method: string, url: string, response: LightMyRequestResponse): void {
    const path = url.split('?')[0]!;
    const template = this.#template(path);
    if (!template) throw new Error(`${method} ${path} is not in the OpenAPI document`);
    const operation = ((this.#document.paths as Record<string, Schema>)[template] as Record<string, Schema>)[
      method.toLowerCase()
    ];
    if (!operation) throw new Error(`${method} ${template} is not in the OpenAPI document`);
    const responses = operation.responses as Record<string, Schema>;
    const declared = responses[String(response.statusCode)] ?? responses.default;
    if (!declared)
      throw new Error(`${method} ${template} answered ${response.statusCode}, which the document does not declare`);
    const content = declared.content as Record<string, { schema: Schema }> | undefined;
    if (!content) {
      if (response.body.length > 0)
        throw new Error(
          `${method} ${template} ${response.statusCode}: the document declares no body, got ${response.body.slice(0, 200)}`,
        );
      this.checked.push(`${method} ${template} ${response.statusCode}`);
      return;
    }
    const mediaType = String(response.headers['content-type'] ?? '')
      .split(';')[0]!
      .trim();
    const entry = content[mediaType];
    if (!entry)
      throw new Error(
        `${method} ${template} ${response.statusCode}: media type ${mediaType} is not declared (${Object.keys(content).join(', ')})`,
      );
    const pointer = [
      'paths',
      template,
      method.toLowerCase(),
      'responses',
      declared === responses.default ? 'default' : String(response.statusCode),
      'content',
      mediaType,
      'schema',
    ]
      .map((part) => part.replace(/~/g, '~0').replace(/\//g, '~1'))
      .join('/');
    const valid = this.#ajv.validate({ $ref: `openapi#/${encodeURI(pointer)}` }, response.json());
    if (!valid)
      throw new Error(
        `${method} ${template} ${response.statusCode} does not match the document: ${this.#ajv.errorsText()}\n${response.body.slice(0, 500)}`,
      );
    this.checked.push(`${method} ${template} ${response.statusCode}`);
  }
}

/** An API client for tests: sends the token, validates every response against the document. */
export function apiClient(app: FastifyInstance, validator: OpenApiValidator, token?: string) {
  return async (
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const response = await app.inject({
      method,
      url,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    validator.validate(method, url, response);
    return response;
  };
}
