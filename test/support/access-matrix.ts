import { randomUUID } from 'node:crypto';
import type { Db } from '../../src/data/database.ts';
import { createAccount, createOrganisation, type FixtureAccount } from './fixtures.ts';

/**
 * The access matrix (issues 3 and 5): every page and action × every kind of caller, in one
 * table that drives both the page suite (test/db/admin-access-matrix.test.ts) and the API suite
 * (test/db/api-access-matrix.test.ts). Each cell runs against a fresh target account of Camden.
 * Page statuses: 200 page, 303 done, 403 no privilege, 404 another LA's id, 302 sent to sign in.
 */

export interface MatrixContext {
  camden: number;
  schoolOne: number;
  schoolTwo: number;
  /** A finished access review of Camden (its evidence pages). */
  finishedReview: string;
}

export interface ApiEquivalent {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  body?: (cell: string, ctx: MatrixContext) => unknown;
  success: 200 | 201 | 204;
  expect?: Partial<Record<Caller, number>>;
}

export type Caller =
  'ownAdmin' | 'ownOfficer' | 'ownReader' | 'otherAdmin' | 'support' | 'signedOut' | 'archivedSession';
export const CALLERS: Caller[] = [
  'ownAdmin',
  'ownOfficer',
  'ownReader',
  'otherAdmin',
  'support',
  'signedOut',
  'archivedSession',
];

export interface Row {
  name: string;
  method: 'GET' | 'POST';
  /**
   * `:id` is the target account, `:school` a school of Camden assigned to it, `:review` an open
   * access review of Camden holding the target, `:finished` a finished review of Camden.
   */
  path: string;
  body?: (cell: string, ctx: MatrixContext, targetId: string) => Record<string, string | string[]>;
  /** Sent as a file upload (multipart) instead of a form. */
  upload?: (cell: string) => string;
  /** Before the cell: 'open' opens a fresh Camden review holding the target; 'none' closes Camden's open ones. */
  review?: 'open' | 'none';
  /**
   * The same action in the JSON API. Its expected statuses follow the page's: a done page (200
   * or 303) is `success`, 403 and 404 stay, and sent-to-sign-in (302) is 401; `expect` lists the
   * cells where the API answers differently on purpose.
   */
  api?: ApiEquivalent;
  /** The target starts archived. */
  archived?: boolean;
  /** The target has never set a password (an invitation not taken up). */
  invited?: boolean;
  /** Does the row change the target? (Then a refused cell must leave it exactly as it was.) */
  changes?: boolean;
  expect: Record<Caller, number>;
}

//                                                      ownAdmin ownOfficer ownReader otherAdmin support signedOut archivedSession
const x = (a: number, b: number, c: number, d: number, e: number, f: number, g: number): Record<Caller, number> => ({
  ownAdmin: a,
  ownOfficer: b,
  ownReader: c,
  otherAdmin: d,
  support: e,
  signedOut: f,
  archivedSession: g,
});

export const MATRIX: Row[] = [
  {
    name: 'list users',
    method: 'GET',
    path: '/admin/users',
    api: { method: 'GET', path: '/api/v1/users', success: 200 },
    expect: x(200, 200, 403, 200, 200, 302, 302),
  },
  {
    name: 'list Camden (other LA: contacts)',
    method: 'GET',
    path: '/admin/users?la=202',
    api: { method: 'GET', path: '/api/v1/users?la=202', success: 200, expect: { otherAdmin: 404 } },
    expect: x(200, 200, 403, 200, 200, 302, 302),
  },
  { name: 'export CSV', method: 'GET', path: '/admin/users/export.csv', expect: x(200, 200, 403, 200, 200, 302, 302) },
  {
    name: 'export Camden CSV',
    method: 'GET',
    path: '/admin/users/export.csv?la=202',
    expect: x(200, 200, 403, 404, 200, 302, 302),
  },
  {
    name: 'export CSV for import',
    method: 'GET',
    path: '/admin/users/export-for-import.csv',
    expect: x(200, 200, 403, 200, 200, 302, 302),
  },
  {
    name: 'export Camden CSV for import',
    method: 'GET',
    path: '/admin/users/export-for-import.csv?la=202',
    expect: x(200, 200, 403, 404, 200, 302, 302),
  },
  { name: 'create user form', method: 'GET', path: '/admin/users/new', expect: x(200, 403, 403, 200, 200, 302, 302) },
  {
    name: 'create user in Camden form',
    method: 'GET',
    path: '/admin/users/new?la=202',
    expect: x(200, 403, 403, 404, 200, 302, 302),
  },
  {
    name: 'create user in Camden',
    method: 'POST',
    path: '/admin/users/new?la=202',
    body: (cell) => ({
      username: `new.${cell}`,
      firstName: 'New',
      lastName: 'Person',
      email: 'new@camden.gov.uk',
      userType: 'la_officer',
    }),
    api: {
      method: 'POST',
      path: '/api/v1/users',
      body: (cell) => ({
        la: '202',
        username: `new.${cell}`,
        firstName: 'New',
        lastName: 'Person',
        email: 'new@camden.gov.uk',
        userType: 'la_officer',
      }),
      success: 201,
    },
    expect: x(303, 403, 403, 404, 303, 302, 302),
  },
  {
    name: 'user page',
    method: 'GET',
    path: '/admin/users/:id',
    api: { method: 'GET', path: '/api/v1/users/:id', success: 200 },
    expect: x(200, 200, 403, 404, 200, 302, 302),
  },
  {
    name: 'communications tab',
    method: 'GET',
    path: '/admin/users/:id/communications',
    expect: x(200, 200, 403, 404, 200, 302, 302),
  },
  {
    name: 'schools tab',
    method: 'GET',
    path: '/admin/users/:id/schools',
    api: { method: 'GET', path: '/api/v1/users/:id/schools', success: 200 },
    expect: x(200, 200, 403, 404, 200, 302, 302),
  },
  {
    name: 'privileges tab',
    method: 'GET',
    path: '/admin/users/:id/privileges',
    api: { method: 'GET', path: '/api/v1/users/:id/privileges', success: 200 },
    expect: x(200, 200, 403, 404, 200, 302, 302),
  },
  {
    name: 'edit details form',
    method: 'GET',
    path: '/admin/users/:id/edit',
    expect: x(200, 403, 403, 404, 200, 302, 302),
  },
  {
    name: 'edit details',
    method: 'POST',
    path: '/admin/users/:id/edit',
    changes: true,
    body: () => ({
      firstName: 'Changed',
      lastName: 'Name',
      email: 'changed@camden.gov.uk',
      jobTitle: '',
      phone: '',
      accessEndDate: '',
    }),
    api: {
      method: 'PATCH',
      path: '/api/v1/users/:id',
      body: () => ({ firstName: 'Changed', email: 'changed@camden.gov.uk' }),
      success: 200,
    },
    expect: x(303, 403, 403, 404, 303, 302, 302),
  },
  {
    name: 'add school',
    method: 'POST',
    path: '/admin/users/:id/schools',
    changes: true,
    body: (_cell, ctx) => ({ schoolId: String(ctx.schoolTwo), role: 'consultant' }),
    expect: x(303, 403, 403, 404, 303, 302, 302),
  },
  {
    name: 'remove school',
    method: 'POST',
    path: '/admin/users/:id/schools/:school/remove',
    changes: true,
    expect: x(303, 403, 403, 404, 303, 302, 302),
  },
  {
    name: 'replace schools',
    method: 'POST',
    path: '/admin/users/:id/schools/replace',
    changes: true,
    body: (_cell, ctx) => ({ schools: [String(ctx.schoolTwo)], newRole: 'governor' }),
    api: {
      method: 'PUT',
      path: '/api/v1/users/:id/schools',
      body: (_cell, ctx) => ({ items: [{ schoolId: ctx.schoolTwo, role: 'governor' }] }),
      success: 200,
    },
    expect: x(303, 403, 403, 404, 303, 302, 302),
  },
  {
    name: 'change privileges',
    method: 'POST',
    path: '/admin/users/:id/privileges',
    changes: true,
    body: () => ({ userType: 'read_only', privileges: ['summary_reports'], action: 'save' }),
    api: {
      method: 'PUT',
      path: '/api/v1/users/:id/privileges',
      body: () => ({ userType: 'read_only', privileges: ['summary_reports'] }),
      success: 200,
    },
    expect: x(303, 403, 403, 404, 303, 302, 302),
  },
  {
    name: 'archive confirmation',
    method: 'GET',
    path: '/admin/users/:id/archive',
    expect: x(200, 403, 403, 404, 200, 302, 302),
  },
  {
    name: 'archive',
    method: 'POST',
    path: '/admin/users/:id/archive',
    changes: true,
    api: { method: 'POST', path: '/api/v1/users/:id/archive', success: 200 },
    expect: x(303, 403, 403, 404, 303, 302, 302),
  },
  {
    name: 'delete confirmation',
    method: 'GET',
    path: '/admin/users/:id/delete',
    expect: x(200, 403, 403, 404, 200, 302, 302),
  },
  {
    name: 'delete',
    method: 'POST',
    path: '/admin/users/:id/delete',
    changes: true,
    api: { method: 'DELETE', path: '/api/v1/users/:id', success: 204 },
    expect: x(303, 403, 403, 404, 303, 302, 302),
  },
  {
    name: 'reset 2FA confirmation',
    method: 'GET',
    path: '/admin/users/:id/reset-two-factor',
    expect: x(200, 403, 403, 404, 200, 302, 302),
  },
  {
    name: 'reset 2FA',
    method: 'POST',
    path: '/admin/users/:id/reset-two-factor',
    changes: true,
    api: { method: 'POST', path: '/api/v1/users/:id/reset-two-factor', success: 204 },
    expect: x(303, 403, 403, 404, 303, 302, 302),
  },
  {
    name: 'resend invitation',
    method: 'POST',
    path: '/admin/users/:id/resend-invitation',
    invited: true,
    changes: true,
    expect: x(303, 403, 403, 404, 303, 302, 302),
  },
  {
    name: 'archived users',
    method: 'GET',
    path: '/admin/archived-users',
    expect: x(200, 403, 403, 200, 200, 302, 302),
  },
  {
    name: 'archived users of Camden',
    method: 'GET',
    path: '/admin/archived-users?la=202',
    expect: x(200, 403, 403, 404, 200, 302, 302),
  },
  {
    name: 'account audit timeline',
    method: 'GET',
    path: '/admin/users/:id/audit',
    expect: x(200, 403, 403, 404, 200, 302, 302),
  },
  {
    name: 'audit log',
    method: 'GET',
    path: '/admin/audit',
    api: { method: 'GET', path: '/api/v1/audit-events', success: 200 },
    expect: x(200, 403, 403, 200, 200, 302, 302),
  },
  {
    name: 'audit log of Camden',
    method: 'GET',
    path: '/admin/audit?la=202',
    api: { method: 'GET', path: '/api/v1/audit-events?la=202', success: 200 },
    expect: x(200, 403, 403, 404, 200, 302, 302),
  },
  {
    name: 'audit CSV of Camden',
    method: 'GET',
    path: '/admin/audit/export.csv?la=202',
    expect: x(200, 403, 403, 404, 200, 302, 302),
  },
  { name: 'lifecycle preview', method: 'GET', path: '/admin/lifecycle', expect: x(200, 403, 403, 200, 200, 302, 302) },
  {
    name: 'security alerts',
    method: 'GET',
    path: '/admin/security-alerts',
    expect: x(200, 403, 403, 200, 200, 302, 302),
  },
  {
    name: 'security alerts of Camden',
    method: 'GET',
    path: '/admin/security-alerts?la=202',
    expect: x(200, 403, 403, 404, 200, 302, 302),
  },
  {
    name: 'lifecycle preview of Camden',
    method: 'GET',
    path: '/admin/lifecycle?la=202&days=60',
    api: { method: 'GET', path: '/api/v1/lifecycle/preview?la=202&days=60', success: 200 },
    expect: x(200, 403, 403, 404, 200, 302, 302),
  },
  { name: 'school groups', method: 'GET', path: '/admin/school-groups', expect: x(200, 403, 403, 200, 200, 302, 302) },
  {
    name: 'school groups of Camden',
    method: 'GET',
    path: '/admin/school-groups?la=202',
    expect: x(200, 403, 403, 404, 200, 302, 302),
  },
  {
    name: 'import users form',
    method: 'GET',
    path: '/admin/users/import',
    expect: x(200, 403, 403, 200, 200, 302, 302),
  },
  {
    name: 'import users into Camden form',
    method: 'GET',
    path: '/admin/users/import?la=202',
    expect: x(200, 403, 403, 404, 200, 302, 302),
  },
  {
    name: 'import template of Camden',
    method: 'GET',
    path: '/admin/users/import/template.csv?la=202',
    expect: x(200, 403, 403, 404, 200, 302, 302),
  },
  {
    name: 'import users into Camden',
    method: 'POST',
    path: '/admin/users/import?la=202',
    upload: (cell) =>
      `username,first_name,last_name,email,user_type\r\nimported.${cell},Imp,Orted,imported@camden.gov.uk,read_only\r\n`,
    expect: x(200, 403, 403, 404, 200, 302, 302),
  },
  {
    name: 'import school assignments of Camden form',
    method: 'GET',
    path: '/admin/users/import-schools?la=202',
    expect: x(200, 403, 403, 404, 200, 302, 302),
  },
  {
    name: 'import school assignments of Camden',
    method: 'POST',
    path: '/admin/users/import-schools?la=202',
    changes: true,
    upload: (cell) => `username,urn,role\r\ntarget.${cell},100002,governor\r\n`,
    expect: x(200, 403, 403, 404, 200, 302, 302),
  },
  { name: 'access reviews', method: 'GET', path: '/admin/reviews', expect: x(200, 403, 403, 200, 200, 302, 302) },
  {
    name: 'access reviews of Camden',
    method: 'GET',
    path: '/admin/reviews?la=202',
    expect: x(200, 403, 403, 404, 200, 302, 302),
  },
  {
    name: 'start a review of Camden form',
    method: 'GET',
    path: '/admin/reviews/new?la=202',
    expect: x(200, 403, 403, 404, 200, 302, 302),
  },
  {
    name: 'start a review of Camden',
    method: 'POST',
    path: '/admin/reviews/new?la=202',
    review: 'none',
    body: (cell) => ({ name: `Matrix ${cell}`, dueOn: '2027-01-31' }),
    expect: x(303, 403, 403, 404, 303, 302, 302),
  },
  {
    name: 'review page',
    method: 'GET',
    path: '/admin/reviews/:review',
    review: 'open',
    expect: x(200, 403, 403, 404, 200, 302, 302),
  },
  {
    name: 'review item page',
    method: 'GET',
    path: '/admin/reviews/:review/items/:id',
    review: 'open',
    expect: x(200, 403, 403, 404, 200, 302, 302),
  },
  {
    name: 'review decision (change privileges)',
    method: 'POST',
    path: '/admin/reviews/:review/items/:id',
    review: 'open',
    changes: true,
    body: () => ({
      stillEmployed: 'yes',
      postNeedsAccess: 'yes',
      pupilLevelRight: 'no',
      cinClaRight: 'yes',
      decision: 'change',
      note: 'Matrix',
      userType: 'read_only',
      privileges: ['summary_reports'],
      version: '1',
    }),
    expect: x(303, 403, 403, 404, 303, 302, 302),
  },
  {
    name: 'review bulk archive',
    method: 'POST',
    path: '/admin/reviews/:review/bulk',
    review: 'open',
    changes: true,
    body: (_cell, _ctx, targetId) => ({ items: [`${targetId}:1`], decision: 'archive', note: 'Matrix' }),
    expect: x(303, 403, 403, 404, 303, 302, 302),
  },
  {
    name: 'finish review confirmation',
    method: 'GET',
    path: '/admin/reviews/:review/finish',
    review: 'open',
    expect: x(200, 403, 403, 404, 200, 302, 302),
  },
  // The target is not decided yet, so finishing is refused (409) once the caller is allowed to try.
  {
    name: 'finish review',
    method: 'POST',
    path: '/admin/reviews/:review/finish',
    review: 'open',
    expect: x(409, 403, 403, 404, 409, 302, 302),
  },
  {
    name: 'review evidence page',
    method: 'GET',
    path: '/admin/reviews/:finished/evidence',
    expect: x(200, 403, 403, 404, 200, 302, 302),
  },
  {
    name: 'review evidence CSV',
    method: 'GET',
    path: '/admin/reviews/:finished/evidence.csv',
    expect: x(200, 403, 403, 404, 200, 302, 302),
  },
  {
    name: 'sent email (support)',
    method: 'GET',
    path: '/support/sent-email',
    expect: x(403, 403, 403, 403, 200, 302, 302),
  },
  {
    name: 'school imports (support)',
    method: 'GET',
    path: '/support/school-imports',
    expect: x(403, 403, 403, 403, 200, 302, 302),
  },
  {
    // Applications that sign people in through Nexus (R61): central support only; LAs cannot register them.
    name: 'applications (support)',
    method: 'GET',
    path: '/support/applications',
    expect: x(403, 403, 403, 403, 200, 302, 302),
  },
  {
    // Past the access table, a registration without a name is refused (400) and nothing is saved.
    name: 'register an application (support)',
    method: 'POST',
    path: '/support/applications',
    body: () => ({ name: '', redirectUris: 'https://reports.nexus.example/callback' }),
    expect: x(403, 403, 403, 403, 400, 302, 302),
  },
  {
    // No such application: support is told so (404); the table refuses everyone else first.
    name: 'disable an application (support)',
    method: 'POST',
    path: '/support/applications/no-such-client/disable',
    expect: x(403, 403, 403, 403, 404, 302, 302),
  },
  {
    // An extract with no URN column: refused with its reason (400) for support, nothing written.
    name: 'import a GIAS extract (support)',
    method: 'POST',
    path: '/support/school-imports',
    upload: (cell) => `EstablishmentName\r\nSchool ${cell}\r\n`,
    expect: x(403, 403, 403, 403, 400, 302, 302),
  },
  {
    name: 'choose the Local Authority (support)',
    method: 'GET',
    path: '/support/la-context',
    expect: x(403, 403, 403, 403, 200, 302, 302),
  },
  {
    name: 'communications form (support)',
    method: 'GET',
    path: '/support/communications',
    expect: x(403, 403, 403, 403, 200, 302, 302),
  },
  {
    name: 'lifecycle preview API',
    method: 'GET',
    path: '/api/v1/lifecycle/preview?la=202',
    expect: x(200, 403, 403, 404, 200, 401, 401),
  },
  {
    name: 'my account',
    method: 'GET',
    path: '/my-account',
    api: { method: 'GET', path: '/api/v1/me', success: 200 },
    expect: x(200, 200, 200, 200, 200, 302, 302),
  },
  { name: 'API tokens', method: 'GET', path: '/admin/api-tokens', expect: x(200, 403, 403, 200, 200, 302, 302) },
  {
    name: 'API tokens of Camden',
    method: 'GET',
    path: '/admin/api-tokens?la=202',
    expect: x(200, 403, 403, 404, 200, 302, 302),
  },
  {
    name: 'create API token form',
    method: 'GET',
    path: '/admin/api-tokens/new',
    expect: x(200, 403, 403, 200, 200, 302, 302),
  },
  {
    name: 'create API token',
    method: 'POST',
    path: '/admin/api-tokens/new',
    body: (cell) => ({ name: `token ${cell}`, lifetimeDays: '30' }),
    expect: x(200, 403, 403, 200, 200, 302, 302),
  },
  {
    name: 'sign-in settings (own LA provider)',
    method: 'GET',
    path: '/admin/sign-in-settings',
    expect: x(200, 403, 403, 200, 200, 302, 302),
  },
  {
    name: 'sign-in settings of Camden',
    method: 'GET',
    path: '/admin/sign-in-settings?la=202',
    expect: x(200, 403, 403, 404, 200, 302, 302),
  },
  {
    // Past the access table, an empty issuer is refused (400) and nothing is saved; outside it, 403 or 404.
    name: 'save sign-in settings of Camden',
    method: 'POST',
    path: '/admin/sign-in-settings?la=202',
    body: () => ({ issuer: '', clientId: 'nexus', clientSecret: 'secret', signIn: 'off' }),
    expect: x(400, 403, 403, 404, 400, 302, 302),
  },
  {
    // "No" when it is already no: those the table lets through are told nothing changed (303).
    name: 'passkey sign-in setting of Camden',
    method: 'POST',
    path: '/admin/sign-in-settings/passkeys?la=202',
    body: () => ({ passkeySignIn: 'no' }),
    expect: x(303, 403, 403, 404, 303, 302, 302),
  },
  {
    // Camden has no provider saved: those the table lets through are told to save first (409).
    name: 'test the connection of Camden',
    method: 'POST',
    path: '/admin/sign-in-settings/test?la=202',
    expect: x(409, 403, 403, 404, 409, 302, 302),
  },
  {
    // Public (R64): the username's LA (Camden) has no provider here, so everyone is shown the password step.
    name: 'sign in with the LA account (no provider: the password step)',
    method: 'POST',
    path: '/sign-in/la-account',
    body: () => ({ username: 'camden.target' }),
    expect: x(200, 200, 200, 200, 200, 200, 200),
  },
  {
    // Public (R64): an answer that matches no sign-in in progress of this browser is refused, whoever sends it.
    name: 'LA-account callback with no sign-in in progress',
    method: 'GET',
    path: '/sign-in/la-account/callback?code=forged&state=forged',
    expect: x(401, 401, 401, 401, 401, 401, 401),
  },
  {
    name: 'restore',
    method: 'POST',
    path: '/admin/archived-users/:id/restore',
    archived: true,
    changes: true,
    api: { method: 'POST', path: '/api/v1/users/:id/restore', success: 200 },
    expect: x(303, 403, 403, 404, 303, 302, 302),
  },
];

/** What the API must answer for a row and caller, derived from the page's expectation. */
export function apiExpectation(row: Row & { api: ApiEquivalent }, caller: Caller): number {
  const override = row.api.expect?.[caller];
  if (override !== undefined) return override;
  const page = row.expect[caller];
  if (page === 200 || page === 303) return row.api.success;
  if (page === 302) return 401;
  return page;
}

/** Camden (with two schools), Kent, central support, and one account per kind of caller. */
export async function createMatrixWorld(db: Db, secretKey: string) {
  const camden = await createOrganisation(db, '202', 'Camden');
  const kent = await createOrganisation(db, '886', 'Kent');
  const central = await createOrganisation(db, 'central', 'NCER Support');
  const schools = await db
    .insertInto('schools')
    .values([
      { urn: 100001, organisation_id: camden, name: 'Camden Primary', phase: 'Primary', updated_at: new Date() },
      { urn: 100002, organisation_id: camden, name: 'Camden Secondary', phase: 'Secondary', updated_at: new Date() },
    ])
    .returning('id')
    .execute();
  const accounts: Record<Exclude<Caller, 'signedOut'>, FixtureAccount> & {
    organisations: Record<Exclude<Caller, 'signedOut'>, number>;
  } = {
    ownAdmin: await createAccount(db, secretKey, {
      organisationId: camden,
      username: 'camden.admin',
      userType: 'la_admin',
    }),
    ownOfficer: await createAccount(db, secretKey, {
      organisationId: camden,
      username: 'camden.officer',
      userType: 'la_officer',
    }),
    ownReader: await createAccount(db, secretKey, {
      organisationId: camden,
      username: 'camden.reader',
      userType: 'read_only',
    }),
    otherAdmin: await createAccount(db, secretKey, {
      organisationId: kent,
      username: 'kent.admin',
      userType: 'la_admin',
    }),
    support: await createAccount(db, secretKey, { organisationId: central, username: 'support', userType: 'support' }),
    archivedSession: await createAccount(db, secretKey, {
      organisationId: camden,
      username: 'camden.leaver',
      userType: 'la_admin',
    }),
    organisations: {
      ownAdmin: camden,
      ownOfficer: camden,
      ownReader: camden,
      otherAdmin: kent,
      support: central,
      archivedSession: camden,
    },
  };
  // A second Camden administrator, so that archiving or deleting a target is never refused by R17.
  await createAccount(db, secretKey, {
    organisationId: camden,
    username: 'camden.admin2',
    userType: 'la_admin',
    enrolled: false,
  });
  const finishedReview = randomUUID();
  await db
    .insertInto('access_reviews')
    .values({
      id: finishedReview,
      organisation_id: camden,
      name: 'Finished review',
      due_on: '2026-10-31',
      status: 'finished',
      opened_at: new Date('2026-10-01T00:00:00Z'),
      opened_by_label: 'camden.admin',
      finished_at: new Date('2026-10-20T00:00:00Z'),
      finished_by_label: 'camden.admin',
    })
    .execute();
  const ctx: MatrixContext = { camden, schoolOne: schools[0]!.id, schoolTwo: schools[1]!.id, finishedReview };
  return { ctx, accounts };
}

/** The leaver: archived after their session or token was issued. */
export async function archiveLeaver(db: Db, accountId: string): Promise<void> {
  await db
    .updateTable('accounts')
    .set({ status: 'archived', archived_at: new Date(), archive_reason: 'manual' })
    .where('id', '=', accountId)
    .execute();
}

/** A fresh target account of Camden for one cell, assigned to the first school. */
export async function createTarget(
  db: Db,
  secretKey: string,
  ctx: MatrixContext,
  cell: string,
  row: Pick<Row, 'archived' | 'invited'>,
): Promise<FixtureAccount> {
  const target = await createAccount(db, secretKey, {
    organisationId: ctx.camden,
    username: `target.${cell}`,
    status: row.archived ? 'archived' : 'active',
    userType: 'la_officer',
    ...(row.invited ? { password: null } : {}),
  });
  await db
    .insertInto('school_assignments')
    .values({ account_id: target.id, school_id: ctx.schoolOne, role: 'consultant', assigned_at: new Date() })
    .execute();
  return target;
}

/** Camden has at most one open review: close it, then (for 'open') open one holding the target. */
export async function prepareReview(
  db: Db,
  ctx: MatrixContext,
  kind: 'open' | 'none',
  targetId: string,
): Promise<string> {
  await db
    .updateTable('access_reviews')
    .set({ status: 'finished', finished_at: new Date() })
    .where('organisation_id', '=', ctx.camden)
    .where('status', '=', 'open')
    .execute();
  if (kind === 'none') return '';
  const id = randomUUID();
  await db
    .insertInto('access_reviews')
    .values({
      id,
      organisation_id: ctx.camden,
      name: 'Matrix review',
      due_on: '2027-01-31',
      status: 'open',
      opened_at: new Date(),
      opened_by_label: 'camden.admin',
    })
    .execute();
  await db
    .insertInto('access_review_items')
    .values({
      review_id: id,
      account_id: targetId,
      account_label: 'Target',
      snapshot: JSON.stringify({
        username: 'target',
        name: 'Target',
        email: '',
        userType: 'la_officer',
        privileges: ['view_users', 'summary_reports', 'pupil_level'],
        schools: [],
        lastSignInAt: null,
        createdAt: new Date().toISOString(),
      }),
    })
    .execute();
  return id;
}

/** Everything a refused cell must leave exactly as it was. */
export async function snapshot(db: Db, id: string): Promise<string> {
  const account = await db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
  const privileges = await db
    .selectFrom('account_privileges')
    .select('privilege')
    .where('account_id', '=', id)
    .orderBy('privilege')
    .execute();
  const schools = await db
    .selectFrom('school_assignments')
    .select(['school_id', 'role'])
    .where('account_id', '=', id)
    .orderBy('school_id')
    .execute();
  const sessions = await db.selectFrom('sessions').select('id_hash').where('account_id', '=', id).execute();
  const links = await db
    .selectFrom('account_tokens')
    .select(['token_hash', 'used_at'])
    .where('account_id', '=', id)
    .orderBy('token_hash')
    .execute();
  return JSON.stringify({ account, privileges, schools, sessions, links });
}
