import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTotp } from '../../src/domain/totp.ts';
import {
  archiveLeaver,
  CALLERS,
  createMatrixWorld,
  createTarget,
  MATRIX,
  prepareReview,
  snapshot,
  type Caller,
  type MatrixContext,
} from '../support/access-matrix.ts';
import { FormClient } from '../support/browser.ts';
import { TEST_PASSWORD, type FixtureAccount } from '../support/fixtures.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/** The access matrix of the pages: the table of test/support/access-matrix.ts, through the browser forms. */

let t: TestApp;
let ctx: MatrixContext;
const clients = {} as Record<Caller, FormClient>;

async function signIn(account: FixtureAccount): Promise<FormClient> {
  const client = new FormClient(t.app, { ip: `10.0.0.${Object.keys(clients).length + 1}` });
  await client.get('/sign-in');
  await client.post('/sign-in', { username: account.username, password: TEST_PASSWORD });
  await client.get('/sign-in/two-factor');
  const done = await client.post('/sign-in/two-factor', { code: generateTotp(account.totpSecret!, t.clock.now()) });
  expect(done.headers.location).toBe('/');
  await client.get('/');
  return client;
}

beforeAll(async () => {
  t = await createTestApp({ env: { THROTTLE_ADDRESS_LIMIT: '10000' } });
  const world = await createMatrixWorld(t.handle.db, t.config.secretKey);
  ctx = world.ctx;
  for (const caller of ['ownAdmin', 'ownOfficer', 'ownReader', 'otherAdmin', 'support', 'archivedSession'] as const) {
    clients[caller] = await signIn(world.accounts[caller]);
  }
  clients.signedOut = new FormClient(t.app, { ip: '10.0.1.1' });
  await clients.signedOut.get('/sign-in');
  // The leaver's session outlives nothing: archiving ends it, and the old cookie must not work.
  await archiveLeaver(t.handle.db, world.accounts.archivedSession.id);
});
afterAll(async () => t?.close());

describe('access matrix of the pages', () => {
  for (const row of MATRIX) {
    for (const caller of CALLERS) {
      const expected = row.expect[caller];
      it(`${row.name} as ${caller} → ${expected}`, async () => {
        const cell = `${MATRIX.indexOf(row)}-${CALLERS.indexOf(caller)}`;
        const target = await createTarget(t.handle.db, t.config.secretKey, ctx, cell, row);
        const before = await snapshot(t.handle.db, target.id);
        const review = row.review ? await prepareReview(t.handle.db, ctx, row.review, target.id) : '';
        const path = row.path
          .replace(':id', target.id)
          .replace(':school', String(ctx.schoolOne))
          .replace(':review', review)
          .replace(':finished', ctx.finishedReview);
        const client = clients[caller];
        const response =
          row.method === 'GET'
            ? await client.get(path)
            : row.upload
              ? await client.upload(path, { name: 'import.csv', content: row.upload(cell) })
              : await client.post(path, row.body?.(cell, ctx, target.id) ?? {});
        expect(response.statusCode, `${row.method} ${row.path}`).toBe(expected);
        // Sent to sign in: a page opened comes back after it (issue 13), a form post does not.
        if (expected === 302)
          expect(response.headers.location).toBe(
            row.method === 'GET' ? `/sign-in?returnTo=${encodeURIComponent(path)}` : '/sign-in',
          );
        if (path.startsWith('/api/'))
          expect(response.headers['content-type']).toMatch(
            expected === 200 ? /^application\/json/ : /^application\/problem\+json/,
          );
        if (expected >= 400) {
          expect(response.body).not.toMatch(/at .*\.ts:\d+/);
          if (row.changes) expect(await snapshot(t.handle.db, target.id)).toBe(before);
        }
        if (row.name === 'create user in Camden') {
          const created = await t.handle.db
            .selectFrom('accounts')
            .select('id')
            .where('username', '=', `new.${cell}`)
            .executeTakeFirst();
          expect(created !== undefined).toBe(expected === 303);
        }
        if (row.name === 'create API token') {
          const made = await t.handle.db
            .selectFrom('api_tokens')
            .select('id')
            .where('name', '=', `token ${cell}`)
            .executeTakeFirst();
          expect(made !== undefined).toBe(expected === 200);
          if (expected === 200) expect(response.body).toMatch(/nxa_[A-Za-z0-9_-]{43}/);
        }
        if (row.name === 'import users into Camden') {
          const created = await t.handle.db
            .selectFrom('accounts')
            .select('id')
            .where('username', '=', `imported.${cell}`)
            .executeTakeFirst();
          expect(created !== undefined).toBe(expected === 200);
        }
        if ((expected === 303 || (expected === 200 && row.method === 'POST')) && row.changes)
          expect(await snapshot(t.handle.db, target.id)).not.toBe(before);
      });
    }
  }
});
