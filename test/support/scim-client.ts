import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, expect } from 'vitest';
import type { toScimUser } from '../../src/api/scim/scim-user-mapping.ts';
import { createApiToken } from './api-client.ts';
import { createAccount, createOrganisation } from './fixtures.ts';
import { createTestApp, type TestApp } from './test-app.ts';

export const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const NEXUS = 'urn:ietf:params:scim:schemas:extension:nexus:2.0:User';

/** The documents the server sends: a User as toScimUser writes it, a ListResponse, an error (RFC 7644 §3.4.2, §3.12). */
export type ScimUser = ReturnType<typeof toScimUser>;
export interface ScimList<T = ScimUser> {
  schemas: string[];
  totalResults: number;
  startIndex: number;
  itemsPerPage: number;
  Resources: T[];
}

export type Send = (
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  body?: unknown,
  options?: { token?: string | null; contentType?: string | null },
) => Promise<LightMyRequestResponse>;

/**
 * Requests to /scim/v2 as an identity system sends them: a bearer token, a JSON body with
 * application/scim+json unless told otherwise (`contentType: null` sends none, as Okta's test does).
 */
export function scimClient(test: () => TestApp, defaultToken: () => string): Send {
  return (method, url, body, options = {}) => {
    const token = options.token === undefined ? defaultToken() : options.token;
    const contentType = options.contentType === undefined ? 'application/scim+json' : options.contentType;
    return test().app.inject({
      method,
      url: `/scim/v2${url}`,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined || contentType === null ? {} : { 'content-type': contentType }),
      },
      ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
  };
}

/** Every refusal is a SCIM error document (RFC 7644 §3.12), never HTML or a stack trace. */
export function expectScimError(response: LightMyRequestResponse, status: number, scimType?: string) {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/scim\+json/);
  const body = response.json<Record<string, unknown>>();
  expect(body).toMatchObject({ schemas: [ERROR], status: String(status) });
  if (scimType) expect(body.scimType).toBe(scimType);
  expect(typeof body.detail).toBe('string');
  expect(response.body).not.toMatch(/\bat .*\.ts:\d+/);
}

/** One LA (Camden) with an administrator and the API token its identity system uses. */
export async function scimLa(t: TestApp): Promise<{ organisationId: number; adminId: string; token: string }> {
  const db = t.handle.db;
  const organisationId = await createOrganisation(db, '202', 'Camden');
  const admin = await createAccount(db, t.config.secretKey, {
    organisationId,
    username: 'camden.admin',
    userType: 'la_admin',
    email: 'admin@camden.gov.uk',
  });
  // A second administrator, so that archiving never meets the last-administrator rule by accident.
  await createAccount(db, t.config.secretKey, { organisationId, username: 'camden.admin2', userType: 'la_admin' });
  const token = await createApiToken(db, { organisationId, accountId: admin.id });
  return { organisationId, adminId: admin.id, token };
}

/** The audit actions written about an account, oldest first, without the token's own use. */
export async function auditOf(t: TestApp, accountId: string): Promise<{ action: string; details: unknown }[]> {
  return t.handle.db
    .selectFrom('audit_events')
    .select(['action', 'details'])
    .where('subject_account_id', '=', accountId)
    .orderBy('occurred_at')
    .orderBy('id')
    .execute();
}

/**
 * A file's test application with Camden and a SCIM token (scimLa), started before its tests and
 * closed after them; `send` talks SCIM as that token. `app()` is the application once started.
 */
export function useScimLa(): { app: () => TestApp; send: Send } {
  let t: TestApp | undefined;
  let token = '';
  beforeAll(async () => {
    t = await createTestApp();
    ({ token } = await scimLa(t));
  });
  afterAll(async () => t?.close());
  const app = () => {
    if (!t) throw new Error('useScimLa: the application is not started yet (use it inside a test)');
    return t;
  };
  return { app, send: scimClient(app, () => token) };
}
