import { describe, expect, it } from 'vitest';
import {
  auditOf,
  ENTERPRISE,
  expectScimError,
  LIST,
  PATCH,
  useScimLa,
  USER,
  type ScimList,
  type ScimUser,
} from '../support/scim-client.ts';

/**
 * Microsoft Entra ID's provisioning sequence, request by request, with the bodies Microsoft
 * publishes for SCIM endpoints ("Develop and plan provisioning for a SCIM endpoint", User
 * operations; the Entra provisioning service's known forms: capitalised ops, "False" strings, the
 * emails[type eq "work"].value matching filter, a UPN rename as a PATCH of userName, the
 * enterprise manager removed). Each step asserts the answer Entra ID acts on.
 */

const USER_NAME = 'Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1';
const EMAIL = 'Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com';
const OBJECT_ID = '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef';
const RENAMED = '5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com';

const { app, send: entra } = useScimLa();

async function list(filter: string): Promise<ScimList> {
  const response = await entra('GET', `/Users?filter=${encodeURIComponent(filter)}`);
  expect(response.statusCode, response.body).toBe(200);
  const body = response.json<ScimList>();
  expect(body.schemas).toEqual([LIST]);
  return body;
}

describe('Entra ID provisions, updates, renames, disables, deletes and re-hires a user', () => {
  let id: string;

  it('1. GET /Users?filter=userName eq "…": no match yet, an empty ListResponse', async () => {
    expect(await list(`userName eq "${USER_NAME}"`)).toMatchObject({ totalResults: 0, Resources: [] });
  });

  it('2. also matches by email with emails[type eq "work"].value eq "…": no match yet', async () => {
    expect((await list(`emails[type eq "work"].value eq "${EMAIL}"`)).totalResults).toBe(0);
  });

  it("3. POST /Users (Entra ID's create body): 201 with the userName in the case sent", async () => {
    const response = await entra('POST', '/Users', {
      schemas: [USER, ENTERPRISE],
      externalId: OBJECT_ID,
      userName: USER_NAME,
      active: true,
      emails: [{ primary: true, type: 'work', value: EMAIL }],
      meta: { resourceType: 'User' },
      name: { formatted: 'givenName familyName', familyName: 'familyName', givenName: 'givenName' },
      roles: [],
      [ENTERPRISE]: { department: 'Schools', manager: { value: 'f8a3b1c2' } },
    });
    expect(response.statusCode, response.body).toBe(201);
    const body = response.json<ScimUser>();
    expect(body).toMatchObject({
      userName: USER_NAME,
      externalId: OBJECT_ID,
      active: true,
      emails: [{ value: EMAIL, type: 'work', primary: true }],
      name: { givenName: 'givenName', familyName: 'familyName' },
      meta: { resourceType: 'User' },
    });
    expect(response.headers.location).toBe(body.meta.location);
    id = body.id;
  });

  it('4. GET /Users/{id}: the user as created', async () => {
    const response = await entra('GET', `/Users/${id}`);
    expect(response.statusCode).toBe(200);
    expect(response.json<ScimUser>()).toMatchObject({ id, userName: USER_NAME, active: true });
  });

  it('5. matches by userName (in another case too) and by the work email', async () => {
    const byName = await list(`userName eq "${USER_NAME}"`);
    expect(byName).toMatchObject({ totalResults: 1, Resources: [{ id, userName: USER_NAME }] });
    expect((await list(`userName eq "${USER_NAME.toLowerCase()}"`)).Resources.map((r) => r.id)).toEqual([id]);
    const byEmail = await list(`emails[type eq "work"].value eq "${EMAIL}"`);
    expect(byEmail.Resources.map((r) => r.id)).toEqual([id]);
    expect((await list(`emails[type eq "home"].value eq "${EMAIL}"`)).totalResults).toBe(0);
  });

  it('6. a second POST of the same userName is 409 uniqueness (Entra ID then matches instead)', async () => {
    expectScimError(
      await entra('POST', '/Users', {
        schemas: [USER],
        userName: USER_NAME,
        name: { givenName: 'a', familyName: 'b' },
        emails: [{ value: EMAIL }],
      }),
      409,
      'uniqueness',
    );
  });

  it('7. PATCH with Replace ops (email, family name, displayName) and the enterprise manager removed: 200', async () => {
    const response = await entra('PATCH', `/Users/${id}`, {
      schemas: [PATCH],
      Operations: [
        { op: 'Replace', path: 'emails[type eq "work"].value', value: 'updatedEmail@testuser.com' },
        { op: 'Replace', path: 'name.familyName', value: 'updatedFamilyName' },
        { op: 'Replace', path: 'displayName', value: 'givenName updatedFamilyName' },
        { op: 'Add', path: 'title', value: 'Data officer' },
        { op: 'Remove', path: `${ENTERPRISE}:manager` },
      ],
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json<ScimUser>()).toMatchObject({
      emails: [{ value: 'updatedEmail@testuser.com' }],
      name: { familyName: 'updatedFamilyName' },
      displayName: 'givenName updatedFamilyName',
      title: 'Data officer',
    });
  });

  it('8. UPN change: PATCH Replace userName renames the account (audited old → new; sessions untouched)', async () => {
    // A session of the person, as if they had signed in: a rename must not end it.
    const now = app().clock.now();
    await app()
      .handle.db.insertInto('sessions')
      .values({
        id_hash: 'entra-rename-session',
        account_id: id,
        stage: 'signed_in',
        pending_totp_secret: null,
        created_at: now,
        last_seen_at: now,
        expires_at: new Date(now.getTime() + 3_600_000),
        ip: null,
        user_agent: null,
      })
      .execute();
    const response = await entra('PATCH', `/Users/${id}`, {
      schemas: [PATCH],
      Operations: [{ op: 'Replace', path: 'userName', value: RENAMED }],
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json<ScimUser>().userName).toBe(RENAMED);
    expect((await list(`userName eq "${USER_NAME}"`)).totalResults).toBe(0);
    expect((await list(`userName eq "${RENAMED}"`)).Resources.map((r) => r.id)).toEqual([id]);
    const renamed = (await auditOf(app(), id)).filter((e) => e.action === 'account.details-changed').at(-1);
    expect(renamed?.details).toEqual({ changes: { username: [USER_NAME, RENAMED] } });
    const kept = await app().handle.db.selectFrom('sessions').select('id_hash').where('account_id', '=', id).execute();
    expect(kept).toEqual([{ id_hash: 'entra-rename-session' }]);
    // The renamed person signs in with the new name in any case: R7 compares case-insensitively.
    const row = await app()
      .handle.db.selectFrom('accounts')
      .select('id')
      .where('username', '=', RENAMED.toUpperCase())
      .executeTakeFirst();
    expect(row?.id).toBe(id);
  });

  it('9. disable: PATCH Replace active "False" archives with reason provisioning; GET still finds it, inactive', async () => {
    const response = await entra('PATCH', `/Users/${id}`, {
      schemas: [PATCH],
      Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json<ScimUser>().active).toBe(false);
    expect((await entra('GET', `/Users/${id}`)).json<ScimUser>().active).toBe(false);
    const row = await app()
      .handle.db.selectFrom('accounts')
      .select(['status', 'archive_reason'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'archived', archive_reason: 'provisioning' });
  });

  it('10. DELETE /Users/{id}: 204; then 404 to GET, PATCH and DELETE, and no match — archived for the LA', async () => {
    const deleted = await entra('DELETE', `/Users/${id}`);
    expect(deleted.statusCode).toBe(204);
    expectScimError(await entra('GET', `/Users/${id}`), 404);
    expectScimError(
      await entra('PATCH', `/Users/${id}`, {
        schemas: [PATCH],
        Operations: [{ op: 'Replace', path: 'active', value: 'True' }],
      }),
      404,
    );
    expectScimError(await entra('DELETE', `/Users/${id}`), 404);
    expect((await list(`userName eq "${RENAMED}"`)).totalResults).toBe(0);
    const row = await app()
      .handle.db.selectFrom('accounts')
      .select(['status', 'archive_reason', 'deletion_due_at'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('archived');
    expect(row.archive_reason).toBe('provisioning');
    expect(row.deletion_due_at).not.toBeNull();
  });

  it('11. re-hire: POST of the same userName restores the archived account (same id), audited as such', async () => {
    const response = await entra('POST', '/Users', {
      schemas: [USER, ENTERPRISE],
      externalId: OBJECT_ID,
      userName: RENAMED,
      active: true,
      emails: [{ primary: true, type: 'work', value: 'rehired@testuser.com' }],
      name: { familyName: 'Rehired', givenName: 'givenName' },
    });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json<ScimUser>()).toMatchObject({
      id,
      userName: RENAMED,
      active: true,
      emails: [{ value: 'rehired@testuser.com' }],
      name: { familyName: 'Rehired' },
    });
    expect((await entra('GET', `/Users/${id}`)).statusCode).toBe(200);
    expect((await list(`userName eq "${RENAMED}"`)).Resources.map((r) => r.id)).toEqual([id]);
    const actions = (await auditOf(app(), id)).map((e) => e.action);
    expect(actions.slice(-5)).toEqual([
      'account.archived',
      'account.deprovisioned',
      'account.reprovisioned',
      'account.restored',
      'account.details-changed',
    ]);
    expect(await app().handle.db.selectFrom('accounts').select('id').where('username', '=', RENAMED).execute()).toEqual(
      [{ id }],
    );
  });

  it('12. deleted again, then re-hired under a new UPN with the same object id: the same account, renamed, not a 409', async () => {
    expect((await entra('DELETE', `/Users/${id}`)).statusCode).toBe(204);
    // The object id stays on the archived account; SCIM cannot see it there (404s, no match).
    expect((await list(`externalId eq "${OBJECT_ID}"`)).totalResults).toBe(0);
    const NEW_UPN = 'returner@testuser.com';
    const response = await entra('POST', '/Users', {
      schemas: [USER],
      externalId: OBJECT_ID,
      userName: NEW_UPN,
      active: true,
      emails: [{ primary: true, type: 'work', value: NEW_UPN }],
      name: { familyName: 'Returner', givenName: 'givenName' },
    });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json<ScimUser>()).toMatchObject({ id, userName: NEW_UPN, externalId: OBJECT_ID, active: true });
    const row = await app()
      .handle.db.selectFrom('accounts')
      .select(['username', 'status', 'deprovisioned_at'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ username: NEW_UPN, status: 'active', deprovisioned_at: null });
    expect((await auditOf(app(), id)).map((e) => e.action).slice(-6)).toEqual([
      'account.archived',
      'account.deprovisioned',
      'account.reprovisioned',
      'account.restored',
      // The rename (old → new) and the other details, as a PATCH of userName is audited.
      'account.details-changed',
      'account.details-changed',
    ]);
  });
});
