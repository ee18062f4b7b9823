import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apiExpectation,
  archiveLeaver,
  CALLERS,
  createMatrixWorld,
  createTarget,
  MATRIX,
  snapshot,
  type ApiEquivalent,
  type Caller,
  type MatrixContext,
  type Row,
} from '../support/access-matrix.ts';
import { apiClient, createApiToken, OpenApiValidator } from '../support/api-client.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/**
 * The access matrix of the JSON API: the same table as the pages (test/support/access-matrix.ts),
 * each caller holding an API token of their own. The leaver's token was made before they were
 * archived; the signed-out caller has none. Every response is checked against the OpenAPI document.
 */

let t: TestApp;
let ctx: MatrixContext;
let validator: OpenApiValidator;
const tokens = {} as Record<Caller, string | undefined>;

beforeAll(async () => {
  t = await createTestApp({ env: { API_RATE_LIMIT_PER_MINUTE: '100000' } });
  const world = await createMatrixWorld(t.handle.db, t.config.secretKey);
  ctx = world.ctx;
  for (const caller of ['ownAdmin', 'ownOfficer', 'ownReader', 'otherAdmin', 'support', 'archivedSession'] as const) {
    tokens[caller] = await createApiToken(t.handle.db, {
      organisationId: world.accounts.organisations[caller],
      accountId: world.accounts[caller].id,
      name: caller,
    });
  }
  tokens.signedOut = undefined;
  await archiveLeaver(t.handle.db, world.accounts.archivedSession.id);
  validator = await OpenApiValidator.load(t.app);
});
afterAll(async () => t?.close());

const API_ROWS = MATRIX.filter((row): row is Row & { api: ApiEquivalent } => row.api !== undefined);

describe('access matrix of the JSON API (the same table as the pages)', () => {
  it('covers every operation of the API document except the docs themselves', async () => {
    const document = (await t.app.inject('/api/docs/openapi.json')).json<{
      paths: Record<string, Record<string, unknown>>;
    }>();
    const operations = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`),
    );
    const covered = new Set(API_ROWS.map((r) => `${r.api.method} ${r.api.path.split('?')[0]!.replace(':id', '{id}')}`));
    expect(operations.filter((op) => !covered.has(op))).toEqual([]);
  });

  for (const row of API_ROWS) {
    for (const caller of CALLERS) {
      const expected = apiExpectation(row, caller);
      it(`${row.api.method} ${row.api.path} (${row.name}) as ${caller} → ${expected}`, async () => {
        const cell = `api-${MATRIX.indexOf(row)}-${CALLERS.indexOf(caller)}`;
        const target = await createTarget(t.handle.db, t.config.secretKey, ctx, cell, row);
        const before = await snapshot(t.handle.db, target.id);
        const path = row.api.path.replace(':id', target.id);
        const call = apiClient(t.app, validator, tokens[caller]);
        const response = await call(row.api.method, path, row.api.body?.(cell, ctx));
        expect(response.statusCode, `${row.api.method} ${path}: ${response.body.slice(0, 300)}`).toBe(expected);
        if (expected >= 400) {
          expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
          expect(response.json()).toMatchObject({ status: expected });
          if (row.changes) expect(await snapshot(t.handle.db, target.id)).toBe(before);
        }
        if (expected === 401) expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
        if (row.name === 'create user in Camden') {
          const created = await t.handle.db
            .selectFrom('accounts')
            .select('id')
            .where('username', '=', `new.${cell}`)
            .executeTakeFirst();
          expect(created !== undefined).toBe(expected === 201);
        }
        if (expected < 300 && row.changes) expect(await snapshot(t.handle.db, target.id)).not.toBe(before);
      });
    }
  }
});
