import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { LightMyRequestResponse } from 'fastify';
import type { Db } from '../../src/data/database.ts';
import { hashToken, newToken } from '../../src/services/sign-in/secrets.ts';
import { createApiToken } from './api-client.ts';
import { FormClient } from './browser.ts';
import { createAccount, createOrganisation, TEST_PASSWORD, type FixtureAccount } from './fixtures.ts';
import { signInAs } from './sign-in.ts';
import type { TestApp } from './test-app.ts';

/**
 * The people, ids and database fingerprint of the route-enumerating fuzz suite: who calls each
 * route so that its handler really runs, what real value each path parameter gets, and whether a
 * refused request wrote anything.
 */
export type PrincipalName = 'admin' | 'support' | 'pending-two-factor' | 'pending-setup' | 'anonymous';

export interface Principal {
  name: PrincipalName;
  client: FormClient;
}

let serial = 0;
const next = (prefix: string) => `${prefix}${++serial}`;

export class FuzzWorld {
  camden = 0;
  kent = 0;
  central = 0;
  camdenSchool = 0;
  kentSchool = 0;
  kentAccount!: FixtureAccount;
  kentGroup = 0;
  kentTokenId = '';
  apiToken = '';
  scimToken = '';
  reviewId = '';
  reviewAccount = '';
  emailId = '';
  readonly principals = new Map<PrincipalName, Principal>();
  /** Path parameters no rule below gives a real value for (they get an unknown UUID). */
  readonly unresolved = new Set<string>();

  constructor(readonly t: TestApp) {}

  get db(): Db {
    return this.t.handle.db;
  }

  async setUp(): Promise<void> {
    const { db } = this;
    const key = this.t.config.secretKey;
    this.camden = await createOrganisation(db, '202', 'Camden');
    this.kent = await createOrganisation(db, '886', 'Kent');
    this.central = await createOrganisation(db, 'central', 'NCER Support');
    this.camdenSchool = await this.school(this.camden, 100001);
    this.kentSchool = await this.school(this.kent, 100002);
    this.kentAccount = await createAccount(db, key, { organisationId: this.kent, username: 'kent.officer' });
    this.kentGroup = await this.group(this.kent);
    const kentAdmin = await createAccount(db, key, {
      organisationId: this.kent,
      username: 'kent.admin',
      userType: 'la_admin',
    });
    await createApiToken(db, { organisationId: this.kent, accountId: kentAdmin.id, name: 'kent token' });
    this.kentTokenId = (
      await db.selectFrom('api_tokens').select('id').where('organisation_id', '=', this.kent).executeTakeFirstOrThrow()
    ).id;
    const apiAdmin = await createAccount(db, key, {
      organisationId: this.camden,
      username: 'camden.api',
      userType: 'la_admin',
    });
    this.apiToken = await createApiToken(db, { organisationId: this.camden, accountId: apiAdmin.id, name: 'fuzz api' });
    this.scimToken = await createApiToken(db, {
      organisationId: this.camden,
      accountId: apiAdmin.id,
      name: 'fuzz scim',
    });
    // Enough accounts for lists to have pages and for cursors to mean something.
    await createAccount(db, key, { organisationId: this.camden, username: 'camden.archived', status: 'archived' });
    for (let i = 0; i < 12; i++)
      await createAccount(db, key, {
        organisationId: this.camden,
        username: `camden.person${i}`,
        lastName: `Person${i}`,
      });
    this.emailId = randomUUID();
    await db
      .insertInto('email_outbox')
      .values({
        id: this.emailId,
        dedup_key: `fuzz:${this.emailId}`,
        message_id: `<${this.emailId}@nexus.test>`,
        template: 'fuzz',
        organisation_id: this.camden,
        account_id: null,
        to_address: 'someone@example.gov.uk',
        to_name: 'Someone',
        subject: 'Fuzz',
        text_body: 'Fuzz',
        html_body: '<p>Fuzz</p>',
        next_attempt_at: new Date('2026-11-02T10:00:00Z'),
        created_at: new Date('2026-11-02T10:00:00Z'),
      })
      .execute();
    const admin = await this.principal('admin');
    const reviewAccount = await createAccount(db, key, { organisationId: this.camden, username: 'camden.reviewed' });
    this.reviewAccount = reviewAccount.id;
    const opened = await send(
      this.t,
      admin,
      'POST',
      '/admin/reviews/new',
      `name=Fuzz%20review&dueOn=2027-01-31&_csrf=${encodeURIComponent(admin.client.csrf ?? '')}`,
    );
    this.reviewId = /\/admin\/reviews\/([0-9a-f-]{36})/.exec(String(opened.headers.location))?.[1] ?? '';
    if (!this.reviewId) throw new Error(`Could not open a review: ${opened.statusCode} ${opened.body.slice(0, 300)}`);
  }

  async school(organisationId: number, urn: number): Promise<number> {
    const row = await this.db
      .insertInto('schools')
      .values({
        urn,
        organisation_id: organisationId,
        name: `School ${urn}`,
        phase: 'Primary',
        updated_at: new Date('2026-01-01T00:00:00Z'),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  async group(organisationId: number): Promise<number> {
    const row = await this.db
      .insertInto('school_groups')
      .values({ organisation_id: organisationId, name: next('Group '), created_at: new Date('2026-01-01T00:00:00Z') })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  /** A fresh account of Camden for one route to act on (archive, delete, edit...), with a school. */
  async victim(options: { archived?: boolean; enrolled?: boolean; password?: string | null } = {}): Promise<string> {
    const account = await createAccount(this.db, this.t.config.secretKey, {
      organisationId: this.camden,
      username: next('camden.victim'),
      status: options.archived ? 'archived' : 'active',
      enrolled: options.enrolled,
      password: options.password,
    });
    await this.db
      .insertInto('school_assignments')
      .values({
        account_id: account.id,
        school_id: this.camdenSchool,
        role: 'headteacher',
        assigned_at: new Date('2026-01-01T00:00:00Z'),
      })
      .execute()
      .catch(() => undefined);
    return account.id;
  }

  async linkToken(purpose: 'invitation' | 'password_reset'): Promise<string> {
    const accountId = await this.victim({
      enrolled: purpose === 'password_reset',
      password: purpose === 'invitation' ? null : undefined,
    });
    const token = newToken();
    await this.db
      .insertInto('account_tokens')
      .values({
        token_hash: hashToken(token),
        account_id: accountId,
        purpose,
        created_at: new Date('2026-11-01T00:00:00Z'),
        expires_at: new Date('2026-11-20T00:00:00Z'),
      })
      .execute();
    return token;
  }

  /**
   * A real value (the route's own LA) and another LA's for a path parameter. Each route gets fresh
   * objects, so that one route archiving or deleting its account leaves the next route its own.
   */
  async pathValues(url: string, param: string): Promise<{ real: string; other?: string }> {
    const key = `${url}#${param}`;
    if (param === '*') return { real: 'app.css' };
    if (/^\/admin\/archived-users\/:id/.test(url))
      return { real: await this.victim({ archived: true }), other: this.kentAccount.id };
    if (/^\/(admin|api\/v1)\/users\/:id|^\/scim\/v2\/Users\/:id/.test(url) && param === 'id')
      return { real: await this.victim(), other: this.kentAccount.id };
    if (param === 'schoolId') return { real: String(this.camdenSchool), other: String(this.kentSchool) };
    if (/^\/admin\/reviews\/:id/.test(url) && param === 'id') return { real: this.reviewId };
    if (param === 'accountId') return { real: this.reviewAccount, other: this.kentAccount.id };
    if (/^\/admin\/school-groups\/:id/.test(url))
      return { real: String(await this.group(this.camden)), other: String(this.kentGroup) };
    if (/^\/admin\/api-tokens\/:id/.test(url)) {
      const victim = await this.victim();
      await createApiToken(this.db, { organisationId: this.camden, accountId: victim, name: next('victim token ') });
      const row = await this.db
        .selectFrom('api_tokens')
        .select('id')
        .where('created_by', '=', victim)
        .executeTakeFirstOrThrow();
      return { real: row.id, other: this.kentTokenId };
    }
    if (/^\/support\/sent-email\/:id/.test(url)) return { real: this.emailId };
    if (/^\/reset-password\/:token/.test(url)) return { real: await this.linkToken('password_reset') };
    if (/^\/invitation\/:token/.test(url)) return { real: await this.linkToken('invitation') };
    if (/^\/scim\/v2\/ResourceTypes\/:id/.test(url)) return { real: 'User' };
    if (/^\/scim\/v2\/Schemas\/:id/.test(url)) return { real: 'urn:ietf:params:scim:schemas:core:2.0:User' };
    this.unresolved.add(key);
    return { real: randomUUID() };
  }

  /** A principal's browser, signed in (again) if its session has gone (a sign-out, a lock-out, a changed password). */
  async principal(name: PrincipalName): Promise<Principal> {
    const known = this.principals.get(name);
    if (known && (await this.alive(known))) return known;
    const made = await this.make(name);
    this.principals.set(name, made);
    return made;
  }

  private async alive(p: Principal): Promise<boolean> {
    const check = {
      admin: '/my-account',
      support: '/my-account',
      'pending-two-factor': '/sign-in/two-factor',
      'pending-setup': '/sign-in/two-factor/setup',
      anonymous: '/sign-in',
    }[p.name];
    const response = await p.client.get(check);
    return response.statusCode === 200;
  }

  private async make(name: PrincipalName): Promise<Principal> {
    const key = this.t.config.secretKey;
    const ip = `10.9.${++serial % 250}.${1 + (serial % 250)}`;
    if (name === 'admin' || name === 'support') {
      const account = await createAccount(this.db, key, {
        organisationId: name === 'admin' ? this.camden : this.central,
        username: next(name === 'admin' ? 'camden.admin' : 'support'),
        userType: name === 'admin' ? 'la_admin' : 'support',
      });
      return { name, client: await signInAs(this.t, account, { ip }) };
    }
    const client = new FormClient(this.t.app, { ip });
    await client.get('/sign-in');
    if (name === 'anonymous') return { name, client };
    const account = await createAccount(this.db, key, {
      organisationId: this.camden,
      username: next('camden.pending'),
      enrolled: name === 'pending-two-factor',
    });
    await client.post('/sign-in', { username: account.username, password: TEST_PASSWORD });
    await client.get(name === 'pending-two-factor' ? '/sign-in/two-factor' : '/sign-in/two-factor/setup');
    return { name, client };
  }
}

/** Sends one request as a principal (its cookies; the body as given, already encoded). */
export function send(
  t: TestApp,
  p: Principal | undefined,
  method: string,
  url: string,
  payload?: string | Buffer,
  contentType = 'application/x-www-form-urlencoded',
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  return t.app.inject({
    method: method as 'GET',
    url,
    headers: {
      ...(p ? { cookie: p.client.cookieHeader() } : {}),
      ...(payload === undefined ? {} : { 'content-type': contentType }),
      ...headers,
    },
    ...(payload === undefined ? {} : { payload }),
    remoteAddress: p?.client.ip ?? '10.8.0.1',
  });
}

/**
 * Writes that a refused request may legitimately make, and so are left out of the fingerprint:
 * - sessions: last_seen_at / expires_at slide on every request of a live session (R18 idle timeout);
 *   a pending sign-in that fails its second step may end (the session row goes); an answer to a
 *   passkey ceremony, refused or not, spends its challenge (webauthn_*: single use, R65);
 * - api_tokens.last_used_at: stamped on every authenticated API/SCIM call, refused or not;
 * - sign_in_throttle: failed sign-ins count against the name and address (that is its purpose);
 * - accounts.totp_last_step: not touched by a refusal, but kept out with the sign-in columns below;
 * - audit events of refusals themselves: failed, throttled or refused sign-ins and password
 *   changes, and the "API token used" trail — a security log must record refused attempts.
 */
export const LEGITIMATE_AUDIT_ACTIONS = [
  'sign-in.failed',
  'sign-in.throttled',
  'sign-in.archived-account',
  'password.change-refused',
  'password-reset.refused',
  'api-token.used',
];
const EXCLUDED_COLUMNS: Record<string, readonly string[]> = {
  sessions: ['last_seen_at', 'expires_at', 'webauthn_challenge', 'webauthn_purpose', 'webauthn_expires_at'],
  api_tokens: ['last_used_at'],
};
const EXCLUDED_TABLES = new Set(['sign_in_throttle', 'kysely_migration', 'kysely_migration_lock', 'route_fuzz_writes']);

/**
 * Counts the rows each table has written, by a row trigger on every table of the test's database
 * (never the application's schema: the suite adds them to its own throwaway database). A counter
 * row is written in the writer's transaction, so a write rolled back is not counted; an update
 * that changes only the excluded columns, and the legitimate audit events, are not counted either.
 * Reading the counters is one tiny query, so every refused request can be checked.
 */
export class Fingerprint {
  private installed = false;

  constructor(private readonly db: Db) {}

  private async install(): Promise<void> {
    const tables = await sql<{ table_name: string }>`
      SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`.execute(
      this.db,
    );
    const excluded = Object.entries(EXCLUDED_COLUMNS)
      .map(([t, cols]) => `WHEN '${t}' THEN ARRAY[${cols.map((c) => `'${c}'`).join(', ')}]`)
      .join(' ');
    const actions = LEGITIMATE_AUDIT_ACTIONS.map((a) => `'${a}'`).join(', ');
    await sql
      .raw(
        `
      CREATE TABLE route_fuzz_writes (table_name text PRIMARY KEY, n bigint NOT NULL);
      CREATE FUNCTION route_fuzz_count() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        skip text[] := CASE TG_TABLE_NAME ${excluded} ELSE ARRAY[]::text[] END;
      BEGIN
        IF TG_OP = 'UPDATE' AND (to_jsonb(OLD) - skip) = (to_jsonb(NEW) - skip) THEN RETURN NULL; END IF;
        IF TG_TABLE_NAME = 'audit_events' AND TG_OP = 'INSERT' AND to_jsonb(NEW) ->> 'action' IN (${actions}) THEN RETURN NULL; END IF;
        INSERT INTO route_fuzz_writes VALUES (TG_TABLE_NAME, 1) ON CONFLICT (table_name) DO UPDATE SET n = route_fuzz_writes.n + 1;
        RETURN NULL;
      END $$;
    `,
      )
      .execute(this.db);
    for (const { table_name: table } of tables.rows) {
      if (EXCLUDED_TABLES.has(table)) continue;
      await sql
        .raw(
          `CREATE TRIGGER route_fuzz_count AFTER INSERT OR UPDATE OR DELETE ON "${table}" FOR EACH ROW EXECUTE FUNCTION route_fuzz_count()`,
        )
        .execute(this.db);
    }
    this.installed = true;
  }

  /** Rows written so far, by table (only tables a refused request must not change). */
  async take(): Promise<Record<string, string>> {
    if (!this.installed) await this.install();
    const result = await sql<{ table_name: string; n: string }>`SELECT table_name, n FROM route_fuzz_writes`.execute(
      this.db,
    );
    return Object.fromEntries(result.rows.map((r) => [r.table_name, String(r.n)]));
  }
}

export function changedTables(before: Record<string, string>, after: Record<string, string>): string[] {
  return Object.keys({ ...before, ...after }).filter((k) => before[k] !== after[k]);
}
