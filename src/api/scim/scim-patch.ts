import { ScimError } from './scim-errors.ts';
import { SCIM_ENTERPRISE, SCIM_NEXUS, SCIM_PATCH, SCIM_USER } from './scim-schemas.ts';
import {
  booleanValue,
  chooseValue,
  isObject,
  member,
  multiValues,
  scimBody,
  stringOrNull,
  type MultiValue,
  type ScimUserState,
} from './scim-user-mapping.ts';

/**
 * PATCH (RFC 7644 §3.5.2) applied to a User as Nexus keeps it. Pure: it returns the new state and
 * the route asks the services for the difference. Accepts the forms identity systems send: op
 * names in any case ("Replace"), booleans as strings ("False"), no path with an object value,
 * value filters such as emails[type eq "work"].value.
 */

type Op = 'add' | 'replace' | 'remove';
const MAX_OPERATIONS = 100;

/**
 * Read-only attributes (RFC 7643 §2.2): a value sent is ignored, as identity systems send
 * displayName with every change; removing one is refused (RFC 7644 §3.5.2.2).
 */
const READ_ONLY = new Set(['id', 'schemas', 'meta', 'displayname', 'name.formatted']);

/** Attributes of the core schema that Nexus does not keep: accepted, ignored. */
const IGNORED = new Set([
  'nickname',
  'profileurl',
  'usertype',
  'preferredlanguage',
  'locale',
  'timezone',
  'password',
  'addresses',
  'ims',
  'photos',
  'groups',
  'entitlements',
  'roles',
  'x509certificates',
  'name.middlename',
  'name.honorificprefix',
  'name.honorificsuffix',
]);

interface Path {
  attribute: string;
  filter?: string;
  sub?: string;
}

function parsePath(raw: string): Path {
  let p = raw.trim();
  if (p.toLowerCase().startsWith(`${SCIM_USER.toLowerCase()}:`)) p = p.slice(SCIM_USER.length + 1);
  const match = /^([A-Za-z][\w$-]*(?:\.[A-Za-z][\w$-]*)?)(?:\[(.+)\])?(?:\.([A-Za-z][\w$-]*))?$/.exec(p);
  if (!match) throw new ScimError(400, 'invalidPath', `"${raw}" is not a valid path`);
  return {
    attribute: match[1]!.toLowerCase(),
    ...(match[2] ? { filter: match[2] } : {}),
    ...(match[3] ? { sub: match[3].toLowerCase() } : {}),
  };
}

/** A value filter on a multi-valued attribute: comparisons with eq joined by and. */
function matches(filter: string, entry: MultiValue): boolean {
  return filter.split(/\s+and\s+/i).every((part) => {
    const m = /^\s*(value|type|primary)\s+eq\s+("(?:[^"\\]|\\.)*"|true|false)\s*$/i.exec(part);
    if (!m)
      throw new ScimError(
        400,
        'invalidFilter',
        `The value filter "${filter}" is not supported: use value, type or primary with eq, joined by and`,
      );
    const wanted: unknown = JSON.parse(m[2]!);
    const field = m[1]!.toLowerCase();
    if (field === 'primary') return (entry.primary ?? false) === wanted;
    const actual = field === 'value' ? entry.value : (entry.type ?? '');
    return typeof wanted === 'string' && actual.toLowerCase() === wanted.toLowerCase();
  });
}

/** One email or phone, as a multi-valued attribute of one work entry. */
function applyMulti(op: Op, current: string | null, path: Path, value: unknown, attribute: string): string | null {
  const entry: MultiValue | undefined = current === null ? undefined : { value: current, type: 'work', primary: true };
  if (path.sub !== undefined && path.sub !== 'value') {
    // type and primary describe the one value kept (read-only in /Schemas): a value sent is ignored.
    if (op === 'remove') throw new ScimError(400, 'mutability', `${attribute}.${path.sub} is read-only`);
    return current;
  }
  const target = path.filter === undefined || (entry !== undefined && matches(path.filter, entry));
  if (op === 'remove') return target ? null : current;
  let incoming: MultiValue[];
  if (path.sub === 'value' || (path.filter !== undefined && typeof value === 'string')) {
    const v = stringOrNull(value, `${attribute}.value`);
    incoming = v === null ? [] : [{ value: v, primary: target }];
  } else {
    incoming = multiValues(value, attribute);
  }
  if (path.filter !== undefined && !target) {
    // A value Nexus does not hold (a home email, say): kept only if there is none yet.
    return current ?? chooseValue(incoming);
  }
  if (op === 'replace' || path.filter !== undefined)
    return chooseValue(incoming) ?? (op === 'replace' ? null : current);
  return chooseValue([...incoming, ...(entry ? [entry] : [])]);
}

function text(op: Op, value: unknown, attribute: string): string | null {
  return op === 'remove' ? null : stringOrNull(value, attribute);
}

/** A required attribute (/Schemas) cannot be removed or left without a value (RFC 7644 §3.5.2.2). */
function required(op: Op, value: unknown, attribute: string): string {
  if (op === 'remove') throw new ScimError(400, 'mutability', `${attribute} is required and cannot be removed`);
  return stringOrNull(value, attribute) ?? '';
}

function applyOne(state: ScimUserState, op: Op, path: Path, value: unknown, raw: string): ScimUserState {
  const { attribute } = path;
  if (READ_ONLY.has(attribute) || READ_ONLY.has(attribute.split('.')[0]!)) {
    if (op === 'remove') throw new ScimError(400, 'mutability', `${raw} is read-only and cannot be removed`);
    return state;
  }
  if (IGNORED.has(attribute) || attribute.startsWith(SCIM_ENTERPRISE.toLowerCase())) return state;
  if (path.filter !== undefined && attribute !== 'emails' && attribute !== 'phonenumbers') {
    throw new ScimError(400, 'invalidPath', `"${raw}": only emails and phoneNumbers take a value filter`);
  }
  switch (attribute) {
    case 'username':
      return { ...state, userName: required(op, value, 'userName') };
    case 'externalid':
      return { ...state, externalId: text(op, value, 'externalId') };
    case 'title':
      return { ...state, title: text(op, value, 'title') };
    case 'name.givenname':
      return { ...state, givenName: required(op, value, 'name.givenName') };
    case 'name.familyname':
      return { ...state, familyName: required(op, value, 'name.familyName') };
    case 'name': {
      if (op === 'remove') throw new ScimError(400, 'mutability', 'name is required and cannot be removed');
      if (!isObject(value)) throw new ScimError(400, 'invalidValue', 'name must be an object');
      let next = state;
      for (const key of Object.keys(value))
        next = applyOne(next, op, { attribute: `name.${key.toLowerCase()}` }, value[key], `name.${key}`);
      return next;
    }
    case 'active':
      // Unassigned, active means what a User created without it is: active (POST's default).
      return { ...state, active: op === 'remove' ? true : booleanValue(value, 'active') };
    case 'emails':
    case 'emails.value': {
      const email = applyMulti(
        op,
        state.email,
        attribute === 'emails.value' ? { ...path, sub: 'value' } : path,
        value,
        'emails',
      );
      if (op === 'remove' && email === null)
        throw new ScimError(400, 'mutability', 'emails is required: replace the address instead of removing it');
      return { ...state, email: email ?? '' };
    }
    case 'phonenumbers':
    case 'phonenumbers.value':
      return {
        ...state,
        phone: applyMulti(
          op,
          state.phone,
          attribute === 'phonenumbers.value' ? { ...path, sub: 'value' } : path,
          value,
          'phoneNumbers',
        ),
      };
    default:
      throw new ScimError(400, 'invalidPath', `"${raw}" is not an attribute of a Nexus User`);
  }
}

/** Extension attributes are written with their schema URN, which the path grammar cannot hold. */
function applyExtension(state: ScimUserState, op: Op, raw: string, value: unknown): ScimUserState | undefined {
  const lower = raw.trim().toLowerCase();
  if (lower.startsWith(SCIM_ENTERPRISE.toLowerCase())) return state;
  if (!lower.startsWith(SCIM_NEXUS.toLowerCase())) return undefined;
  const rest = lower.slice(SCIM_NEXUS.length);
  if (rest === ':typeofuser') return { ...state, typeOfUser: text(op, value, 'typeOfUser') ?? '' };
  // The whole extension: removing it removes typeOfUser, which is immutable (refused unless unchanged).
  if (rest === '' && op === 'remove') return { ...state, typeOfUser: '' };
  if (rest === '' && isObject(value)) {
    const type = member(value, 'typeOfUser');
    return type === undefined ? state : { ...state, typeOfUser: text(op, type, 'typeOfUser') ?? '' };
  }
  throw new ScimError(400, 'invalidPath', `"${raw}" is not an attribute of the Nexus extension`);
}

function applyPath(state: ScimUserState, op: Op, raw: string, value: unknown): ScimUserState {
  return applyExtension(state, op, raw, value) ?? applyOne(state, op, parsePath(raw), value, raw);
}

export function applyPatch(state: ScimUserState, raw: unknown): ScimUserState {
  const body = scimBody(raw, SCIM_PATCH);
  const operations = member(body, 'Operations');
  if (!Array.isArray(operations) || operations.length === 0)
    throw new ScimError(400, 'invalidSyntax', 'Operations must be a non-empty array');
  if (operations.length > MAX_OPERATIONS)
    throw new ScimError(400, 'tooMany', `Send ${MAX_OPERATIONS} operations or fewer`);
  let next = state;
  for (const operation of operations) {
    if (!isObject(operation)) throw new ScimError(400, 'invalidSyntax', 'Each operation must be an object');
    const opName = member(operation, 'op');
    const op = typeof opName === 'string' ? opName.toLowerCase() : '';
    if (op !== 'add' && op !== 'replace' && op !== 'remove')
      throw new ScimError(400, 'invalidSyntax', 'op must be add, replace or remove');
    const path = member(operation, 'path');
    const value = member(operation, 'value');
    if (path !== undefined && path !== null) {
      if (typeof path !== 'string' || path.trim() === '')
        throw new ScimError(400, 'invalidPath', 'path must be a non-empty string');
      if (op !== 'remove' && value === undefined)
        throw new ScimError(400, 'invalidValue', `${op} of ${path} needs a value`);
      next = applyPath(next, op, path, value);
    } else if (op === 'remove') {
      throw new ScimError(400, 'noTarget', 'remove needs a path');
    } else {
      if (!isObject(value)) throw new ScimError(400, 'invalidValue', `${op} without a path needs an object value`);
      for (const key of Object.keys(value)) next = applyPath(next, op, key, value[key]);
    }
  }
  return next;
}
