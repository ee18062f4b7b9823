import type { FastifyInstance } from 'fastify';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReportingApp } from '../examples/reporting-app/app.ts';
import { REPORTS } from '../examples/reporting-app/reports.ts';
import type { SessionStore } from '../examples/reporting-app/sessions.ts';
import { privilegeLabel } from '../src/domain/privileges.ts';
import { generateTotp, TOTP_PERIOD_SECONDS } from '../src/domain/totp.ts';
import { SYSTEM_CONTEXT } from '../src/services/request-context.ts';
import { createAccount, TEST_PASSWORD, type FixtureAccount } from '../test/support/fixtures.ts';
import { JourneyTab } from './support/browser.ts';
import { freePort, onLocalhost } from './support/localhost.ts';
import { expectPage, seedNorthshireAdmin, signedInTab, useJourneyServer } from './support/journey-server.ts';
import { SignInPage } from './support/pages/sign-in-page.ts';
import { UserPage } from './support/pages/user-page.ts';

/**
 * The example application (examples/reporting-app, issue 16 item 8) in Chromium, signing a person
 * in through Nexus: the app's start page → Nexus's sign-in (password, then the TOTP code) → back in
 * the app with exactly the reports of the person's privileges, for their schools; an administrator
 * removes pupil_level → gone from the app after its next refresh; the administrator archives the
 * account → the app's session ends by back-channel logout, and its refresh token is refused. axe,
 * the Nu checker and the 375 px check judge the app's pages as they do Nexus's (expectPage).
 */
const TIMEOUT = 240_000;

const journey = useJourneyServer({ env: onLocalhost });

let admin: FixtureAccount;
let olu: FixtureAccount;
let app: FastifyInstance;
let sessions: SessionStore;
let appUrl: string;
let rp: client.Configuration;
/** The app's clock runs ahead of the real one by this much: a refresh due in minutes, at once. */
let appClockAhead = 0;

const OLU = { name: 'Olu Officer', la: 'Northshire (931)', type: 'LA Officer / Analyst' };

beforeAll(async () => {
  const seeded = await seedNorthshireAdmin(journey);
  admin = seeded.admin;
  olu = await createAccount(journey.db, journey.config.secretKey, {
    organisationId: seeded.organisationId,
    username: 'olu.officer',
    firstName: 'Olu',
    lastName: 'Officer',
    userType: 'la_officer',
    privileges: ['view_users', 'summary_reports', 'pupil_level'],
  });
  const now = journey.clock.now();
  const schools = await journey.db
    .insertInto('schools')
    .values(
      [
        [931001, 'Acorn Primary School'],
        [931002, 'Beech Hill Academy'],
        [931003, 'Cedar Park School'],
      ].map(([urn, name]) => ({
        urn: urn as number,
        organisation_id: seeded.organisationId,
        name: name as string,
        phase: 'Primary',
        updated_at: now,
      })),
    )
    .returning(['id', 'urn'])
    .execute();
  // My Schools: Acorn; the Default School Group: Acorn and Beech. Cedar is neither.
  await journey.db
    .insertInto('school_assignments')
    .values({ account_id: olu.id, school_id: schools[0]!.id, role: 'headteacher', assigned_at: now })
    .execute();
  const group = await journey.db
    .insertInto('school_groups')
    .values({ organisation_id: seeded.organisationId, name: 'North cluster', created_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  await journey.db
    .insertInto('school_group_schools')
    .values(schools.slice(0, 2).map((s) => ({ school_group_id: group.id, school_id: s.id })))
    .execute();
  await journey.db
    .insertInto('account_school_groups')
    .values({ account_id: olu.id, school_group_id: group.id })
    .execute();
  await journey.db
    .updateTable('accounts')
    .set({ default_school_group_id: group.id })
    .where('id', '=', olu.id)
    .execute();

  // The app on a port of its own, registered as central support would register it.
  const port = await freePort();
  appUrl = `http://localhost:${port}`;
  const { application, clientSecret } = await journey.server.runtime.services.applications.register(
    { kind: 'system', label: 'journey' },
    {
      name: 'Reporting (example)',
      redirectUris: [`${appUrl}/callback`],
      backchannelLogoutUri: `${appUrl}/backchannel-logout`,
    },
    SYSTEM_CONTEXT,
  );
  const issuer = new URL(`${journey.config.baseUrl}/oidc`);
  ({ app, sessions } = await buildReportingApp({
    issuer,
    clientId: application.clientId,
    clientSecret,
    appUrl: new URL(appUrl),
    now: () => Date.now() + appClockAhead,
  }));
  await app.listen({ port, host: 'localhost' });
  // The test's own view of the app's registration, to try a refresh token after the app has gone.
  rp = await client.discovery(issuer, application.clientId, undefined, client.ClientSecretBasic(clientSecret), {
    execute: [client.allowInsecureRequests],
  });
}, 180_000);
afterAll(async () => app?.close());

/** What Nexus holds for the account now: its privileges, and My Schools with the Default School Group's. */
async function inNexus(accountId: string): Promise<{ privileges: string[]; schools: string[] }> {
  const privileges = await journey.db
    .selectFrom('account_privileges')
    .select('privilege')
    .where('account_id', '=', accountId)
    .execute();
  const mine = await journey.db
    .selectFrom('school_assignments')
    .innerJoin('schools', 'schools.id', 'school_assignments.school_id')
    .select('schools.name')
    .where('account_id', '=', accountId)
    .execute();
  const grouped = await journey.db
    .selectFrom('accounts')
    .innerJoin('school_group_schools', 'school_group_schools.school_group_id', 'accounts.default_school_group_id')
    .innerJoin('schools', 'schools.id', 'school_group_schools.school_id')
    .select('schools.name')
    .where('accounts.id', '=', accountId)
    .execute();
  return {
    privileges: privileges.map((p) => p.privilege),
    schools: [...new Set([...mine, ...grouped].map((s) => s.name))].sort(),
  };
}

const main = (tab: JourneyTab) => tab.page.locator('main');

/** The reports page as the person sees it: who, and each report with its schools. */
async function shownReports(tab: JourneyTab) {
  const who: Record<string, string> = {};
  for (const row of await main(tab).locator('.govuk-summary-list__row').all())
    who[(await row.locator('dt').innerText()).trim()] = (await row.locator('dd').innerText()).trim();
  const reports: Record<string, string[]> = {};
  for (const section of await main(tab).locator('section.app-report').all()) {
    const title = (await section.locator('h2').innerText()).trim();
    reports[title] = (await section.locator('tbody a').allInnerTexts()).map((s) => s.trim()).sort();
  }
  return { who, reports };
}

/** The reports Nexus's current privileges and schools allow, as the app should list them. */
async function expectedReports(accountId: string): Promise<Record<string, string[]>> {
  const { privileges, schools } = await inNexus(accountId);
  return Object.fromEntries(REPORTS.filter((r) => privileges.includes(r.privilege)).map((r) => [r.title, schools]));
}

/**
 * A new browser at the app's start page, signed in through Nexus (username, password, TOTP code),
 * back at the app's reports.
 */
async function signedInToApp(account: FixtureAccount, javaScript = true): Promise<JourneyTab> {
  const tab = await JourneyTab.open(journey.browser, { baseUrl: appUrl, javaScript });
  journey.tabs.push(tab);
  await reload(tab, 'Reporting (example)');
  await tab.navigate(() => main(tab).getByRole('button', { name: 'Sign in with Nexus Accounts' }).click());
  expect(new URL(tab.page.url()).origin).toBe(journey.config.baseUrl);
  const twoFactor = await new SignInPage(tab).expectOn().then((page) => page.signIn(account.username, TEST_PASSWORD));
  journey.clock.advance(TOTP_PERIOD_SECONDS * 1000);
  await twoFactor.page
    .getByLabel('Enter your security code', { exact: true })
    .fill(generateTotp(account.totpSecret!, journey.clock.now()));
  await tab.navigate(() => main(tab).getByRole('button', { name: 'Sign in', exact: true }).click());
  expect(new URL(tab.page.url()).origin).toBe(appUrl);
  await expectPage(tab, 'Your reports');
  return tab;
}

async function reload(tab: JourneyTab, heading: string, status = 200): Promise<void> {
  await tab.goto('/');
  await expectPage(tab, heading, status);
}

describe('The example reporting application, signing in through Nexus', () => {
  let tab: JourneyTab;
  let adminTab: JourneyTab;

  it(
    'signs the person in with password and TOTP, and lists exactly the reports of their privileges for their schools',
    async () => {
      tab = await signedInToApp(olu);

      const shown = await shownReports(tab);
      expect(shown.who).toEqual({ Name: OLU.name, 'Local Authority': OLU.la, 'Type of User': OLU.type });
      const expected = await expectedReports(olu.id);
      expect(shown.reports).toEqual(expected);
      // The fixture's privileges give two of the three reports; My Schools plus the group's give two schools.
      expect(Object.keys(shown.reports)).toEqual(['School census summary', 'Pupil-level attainment']);
      expect(shown.reports['Pupil-level attainment']).toEqual(['Acorn Primary School', 'Beech Hill Academy']);

      await tab.navigate(() =>
        main(tab)
          .locator('section', { hasText: 'Pupil-level attainment' })
          .getByRole('link', { name: 'Beech Hill Academy' })
          .click(),
      );
      await expectPage(tab, 'Pupil-level attainment');
      // A school that is not theirs is refused by the app, whatever the address says.
      await tab.goto('/reports/pupil-level-attainment/931003');
      await expectPage(tab, 'You cannot open this report', 403);
    },
    TIMEOUT,
  );

  it(
    'drops the pupil-level report at the next refresh once an administrator removes pupil_level',
    async () => {
      adminTab = await signedInTab(journey, admin, 'Ada Admin', true);
      await adminTab.goto(`/admin/users/${olu.id}/privileges`);
      const privileges = await new UserPage(adminTab, 'Olu Officer').expectOn('Privileges');
      await privileges.setPrivilege(privilegeLabel('pupil_level'), false);
      await privileges.savePrivileges();
      expect((await inNexus(olu.id)).privileges).not.toContain('pupil_level');

      // Until the access token expires the app goes on with the claims it has.
      await reload(tab, 'Your reports');
      expect(Object.keys((await shownReports(tab)).reports)).toContain('Pupil-level attainment');

      const before = sessions.signedIn()[0]!;
      appClockAhead = before.expiresAt - Date.now();
      await reload(tab, 'Your reports');
      expect(sessions.signedIn()[0]!.refreshToken).not.toBe(before.refreshToken);
      const shown = await shownReports(tab);
      expect(shown.reports).toEqual(await expectedReports(olu.id));
      expect(Object.keys(shown.reports)).toEqual(['School census summary']);
      await tab.goto('/reports/pupil-level-attainment/931001');
      await expectPage(tab, 'You cannot open this report', 403);
    },
    TIMEOUT,
  );

  it(
    'ends the app session by back-channel logout when the administrator archives the account; its refresh token is refused',
    async () => {
      const held = sessions.signedIn()[0]!;
      expect(held.person.sub).toBe(olu.id);
      await adminTab.goto(`/admin/users/${olu.id}`);
      const user = await new UserPage(adminTab, 'Olu Officer').expectOn();
      await (await user.startArchive()).confirm();

      // The back-channel logout arrives from Nexus's queue, not from anything the browser does.
      const deadline = Date.now() + 60_000;
      while (sessions.signedIn().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
      expect(sessions.signedIn()).toEqual([]);
      // The app's clock has not moved: no refresh was due, so only the logout token can have ended it.
      await reload(tab, 'You have been signed out');
      await reload(tab, 'Reporting (example)');

      const refused = await client.refreshTokenGrant(rp, held.refreshToken!).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(client.ResponseBodyError);
      expect((refused as client.ResponseBodyError).error).toBe('invalid_grant');
    },
    TIMEOUT,
  );

  it(
    'works without JavaScript, and tells a person with no schools so instead of listing reports',
    async () => {
      const adaTab = await signedInToApp(admin, false);
      const shown = await shownReports(adaTab);
      expect(shown.who).toEqual({
        Name: 'Ada Admin',
        'Local Authority': 'Northshire (931)',
        'Type of User': 'LA Administrator',
      });
      expect((await inNexus(admin.id)).schools).toEqual([]);
      expect(shown.reports).toEqual({});
      expect(await main(adaTab).innerText()).toContain('You have no schools in Nexus Accounts');
    },
    TIMEOUT,
  );

  it(
    'ends the app session when Nexus refuses its refresh: the next page says signed out',
    async () => {
      const adaTab = await signedInToApp(admin);
      // This browser's session is the newest.
      const held = sessions.signedIn().at(-1)!;
      expect(held.person.sub).toBe(admin.id);
      // Revoked at Nexus (as a grant ended there would be), so the app's next refresh is refused.
      await client.tokenRevocation(rp, held.refreshToken!, { token_type_hint: 'refresh_token' });
      appClockAhead = held.expiresAt - Date.now();
      await reload(adaTab, 'You have been signed out');
      expect(sessions.signedIn().map((s) => s.refreshToken)).not.toContain(held.refreshToken);
      await reload(adaTab, 'Reporting (example)');
    },
    TIMEOUT,
  );

  it(
    'signs out: the app forgets the session, and Nexus asks whether to sign out there too (RP-initiated logout)',
    async () => {
      const adaTab = await signedInToApp(admin);
      expect((await shownReports(adaTab)).who.Name).toBe('Ada Admin');
      const before = sessions.signedIn().length;
      await adaTab.navigate(() => adaTab.page.getByRole('button', { name: 'Sign out', exact: true }).click());
      expect(sessions.signedIn()).toHaveLength(before - 1);
      expect(new URL(adaTab.page.url()).origin).toBe(journey.config.baseUrl);
      await expectPage(adaTab, 'Do you want to sign out of Reporting (example)?');
      await adaTab.navigate(() => main(adaTab).getByRole('button', { name: 'Yes, sign out' }).click());
      await expectPage(adaTab, 'You have signed out');
      await adaTab.goto(`${appUrl}/`);
      await expectPage(adaTab, 'Reporting (example)');
    },
    TIMEOUT,
  );

  it('refuses a logout token that is missing, malformed or not signed by Nexus, changing nothing', async () => {
    const post = (body: string) =>
      fetch(`${appUrl}/backchannel-logout`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
    for (const body of ['', 'logout_token=', 'logout_token=not.a.jwt', `logout_token=${unsignedLogoutToken(olu.id)}`]) {
      const response = await post(body);
      expect(response.status, body).toBe(400);
      expect(((await response.json()) as { error: string }).error).toBe('invalid_request');
    }
  });
});

/** A logout token of the right shape, signed by nobody (alg none). */
function unsignedLogoutToken(sub: string): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'logout+jwt' })}.${part({
    iss: `${journey.config.baseUrl}/oidc`,
    aud: 'anything',
    iat: Math.floor(Date.now() / 1000),
    jti: 'x',
    sub,
    events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
  })}.`;
}
