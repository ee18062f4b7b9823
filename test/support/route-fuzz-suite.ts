import { writeFileSync } from 'node:fs';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { casesFor, realPlaceholder, type FuzzCase } from './route-fuzz-cases.ts';
import { STACK_TRACE } from './route-fuzz-payloads.ts';
import {
  UNIQUE_PLACEHOLDER,
  addForm,
  enumerateRoutes,
  formsOf,
  jsonPaths,
  type Area,
  type FuzzRoute,
} from './route-fuzz-routes.ts';
import { changedTables, Fingerprint, FuzzWorld, send, type Principal, type PrincipalName } from './route-fuzz-world.ts';
import { createTestApp, type TestApp } from './test-app.ts';

/**
 * Issue 11, deliverable 4: every bad input is a 4xx, found by construction. The routes come from the
 * application itself (buildServer records every route it registers), so a new route is fuzzed without
 * anyone adding it here; its fields come from its JSON schema (API), the served SCIM schemas, or the
 * forms its pages render. Each route is called as someone for whom its handler really runs, with NUL
 * bytes, lone surrogates, CR/LF, over-long values, wrong types, markup, SQL and malformed cursors in
 * every path parameter, query parameter and body field. Every answer must be below 500 and carry no
 * stack trace, and a refused request (4xx) must write nothing (see LEGITIMATE_AUDIT_ACTIONS and
 * the fingerprint's exclusions in route-fuzz-world.ts for the writes a refusal may make).
 *
 * ROUTE_FUZZ_FULL=1 sends every payload to every field one at a time (slow); by default each field
 * gets the core payloads one at a time and all payloads together with the other fields.
 * ROUTE_FUZZ_DEBUG=/tmp/fuzz.json writes every case's route, label, status and time, and what was
 * derived for each route, for looking at coverage.
 */
const FULL = process.env.ROUTE_FUZZ_FULL === '1';
const DEBUG = process.env.ROUTE_FUZZ_DEBUG;
const debugRows: { route: string; label: string; status: number; ms: number }[] = [];
/** Fewer than this many routes means the enumeration broke, not that routes went away. */
const MINIMUM_ROUTES = { pages: 60, api: 15, scim: 8 } as const;

/** One file's part of the fuzz: its areas, its shard of each area's routes, and the self-checks. */
export interface RouteFuzzPart {
  name: string;
  areas: readonly Area[];
  /** [index, of]: this file fuzzes every `of`-th route of each area, starting at `index`. */
  shard: readonly [number, number];
  /** Whether this file also checks the enumeration and the write detector (one file, with pages, does). */
  checks: boolean;
}

/**
 * Defines the fuzz suite in the calling test file. The fuzz is split across files (pages in two
 * shards, the machine interfaces in a third) so that vitest runs them on different workers.
 */
export function defineRouteFuzz(part: RouteFuzzPart): void {
  let t: TestApp;
  let world: FuzzWorld;
  let routes: FuzzRoute[];
  const principalOf = new Map<FuzzRoute, PrincipalName>();
  const counts = {
    routes: { pages: 0, api: 0, scim: 0 },
    cases: { pages: 0, api: 0, scim: 0 },
    accepted: { pages: 0, api: 0, scim: 0 },
    /** 405s: routes that exist only to refuse a method (SCIM's discovery endpoints, RFC 7644 §4). */
    notAllowed: { pages: 0, api: 0, scim: 0 },
    /** Cases not sent to a route that only refuses its method: their kind already reached it (see fuzzArea). */
    leftOut: 0,
    /** Cases not sent because the same request (method, address, body, content type, credentials) already went to the route. */
    repeats: 0,
    refusedChecked: 0,
    statuses: new Map<number, number>(),
  };
  const noFields: string[] = [];

  const USER_URN = 'urn:ietf:params:scim:schemas:core:2.0:User';
  const NEXUS_URN = 'urn:ietf:params:scim:schemas:extension:nexus:2.0:User';
  const PATCH_URN = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

  beforeAll(async () => {
    // Limits high enough that handlers run for every case: throttling and rate limits have their own tests.
    t = await createTestApp({
      env: { API_RATE_LIMIT_PER_MINUTE: '1000000', THROTTLE_ACCOUNT_LIMIT: '100000', THROTTLE_ADDRESS_LIMIT: '100000' },
    });
    world = new FuzzWorld(t);
    await world.setUp();
    routes = enumerateRoutes(t.app);
    // The crawl of every page as five people finds the pages' form fields; a file that fuzzes only
    // the API and SCIM (which take their fields from schemas) has no use for it.
    if (part.areas.includes('pages')) await deriveFromPages();
    await deriveScim();
  }, 120_000);

  afterAll(async () => {
    const total = counts.cases.pages + counts.cases.api + counts.cases.scim;
    const statuses = [...counts.statuses]
      .sort(([a], [b]) => a - b)
      .map(([s, n]) => `${s}×${n}`)
      .join(' ');
    console.log(
      [
        `route fuzz: ${routes?.length ?? 0} routes enumerated (pages ${counts.routes.pages}, API ${counts.routes.api}, SCIM ${counts.routes.scim}); ` +
          `${total} cases sent (pages ${counts.cases.pages}, API ${counts.cases.api}, SCIM ${counts.cases.scim}); ${counts.refusedChecked} refusals checked for writes` +
          (counts.leftOut
            ? `; ${counts.leftOut} cases of a kind already sent left out on routes that only refuse their method`
            : '') +
          (counts.repeats ? `; ${counts.repeats} cases identical to one already sent to the route not sent again` : ''),
        `route fuzz: statuses ${statuses}`,
        !part.areas.includes('pages')
          ? ''
          : noFields.length
            ? `route fuzz: no body fields derived for ${noFields.join(', ')} (fuzzed with generic fields only)`
            : 'route fuzz: body fields derived for every page route that takes a body',
        world?.unresolved.size
          ? `route fuzz: no real value for path parameters ${[...world.unresolved].join(', ')} (an unknown UUID used)`
          : '',
      ]
        .filter(Boolean)
        .join('\n'),
    );
    if (DEBUG)
      writeFileSync(
        DEBUG,
        JSON.stringify(
          {
            debugRows,
            routes: routes.map((r) => ({
              ...r,
              query: [...r.query],
              formFields: [...r.formFields],
              derivedFrom: [...r.derivedFrom],
              principal: principalOf.get(r),
            })),
          },
          null,
          1,
        ),
      );
    await t?.close();
  });

  /**
   * Page routes' fields from the forms their GET pages render, as each kind of person sees them, and
   * the person each route is fuzzed as: the first for whom its page (or the page of the same address)
   * renders.
   */
  async function deriveFromPages(): Promise<void> {
    // Pages are only read here, and no page read has ever ended a principal's session: the crawl goes
    // without asking before each page whether the principal is still signed in (a page of its own,
    // about 200 a file), and asks once at the end. A session that has gone does not come back, so if
    // all five are still signed in they were throughout; if not, the crawl is done again, asking first.
    if (!(await crawlPages(false))) {
      routes = enumerateRoutes(t.app);
      principalOf.clear();
      await crawlPages(true);
    }
    for (const route of routes.filter((r) => r.area === 'pages')) {
      if (principalOf.has(route)) continue;
      const twin = routes.find((r) => r.url === route.url && principalOf.has(r));
      principalOf.set(
        route,
        twin
          ? principalOf.get(twin)!
          : route.url.startsWith('/support/')
            ? 'support'
            : route.url.startsWith('/assets/')
              ? 'anonymous'
              : 'admin',
      );
      if ((route.bodyKind === 'form' || route.bodyKind === 'multipart') && route.formFields.size === 0)
        noFields.push(`${route.method} ${route.url}`);
    }
  }

  /** One crawl of every page as each principal; whether every principal was signed in throughout (unknown: false). */
  async function crawlPages(askEachTime: boolean): Promise<boolean> {
    // Public pages as nobody first, so sign-in, forgotten password and links are fuzzed as their real callers.
    const order: PrincipalName[] = ['anonymous', 'pending-two-factor', 'pending-setup', 'admin', 'support'];
    const first = new Map<PrincipalName, Principal>();
    for (const name of order) first.set(name, await world.principal(name));
    const pages = routes.filter((r) => r.area === 'pages' && r.method === 'GET' && !r.url.startsWith('/assets/'));
    for (const route of pages) {
      const values: Record<string, string> = {};
      for (const param of route.params) values[param] = (await world.pathValues(route.url, param)).real;
      const url = route.url.replace(/:(\w+)/g, (_m, name: string) => encodeURIComponent(values[name]!));
      for (const name of order) {
        const p = askEachTime ? await world.principal(name) : first.get(name)!;
        const response = await p.client.get(url);
        if (response.statusCode !== 200) continue;
        if (!principalOf.has(route)) principalOf.set(route, name);
        for (const form of formsOf(response.body, url)) addForm(routes, form, url);
      }
    }
    if (askEachTime) return true;
    for (const [name, p] of first) if ((await world.principal(name)) !== p) return false;
    return true;
  }

  /** SCIM bodies from the User schema the service serves at /Schemas, filled with valid values. */
  async function deriveScim(): Promise<void> {
    const response = await t.app.inject({
      url: '/scim/v2/Schemas',
      headers: { authorization: `Bearer ${world.scimToken}` },
    });
    const served = response.json<{
      Resources: {
        id: string;
        attributes: {
          name: string;
          type: string;
          multiValued: boolean;
          subAttributes?: { name: string; type: string }[];
          mutability: string;
        }[];
      }[];
    }>().Resources;
    const value = (name: string, type: string, parent = ''): unknown =>
      type === 'boolean'
        ? true
        : name === 'value'
          ? parent === 'emails'
            ? 'fuzz@example.gov.uk'
            : '020 7946 0000'
          : name === 'type'
            ? 'work'
            : name === 'typeOfUser'
              ? 'read_only'
              : 'Fuzz';
    const user = (): Record<string, unknown> => {
      const out: Record<string, unknown> = { schemas: [USER_URN, NEXUS_URN] };
      for (const schema of served) {
        const target = schema.id === USER_URN ? out : ((out[schema.id] = {}) as Record<string, unknown>);
        for (const a of schema.attributes) {
          if (a.mutability === 'readOnly') continue;
          const one =
            a.type === 'complex'
              ? Object.fromEntries((a.subAttributes ?? []).map((s) => [s.name, value(s.name, s.type, a.name)]))
              : value(a.name, a.type);
          target[a.name] = a.multiValued ? [one] : one;
        }
      }
      out.userName = `fuzz.${UNIQUE_PLACEHOLDER}`;
      out.externalId = `ext-${UNIQUE_PLACEHOLDER}`;
      return out;
    };
    for (const route of routes.filter((r) => r.area === 'scim' && r.bodyKind === 'json')) {
      route.jsonBase =
        route.method === 'PATCH'
          ? {
              schemas: [PATCH_URN],
              Operations: [
                { op: 'replace', path: 'name.givenName', value: 'Fuzz' },
                { op: 'replace', value: { title: 'Fuzz', active: true } },
              ],
            }
          : user();
      route.jsonPaths = jsonPaths(route.jsonBase);
      route.derivedFrom.add('scim-schemas');
    }
  }

  /**
   * Cases carry placeholders: the principal's CSRF token of the moment and a fresh unique value
   * (usernames, emails, names) go in at sending.
   */
  const CSRF_PLACEHOLDER = 'CSRFPLACEHOLDER';
  let unique = 0;
  function withCsrf(body: string | Buffer | undefined, csrf: string | undefined): string | Buffer | undefined {
    if (body === undefined) return body;
    const fresh = `u${(++unique).toString(36)}`;
    const text = Buffer.isBuffer(body) ? body.toString('latin1') : body;
    if (!text.includes(CSRF_PLACEHOLDER) && !text.includes(UNIQUE_PLACEHOLDER)) return body;
    const filled = text
      .replaceAll(CSRF_PLACEHOLDER, Buffer.isBuffer(body) ? (csrf ?? '') : encodeURIComponent(csrf ?? ''))
      .replaceAll(UNIQUE_PLACEHOLDER, fresh);
    return Buffer.isBuffer(body) ? Buffer.from(filled, 'latin1') : filled;
  }

  function problemOf(c: FuzzCase, response: LightMyRequestResponse, changed: string[]): string | undefined {
    const where = `${c.method} ${c.url.slice(0, 160)}${c.url.length > 160 ? '…' : ''} [${c.label}]`;
    if (response.statusCode >= 500) return `${where}: ${response.statusCode} ${response.body.slice(0, 300)}`;
    const trace = STACK_TRACE.exec(response.body);
    if (trace)
      return `${where}: stack trace or internal detail in the body: …${response.body.slice(Math.max(0, trace.index - 80), trace.index + 120)}…`;
    if (changed.length) return `${where}: ${response.statusCode} but wrote to ${changed.join(', ')}`;
    return undefined;
  }

  /** A SCIM replacement keeps the account's userName and Type of User (neither can change), so the base request is valid. */
  async function adjustBase(route: FuzzRoute, path: Record<string, { real: string }>): Promise<void> {
    // Only a User has an account behind its id: the discovery resources' ids (`/Schemas/:id`) are names.
    if (route.area !== 'scim' || route.method !== 'PUT' || !path.id || !/\/Users\/:id$/.test(route.url)) return;
    const row = await t.handle.db
      .selectFrom('accounts')
      .select(['username', 'user_type'])
      .where('id', '=', path.id.real)
      .executeTakeFirst();
    if (row)
      route.jsonBase = {
        ...(route.jsonBase as object),
        userName: row.username,
        [NEXUS_URN]: { typeOfUser: row.user_type },
      };
  }

  const writesCounter = () => (writes ??= new Fingerprint(t.handle.db));
  let writes: Fingerprint | undefined;

  async function fuzzArea(area: Area): Promise<string[]> {
    const fingerprint = writesCounter();
    const problems: string[] = [];
    // A shard of the pages (every `of`-th route from `index`): the fuzz runs as several files at once.
    const areaRoutes = routes.filter((r) => r.area === area).filter((_, i) => i % part.shard[1] === part.shard[0]);
    counts.routes[area] = areaRoutes.length;
    for (const route of areaRoutes) {
      const path: Record<string, { real: string; other?: string }> = {};
      for (const param of route.params) path[param] = await world.pathValues(route.url, param);
      const principalName = area === 'pages' ? principalOf.get(route)! : undefined;
      let principal: Principal | undefined = principalName ? await world.principal(principalName) : undefined;
      await adjustBase(route, path);
      // An upload route's base file is its own CSV template, from the application.
      const template =
        route.bodyKind === 'multipart' && principal
          ? await principal.client.get(`${route.url}/template.csv`)
          : undefined;
      const file = template?.statusCode === 200 ? template.body : undefined;
      const cases = casesFor({ route, path, csrf: principalName ? CSRF_PLACEHOLDER : undefined, file }, { full: FULL });
      let before = await fingerprint.take();
      let recheck = false;
      // A route whose valid request is answered 405 exists only to refuse its method (SCIM's discovery
      // endpoints, RFC 7644 §4): its handler reads nothing but the method, and what does read the
      // request before it (routing, the parsers, authentication) is the same code as for the routes
      // beside it, which get every case. There each kind of bad value is sent once in each place
      // (path, query, body) rather than once per field: the same parsers meet the same kinds of value.
      let refusesMethod = false;
      const kindsSent = new Set<string>();
      // Some labels build the same request as an earlier one (`body *=nul` on a form with no fields
      // is the valid request; `json jobTitle=null` where the valid body has null already): each
      // distinct request goes to the route once.
      const requestsSent = new Set<string>();
      for (const c of cases) {
        const request = requestKey(c);
        if (requestsSent.has(request)) {
          counts.repeats++;
          continue;
        }
        requestsSent.add(request);
        if (refusesMethod) {
          const kind = caseKind(c.label);
          if (kindsSent.has(kind)) {
            counts.leftOut++;
            continue;
          }
          kindsSent.add(kind);
        }
        // A case may have ended the session (sign-out, a lock-out, a changed password): sign in again.
        if (principalName && recheck) {
          principal = await world.principal(principalName);
          before = await fingerprint.take();
        }
        const headers: Record<string, string> = {};
        if (area !== 'pages' && !c.anonymous)
          headers.authorization = `Bearer ${area === 'scim' ? world.scimToken : world.apiToken}`;
        const body = withCsrf(c.body, c.anonymous ? undefined : principal?.client.csrf);
        const started = performance.now();
        const url = route.params.reduce(
          (u, param) => u.replaceAll(realPlaceholder(param), encodeURIComponent(path[param]!.real)),
          c.url,
        );
        const response = await send(
          t,
          c.anonymous ? undefined : principal,
          c.method,
          url,
          body,
          c.contentType,
          headers,
        );
        // A request that succeeded may have used up its account, token or link: the next case gets fresh ones.
        if (response.statusCode < 400 && (c.method === 'POST' || c.method === 'DELETE') && route.params.length > 0) {
          for (const param of route.params) path[param] = await world.pathValues(route.url, param);
          await adjustBase(route, path);
          before = await fingerprint.take();
        }
        recheck =
          !c.anonymous &&
          (/nexus_session/.test(String(response.headers['set-cookie'] ?? '')) ||
            String(response.headers.location ?? '').startsWith('/sign-in'));
        counts.cases[area]++;
        if (response.statusCode < 400) counts.accepted[area]++;
        if (response.statusCode === 405) counts.notAllowed[area]++;
        counts.statuses.set(response.statusCode, (counts.statuses.get(response.statusCode) ?? 0) + 1);
        let changed: string[] = [];
        if (response.statusCode >= 400) {
          const after = await fingerprint.take();
          changed = changedTables(before, after);
          counts.refusedChecked++;
          before = after;
        } else {
          before = await fingerprint.take();
        }
        if (DEBUG)
          debugRows.push({
            route: `${route.method} ${route.url}`,
            label: c.label,
            status: response.statusCode,
            ms: Math.round(performance.now() - started),
          });
        const problem = problemOf(c, response, changed);
        if (problem) problems.push(problem);
        if (c.label === 'valid' && response.statusCode === 405) refusesMethod = true;
      }
    }
    return problems;
  }

  /** What a case sends, but for the placeholders filled in at sending (the CSRF token, fresh unique values). */
  function requestKey(c: FuzzCase): string {
    const body = Buffer.isBuffer(c.body) ? `b:${c.body.toString('latin1')}` : c.body === undefined ? '' : `s:${c.body}`;
    return JSON.stringify([c.method, c.url, c.contentType ?? '', c.anonymous === true, body]);
  }

  /** A case's label without the field it puts its value in (`json name.givenName=nul` → `json …=nul`). */
  function caseKind(label: string): string {
    return label.replace(/^(path|query|body|json) (?!\*=|whole=)[^=]*=/, '$1 …=');
  }

  describe(`every registered route, fuzzed: ${part.name}`, () => {
    if (part.checks)
      it('enumerates the routes from the application itself', () => {
        const by = (area: Area) => routes.filter((r) => r.area === area).length;
        expect(by('pages')).toBeGreaterThanOrEqual(MINIMUM_ROUTES.pages);
        expect(by('api')).toBeGreaterThanOrEqual(MINIMUM_ROUTES.api);
        expect(by('scim')).toBeGreaterThanOrEqual(MINIMUM_ROUTES.scim);
        // Fields were found: the API's from schemas, the pages' from rendered forms.
        expect(routes.find((r) => r.method === 'GET' && r.url === '/api/v1/users')!.query.has('cursor')).toBe(true);
        expect(
          routes.find((r) => r.method === 'POST' && r.url === '/admin/users/new')!.formFields.has('username'),
        ).toBe(true);
        expect(routes.find((r) => r.method === 'GET' && r.url === '/admin/users')!.query.has('q')).toBe(true);
      });

    if (part.checks)
      it('sees a write when there is one (the detector itself works)', async () => {
        const before = await writesCounter().take();
        await world.group(world.camden);
        expect(changedTables(before, await writesCounter().take())).toEqual(['school_groups']);
      });

    it.each(part.areas)(
      '%s: no 5xx, no stack trace, nothing written by a refusal',
      async (area) => {
        const problems = await fuzzArea(area);
        expect(problems.slice(0, 60), `${problems.length} problems`).toEqual([]);
        // The handlers really ran: some requests of every area were accepted, not all refused at the door.
        expect(counts.accepted[area]).toBeGreaterThan((counts.cases[area] - counts.notAllowed[area]) / 10);
        // A full run takes many minutes; a timed-out area would go on writing while the next one runs.
      },
      FULL ? 7_200_000 : 600_000,
    );
  });
}
