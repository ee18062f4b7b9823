import type { Account } from '../../services/records.ts';
import { ScimError } from './scim-errors.ts';
import { DEFAULT_USER_TYPE, SCIM_NEXUS, SCIM_USER } from './scim-schemas.ts';

/**
 * A User as Nexus keeps it: one email, one phone, the Type of User from the Nexus extension.
 * PUT bodies and PATCH operations both produce one of these; the route then asks the services for
 * the difference from the account as it is.
 */
export interface ScimUserState {
  userName: string;
  externalId: string | null;
  givenName: string;
  familyName: string;
  email: string;
  title: string | null;
  phone: string | null;
  active: boolean;
  typeOfUser: string;
}

export interface MultiValue {
  value: string;
  type?: string;
  primary?: boolean;
}

export function stateOf(account: Account): ScimUserState {
  return {
    userName: account.username,
    externalId: account.external_id,
    givenName: account.first_name,
    familyName: account.last_name,
    email: account.email,
    title: account.job_title,
    phone: account.phone,
    active: account.status === 'active',
    typeOfUser: account.user_type,
  };
}

export function toScimUser(account: Account, base: string) {
  const s = stateOf(account);
  return {
    schemas: [SCIM_USER, SCIM_NEXUS],
    id: account.id,
    ...(s.externalId !== null ? { externalId: s.externalId } : {}),
    userName: s.userName,
    name: { givenName: s.givenName, familyName: s.familyName, formatted: `${s.givenName} ${s.familyName}` },
    displayName: `${s.givenName} ${s.familyName}`,
    emails: [{ value: s.email, type: 'work', primary: true }],
    ...(s.title !== null ? { title: s.title } : {}),
    ...(s.phone !== null ? { phoneNumbers: [{ value: s.phone, type: 'work', primary: true }] } : {}),
    active: s.active,
    [SCIM_NEXUS]: { typeOfUser: s.typeOfUser },
    meta: {
      resourceType: 'User',
      created: account.created_at.toISOString(),
      lastModified: account.updated_at.toISOString(),
      location: `${base}/Users/${account.id}`,
      version: `W/"${account.version}"`,
    },
  };
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Members are looked up case-insensitively: SCIM attribute names are (RFC 7643 §2.1). */
export function member(object: Record<string, unknown>, name: string): unknown {
  const key = Object.keys(object).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : object[key];
}

export function stringOrNull(value: unknown, attribute: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new ScimError(400, 'invalidValue', `${attribute} must be a string`);
  return value;
}

/** Entra ID sends booleans as the strings "True" and "False". */
export function booleanValue(value: unknown, attribute: string): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value.trim())) return value.trim().toLowerCase() === 'true';
  throw new ScimError(400, 'invalidValue', `${attribute} must be true or false`);
}

/** Multi-valued attributes as a list of { value, type, primary }. */
export function multiValues(value: unknown, attribute: string): MultiValue[] {
  if (value === null || value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((entry) => {
    if (!isObject(entry))
      throw new ScimError(400, 'invalidValue', `Each of ${attribute} must be an object with a value`);
    const v = member(entry, 'value');
    if (typeof v !== 'string') throw new ScimError(400, 'invalidValue', `${attribute}.value must be a string`);
    const type = member(entry, 'type');
    const primary = member(entry, 'primary');
    return {
      value: v,
      ...(typeof type === 'string' ? { type } : {}),
      ...(primary === undefined ? {} : { primary: booleanValue(primary, `${attribute}.primary`) }),
    };
  });
}

/** Nexus keeps one value: the primary one, else the work one, else the first (documented in the README). */
export function chooseValue(values: readonly MultiValue[]): string | null {
  const chosen = values.find((v) => v.primary) ?? values.find((v) => v.type?.toLowerCase() === 'work') ?? values[0];
  return chosen ? chosen.value : null;
}

/** A request body: a JSON object whose `schemas` lists the message or resource schema it must be. */
export function scimBody(body: unknown, schema: string): Record<string, unknown> {
  if (!isObject(body)) throw new ScimError(400, 'invalidSyntax', 'The body must be a JSON object');
  const schemas = member(body, 'schemas');
  if (
    !Array.isArray(schemas) ||
    !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === schema.toLowerCase())
  )
    throw new ScimError(400, 'invalidSyntax', `schemas must list ${schema}`);
  return body;
}

/** The account details a User holds, as the services take them. */
export function detailsOf(user: ScimUserState) {
  return {
    firstName: user.givenName,
    lastName: user.familyName,
    email: user.email,
    jobTitle: user.title ?? '',
    phone: user.phone ?? '',
    externalId: user.externalId,
  };
}

/** The Type of User from the Nexus extension, if the body names one. */
function typeOfUser(body: Record<string, unknown>): string | undefined {
  const extension = member(body, SCIM_NEXUS);
  if (extension === undefined || extension === null) return undefined;
  if (!isObject(extension)) throw new ScimError(400, 'invalidValue', `${SCIM_NEXUS} must be an object`);
  const value = member(extension, 'typeOfUser');
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new ScimError(400, 'invalidValue', 'typeOfUser must be a string');
  return value;
}

/**
 * The User of a POST or PUT body (RFC 7644 §3.3, §3.5.1). Attributes Nexus does not keep
 * (nickName, addresses, the enterprise extension…) are ignored, as identity systems send many.
 * `current` is the account being replaced: its Type of User and status stay when the body names none.
 */
export function parseUserBody(raw: unknown, current?: ScimUserState): ScimUserState {
  const body = scimBody(raw, SCIM_USER);
  const userName = member(body, 'userName');
  if (typeof userName !== 'string' || userName.trim() === '')
    throw new ScimError(400, 'invalidValue', 'userName is required and must be a string');
  const name = member(body, 'name');
  if (name !== undefined && name !== null && !isObject(name))
    throw new ScimError(400, 'invalidValue', 'name must be an object');
  const active = member(body, 'active');
  return {
    userName,
    externalId: stringOrNull(member(body, 'externalId'), 'externalId'),
    givenName: stringOrNull(name ? member(name, 'givenName') : undefined, 'name.givenName') ?? '',
    familyName: stringOrNull(name ? member(name, 'familyName') : undefined, 'name.familyName') ?? '',
    email: chooseValue(multiValues(member(body, 'emails'), 'emails')) ?? '',
    title: stringOrNull(member(body, 'title'), 'title'),
    phone: chooseValue(multiValues(member(body, 'phoneNumbers'), 'phoneNumbers')),
    // A replacement that leaves active out does not archive or restore anything.
    active: active === undefined || active === null ? (current?.active ?? true) : booleanValue(active, 'active'),
    typeOfUser: typeOfUser(body) ?? current?.typeOfUser ?? DEFAULT_USER_TYPE,
  };
}
