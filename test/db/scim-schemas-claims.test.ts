import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectScimError, NEXUS, PATCH, scimClient, scimLa, USER, type ScimList } from '../support/scim-client.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/**
 * Every claim /Schemas makes (RFC 7643 §7) checked against what the server does: for each
 * attribute and sub-attribute it publishes — type, required, mutability, returned, uniqueness,
 * caseExact, canonicalValues — a request that would show the claim false. An attribute published
 * without a probe here fails the test, so a new claim cannot go unchecked.
 */

type Body = Record<string, unknown> & { name: Record<string, unknown>; emails: Record<string, unknown>[] };
type Json = Record<string, unknown>;

interface SchemaAttribute {
  name: string;
  type: string;
  multiValued: boolean;
  required: boolean;
  caseExact: boolean;
  mutability: string;
  returned: string;
  uniqueness: string;
  canonicalValues?: string[];
  subAttributes?: SchemaAttribute[];
}

interface Probe {
  /** The attribute's value in a representation. */
  read: (u: Json) => unknown;
  /** Writes a value into a create body. */
  set: (b: Body, value: unknown) => void;
  /** Takes it out of a create body (for `required`). */
  omit: (b: Body) => void;
  /** The value user n is created with (distinct per user where it can be). */
  sample: (n: number) => unknown;
  /** The PATCH path, and a new valid value (readWrite, immutable), or one that would show if stored (readOnly). */
  path: string;
  other: unknown;
  /** Its name in attributes / excludedAttributes. */
  name: string;
  /** What an optional, writable attribute reads as once removed. */
  removed?: unknown;
  /** A filter that finds a value, for caseExact. */
  filter?: (value: string) => string;
}

const obj = (v: unknown): Json => (typeof v === 'object' && v !== null ? (v as Json) : {});
const first = (v: unknown): Json => (Array.isArray(v) ? obj(v[0]) : {});
const phone = (n: number) => `01632 960 ${String(n).padStart(3, '0')}`;

const PROBES: Record<string, Probe> = {
  id: {
    read: (u) => u.id,
    set: (b, v) => (b.id = v),
    omit: (b) => delete b.id,
    sample: () => undefined,
    path: 'id',
    other: '00000000-0000-4000-8000-000000000000',
    name: 'id',
    filter: (v) => `id eq "${v}"`,
  },
  userName: {
    read: (u) => u.userName,
    set: (b, v) => (b.userName = v),
    omit: (b) => delete b.userName,
    sample: (n) => `Claim.User.${n}`,
    path: 'userName',
    other: 'Claim.Renamed.X',
    name: 'userName',
    filter: (v) => `userName eq "${v}"`,
  },
  externalId: {
    read: (u) => u.externalId,
    set: (b, v) => (b.externalId = v),
    omit: (b) => delete b.externalId,
    sample: (n) => `Ext-${n}`,
    path: 'externalId',
    other: 'Ext-Other',
    name: 'externalId',
    removed: undefined,
    filter: (v) => `externalId eq "${v}"`,
  },
  name: {
    read: (u) => (u.name === undefined ? undefined : { ...obj(u.name), formatted: undefined }),
    set: (b, v) => (b.name = obj(v)),
    omit: (b) => delete (b as Json).name,
    sample: (n) => ({ givenName: `Given${n}`, familyName: `Family${n}` }),
    path: 'name',
    other: { givenName: 'Newgiven', familyName: 'Newfamily' },
    name: 'name',
  },
  'name.givenName': {
    read: (u) => obj(u.name).givenName,
    set: (b, v) => (b.name.givenName = v),
    omit: (b) => delete b.name.givenName,
    sample: (n) => `Given${n}`,
    path: 'name.givenName',
    other: 'Newgiven',
    name: 'name.givenName',
    filter: (v) => `name.givenName eq "${v}"`,
  },
  'name.familyName': {
    read: (u) => obj(u.name).familyName,
    set: (b, v) => (b.name.familyName = v),
    omit: (b) => delete b.name.familyName,
    sample: (n) => `Family${n}`,
    path: 'name.familyName',
    other: 'Newfamily',
    name: 'name.familyName',
    filter: (v) => `name.familyName eq "${v}"`,
  },
  'name.formatted': {
    read: (u) => obj(u.name).formatted,
    set: (b, v) => (b.name.formatted = v),
    omit: (b) => delete b.name.formatted,
    sample: (n) => `Given${n} Family${n}`,
    path: 'name.formatted',
    other: 'Someone Else',
    name: 'name.formatted',
    filter: (v) => `name.formatted eq "${v}"`,
  },
  displayName: {
    read: (u) => u.displayName,
    set: (b, v) => (b.displayName = v),
    omit: (b) => delete b.displayName,
    sample: (n) => `Given${n} Family${n}`,
    path: 'displayName',
    other: 'Someone Else',
    name: 'displayName',
    filter: (v) => `displayName eq "${v}"`,
  },
  emails: {
    read: (u) => u.emails,
    set: (b, v) => (b.emails = v as Json[]),
    omit: (b) => delete (b as Json).emails,
    sample: (n) => [{ value: `claim${n}@example.org`, type: 'work', primary: true }],
    path: 'emails',
    other: [{ value: 'new@example.org', type: 'work', primary: true }],
    name: 'emails',
  },
  'emails.value': {
    read: (u) => first(u.emails).value,
    set: (b, v) => (b.emails = [{ ...b.emails[0], value: v }]),
    omit: (b) => (b.emails = [{ type: 'work', primary: true }]),
    sample: (n) => `claim${n}@example.org`,
    path: 'emails[type eq "work"].value',
    other: 'newer@example.org',
    name: 'emails.value',
    filter: (v) => `emails.value eq "${v}"`,
  },
  'emails.type': {
    read: (u) => first(u.emails).type,
    set: (b, v) => (b.emails = [{ ...b.emails[0], type: v }]),
    omit: (b) => (b.emails = [{ value: b.emails[0]!.value }]),
    sample: () => 'work',
    path: 'emails[type eq "work"].type',
    other: 'home',
    name: 'emails.type',
    filter: (v) => `emails[type eq "${v}"]`,
  },
  'emails.primary': {
    read: (u) => first(u.emails).primary,
    set: (b, v) => (b.emails = [{ ...b.emails[0], primary: v }]),
    omit: (b) => (b.emails = [{ value: b.emails[0]!.value, type: 'work' }]),
    sample: () => true,
    path: 'emails[type eq "work"].primary',
    other: false,
    name: 'emails.primary',
  },
  title: {
    read: (u) => u.title,
    set: (b, v) => (b.title = v),
    omit: (b) => delete b.title,
    sample: (n) => `Title ${n}`,
    path: 'title',
    other: 'Other Title',
    name: 'title',
    removed: undefined,
    filter: (v) => `title eq "${v}"`,
  },
  phoneNumbers: {
    read: (u) => u.phoneNumbers,
    set: (b, v) => (b.phoneNumbers = v),
    omit: (b) => delete b.phoneNumbers,
    sample: (n) => [{ value: phone(n), type: 'work', primary: true }],
    path: 'phoneNumbers',
    other: [{ value: '01632 960 999', type: 'work', primary: true }],
    name: 'phoneNumbers',
    removed: undefined,
  },
  'phoneNumbers.value': {
    read: (u) => first(u.phoneNumbers).value,
    set: (b, v) => (b.phoneNumbers = [{ type: 'work', primary: true, value: v }]),
    omit: (b) => (b.phoneNumbers = [{ type: 'work', primary: true }]),
    sample: (n) => phone(n),
    path: 'phoneNumbers[type eq "work"].value',
    other: '01632 960 998',
    name: 'phoneNumbers.value',
    filter: (v) => `phoneNumbers.value eq "${v}"`,
  },
  'phoneNumbers.type': {
    read: (u) => first(u.phoneNumbers).type,
    set: (b, v) => (b.phoneNumbers = [{ ...first(b.phoneNumbers), type: v }]),
    omit: (b) => (b.phoneNumbers = [{ value: first(b.phoneNumbers).value }]),
    sample: () => 'work',
    path: 'phoneNumbers[type eq "work"].type',
    other: 'home',
    name: 'phoneNumbers.type',
    filter: (v) => `phoneNumbers[type eq "${v}"]`,
  },
  'phoneNumbers.primary': {
    read: (u) => first(u.phoneNumbers).primary,
    set: (b, v) => (b.phoneNumbers = [{ ...first(b.phoneNumbers), primary: v }]),
    omit: (b) => (b.phoneNumbers = [{ value: first(b.phoneNumbers).value, type: 'work' }]),
    sample: () => true,
    path: 'phoneNumbers[type eq "work"].primary',
    other: false,
    name: 'phoneNumbers.primary',
  },
  active: {
    read: (u) => u.active,
    set: (b, v) => (b.active = v),
    omit: (b) => delete b.active,
    sample: () => true,
    path: 'active',
    other: false,
    name: 'active',
    // Unassigned, a User is active, as one created without it (the description in /Schemas says so).
    removed: true,
  },
  [`${NEXUS}:typeOfUser`]: {
    read: (u) => obj(u[NEXUS]).typeOfUser,
    set: (b, v) => (b[NEXUS] = { typeOfUser: v }),
    omit: (b) => delete b[NEXUS],
    sample: () => 'read_only',
    path: `${NEXUS}:typeOfUser`,
    other: 'la_officer',
    name: `${NEXUS}:typeOfUser`,
  },
};

let t: TestApp;
let token: string;
const scim = scimClient(
  () => t,
  () => token,
);
let users = 0;

function body(n: number): Body {
  const b = {
    schemas: [USER, NEXUS],
    userName: `Claim.User.${n}`,
    externalId: `Ext-${n}`,
    name: { givenName: `Given${n}`, familyName: `Family${n}` },
    emails: [{ value: `claim${n}@example.org`, type: 'work', primary: true }],
    title: `Title ${n}`,
    phoneNumbers: [{ value: phone(n), type: 'work', primary: true }],
    active: true,
    [NEXUS]: { typeOfUser: 'read_only' },
  };
  return b;
}

async function create(change: (b: Body, n: number) => void = () => {}) {
  const n = ++users;
  const b = body(n);
  change(b, n);
  return { n, response: await scim('POST', '/Users', b) };
}

async function created(change?: (b: Body, n: number) => void): Promise<{ n: number; user: Json }> {
  const { n, response } = await create(change);
  expect(response.statusCode, response.body).toBe(201);
  return { n, user: response.json<Json>() };
}

const get = async (id: unknown, query = '') => {
  const response = await scim('GET', `/Users/${String(id)}${query}`);
  expect(response.statusCode, response.body).toBe(200);
  return response.json<Json>();
};

const patch = (id: unknown, op: string, path: string, value?: unknown) =>
  scim('PATCH', `/Users/${String(id)}`, {
    schemas: [PATCH],
    Operations: [{ op, path, ...(value === undefined ? {} : { value }) }],
  });

/** The published attributes, sub-attributes named parent.sub, extension ones by their URN. */
function published(resources: { id: string; attributes: SchemaAttribute[] }[]) {
  const out: { path: string; attribute: SchemaAttribute; parent?: SchemaAttribute }[] = [];
  for (const schema of resources)
    for (const a of schema.attributes) {
      const path = schema.id === USER ? a.name : `${schema.id}:${a.name}`;
      out.push({ path, attribute: a });
      for (const s of a.subAttributes ?? []) out.push({ path: `${path}.${s.name}`, attribute: s, parent: a });
    }
  return out;
}

let attributes: ReturnType<typeof published> = [];

beforeAll(async () => {
  t = await createTestApp();
  ({ token } = await scimLa(t));
  const response = await scim('GET', '/Schemas');
  expect(response.statusCode).toBe(200);
  attributes = published(response.json<ScimList<{ id: string; attributes: SchemaAttribute[] }>>().Resources);
});
afterAll(async () => t?.close());

describe('/Schemas says what the server does', () => {
  it('publishes the attributes this test probes, each with every claim', () => {
    expect(attributes.map((a) => a.path).sort()).toEqual(Object.keys(PROBES).sort());
    for (const { attribute } of attributes)
      for (const claim of ['type', 'multiValued', 'required', 'caseExact', 'mutability', 'returned', 'uniqueness'])
        expect(attribute, `${attribute.name}.${claim}`).toHaveProperty(claim);
  });

  it('type and multiValued: the values returned are of the published type', async () => {
    const { user } = await created();
    for (const { path, attribute, parent } of attributes) {
      const value = PROBES[path]!.read(user);
      expect(value, path).not.toBeUndefined();
      if (attribute.multiValued) expect(Array.isArray(value), path).toBe(true);
      else if (attribute.type === 'complex') expect(typeof value, path).toBe('object');
      else expect(typeof value, path).toBe(attribute.type === 'boolean' ? 'boolean' : 'string');
      if (parent?.multiValued) expect((user[parent.name] as unknown[]).length, path).toBe(1);
    }
  });

  it('required: a create without a required attribute is 400, without an optional one 201', async () => {
    for (const { path, attribute } of attributes) {
      const { response } = await create((b) => PROBES[path]!.omit(b));
      if (attribute.required) expectScimError(response, 400);
      else expect(response.statusCode, `${path}: ${response.body}`).toBe(201);
    }
  });

  it('remove (RFC 7644 §3.5.2.2): required, readOnly and immutable ones are 400 mutability; others are unassigned', async () => {
    for (const { path, attribute, parent } of attributes) {
      const p = PROBES[path]!;
      const { user } = await created();
      const locked = attribute.mutability !== 'readWrite';
      // A required sub-attribute of an optional multi-valued attribute: removing it removes the one entry.
      const entryGoes = attribute.required && parent !== undefined && !parent.required && parent.multiValued;
      if ((attribute.required && !entryGoes) || locked) {
        expectScimError(await patch(user.id, 'remove', p.path), 400, 'mutability');
        expect(p.read(await get(user.id)), path).toEqual(p.read(user));
        continue;
      }
      if (attribute.type === 'boolean') expect((await patch(user.id, 'replace', p.path, p.other)).statusCode).toBe(200);
      const response = await patch(user.id, 'remove', p.path);
      expect(response.statusCode, `${path}: ${response.body}`).toBe(200);
      const after = await get(user.id);
      if (entryGoes) expect(after[parent.name], path).toBeUndefined();
      else expect(p.read(after), path).toEqual(p.removed);
    }
  });

  it('mutability: readWrite changes, immutable is refused, readOnly values sent are ignored', async () => {
    for (const { path, attribute } of attributes) {
      const p = PROBES[path]!;
      const { user } = await created();
      const response = await patch(user.id, 'replace', p.path, p.other);
      if (attribute.mutability === 'readWrite') {
        expect(response.statusCode, `${path}: ${response.body}`).toBe(200);
        expect(p.read(await get(user.id)), path).toEqual(
          attribute.type === 'complex' && !attribute.multiValued ? { ...obj(p.other), formatted: undefined } : p.other,
        );
      } else if (attribute.mutability === 'immutable') {
        expectScimError(response, 400, 'mutability');
        expect(p.read(await get(user.id)), path).toEqual(p.read(user));
        // Immutable: defined at creation.
        const { user: other } = await created((b) => p.set(b, p.other));
        expect(p.read(other), path).toEqual(p.other);
      } else {
        expect(attribute.mutability, path).toBe('readOnly');
        expect(response.statusCode, `${path}: ${response.body}`).toBe(200);
        expect(p.read(await get(user.id)), path).toEqual(p.read(user));
        // Sent on creation, it is ignored too (RFC 7643 §2.2).
        const { user: other } = await created((b) => p.set(b, p.other));
        expect(p.read(other), path).not.toEqual(p.other);
      }
    }
  });

  it('returned: "always" survives excludedAttributes; "default" is returned unless excluded or not asked for', async () => {
    const { user } = await created();
    for (const { path, attribute } of attributes) {
      const p = PROBES[path]!;
      const excluded = await get(user.id, `?excludedAttributes=${encodeURIComponent(p.name)}`);
      const others = await get(user.id, `?attributes=${encodeURIComponent(path === 'title' ? 'active' : 'title')}`);
      expect(p.read(await get(user.id)), path).toEqual(p.read(user));
      if (attribute.returned === 'always') {
        expect(p.read(excluded), path).toEqual(p.read(user));
        expect(p.read(others), path).toEqual(p.read(user));
      } else {
        expect(attribute.returned, path).toBe('default');
        expect(p.read(excluded), path).toBeUndefined();
        expect(p.read(others), path).toBeUndefined();
        expect(p.read(await get(user.id, `?attributes=${encodeURIComponent(p.name)}`)), path).toEqual(p.read(user));
      }
    }
  });

  it('uniqueness: "server" values cannot be held by two users (409 uniqueness); "none" values can', async () => {
    const { user } = await created();
    for (const { path, attribute } of attributes) {
      const p = PROBES[path]!;
      if (path === 'id') {
        // Nobody sends an id (readOnly): two users get two.
        const { user: other } = await created();
        expect(attribute.uniqueness).toBe('server');
        expect(other.id).not.toBe(user.id);
        continue;
      }
      const value = p.read(user);
      const { response } = await create((b) => p.set(b, value));
      if (attribute.uniqueness === 'server') expectScimError(response, 409, 'uniqueness');
      else {
        expect(attribute.uniqueness, path).toBe('none');
        expect(response.statusCode, `${path}: ${response.body}`).toBe(201);
      }
    }
  });

  it('caseExact: a filter in another case finds a caseExact:false value, not a caseExact:true one', async () => {
    const { user } = await created();
    for (const { path, attribute } of attributes) {
      const p = PROBES[path]!;
      if (attribute.type !== 'string') continue;
      const value = String(p.read(user));
      if (!p.filter) {
        // typeOfUser is not filterable: its case shows on creation (a code in capitals is not a code).
        expect(path, 'a string attribute without a filter probe').toBe(`${NEXUS}:typeOfUser`);
        expect(attribute.caseExact).toBe(true);
        expectScimError((await create((b) => p.set(b, value.toUpperCase()))).response, 400);
        continue;
      }
      const swapped = [...value].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join('');
      const ids = async (v: string) => {
        const response = await scim(
          'GET',
          `/Users?filter=${encodeURIComponent(`(${p.filter!(v)}) and id eq "${String(user.id)}"`)}`,
        );
        expect(response.statusCode, `${path}: ${response.body}`).toBe(200);
        return response.json<ScimList<Json>>().Resources.map((r) => r.id);
      };
      expect(await ids(value), path).toEqual([user.id]);
      // A telephone number has no letters: there is no other case to try.
      if (swapped !== value) expect(await ids(swapped), path).toEqual(attribute.caseExact ? [] : [user.id]);
      else expect(path).toBe('phoneNumbers.value');
    }
  });

  it('canonicalValues: what is returned is one of them, and a Type of User that is not one is refused', async () => {
    const { user } = await created();
    for (const { path, attribute } of attributes.filter((a) => a.attribute.canonicalValues)) {
      const p = PROBES[path]!;
      expect(attribute.canonicalValues, path).toContain(p.read(user));
    }
    const type = attributes.find((a) => a.path === `${NEXUS}:typeOfUser`)!.attribute;
    expect(type.canonicalValues).toContain('la_officer');
    expect(type.canonicalValues).not.toContain('support');
    expectScimError((await create((b) => PROBES[`${NEXUS}:typeOfUser`]!.set(b, 'superuser'))).response, 400);
  });
});
