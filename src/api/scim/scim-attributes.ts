import { ScimError } from './scim-errors.ts';
import { SCIM_USER } from './scim-schemas.ts';

/**
 * `attributes` and `excludedAttributes` (RFC 7644 §3.4.2.5, §3.9): which attributes of a resource
 * a response carries. Names are case-insensitive, may carry the core schema's URN, may name a
 * sub-attribute (`name.givenName`, `emails.value`) or an extension (`urn:…:nexus:2.0:User` or
 * `urn:…:nexus:2.0:User:typeOfUser`). `id` is returned always, as /Schemas says; `schemas` too.
 */

/** Attributes whose `returned` is "always", and `schemas`, which is not an attribute but names the resource. */
const ALWAYS = new Set(['id', 'schemas']);
const MAX_NAMES = 50;

interface Wanted {
  /** The top-level member, lower case: an attribute or an extension URN. */
  top: string;
  /** A sub-attribute, lower case. */
  sub?: string;
}

function parseName(raw: string, extensions: readonly string[]): Wanted {
  let name = raw.trim().toLowerCase();
  const core = `${SCIM_USER.toLowerCase()}:`;
  if (name.startsWith(core)) name = name.slice(core.length);
  for (const urn of extensions.map((e) => e.toLowerCase())) {
    if (name === urn) return { top: urn };
    if (name.startsWith(`${urn}:`)) return { top: urn, sub: name.slice(urn.length + 1) };
  }
  const dot = name.indexOf('.');
  return dot < 0 ? { top: name } : { top: name.slice(0, dot), sub: name.slice(dot + 1) };
}

/** The names of a query parameter (comma-separated) or of a .search body (a list of strings). */
export function attributeNames(value: unknown, parameter: string, extensions: readonly string[]): Wanted[] | undefined {
  if (value === undefined || value === null) return undefined;
  const list =
    typeof value === 'string'
      ? value.split(',')
      : Array.isArray(value) && value.every((v) => typeof v === 'string')
        ? value
        : undefined;
  if (!list) throw new ScimError(400, 'invalidValue', `${parameter} must be a comma-separated list of attribute names`);
  const names = list.map((n) => n.trim()).filter((n) => n !== '');
  if (names.length > MAX_NAMES)
    throw new ScimError(400, 'invalidValue', `Name ${MAX_NAMES} attributes or fewer in ${parameter}`);
  if (names.some((n) => !/^[A-Za-z0-9:._$-]+$/.test(n)))
    throw new ScimError(400, 'invalidValue', `${parameter} names attributes, such as userName or name.givenName`);
  return names.length === 0 ? undefined : names.map((n) => parseName(n, extensions));
}

function pick(value: unknown, subs: Set<string>, keep: boolean): unknown {
  const one = (v: unknown) => {
    if (typeof v !== 'object' || v === null) return v;
    const out = Object.fromEntries(Object.entries(v).filter(([k]) => subs.has(k.toLowerCase()) === keep));
    return Object.keys(out).length === 0 ? undefined : out;
  };
  if (Array.isArray(value)) {
    const list = value.map(one).filter((v) => v !== undefined);
    return list.length === 0 ? undefined : list;
  }
  return one(value);
}

export interface Projection {
  attributes?: Wanted[];
  excluded?: Wanted[];
}

/** The resource with only the attributes asked for, or without those excluded. */
export function project<T extends Record<string, unknown>>(
  resource: T,
  projection: Projection,
): Record<string, unknown> {
  const { attributes, excluded } = projection;
  if (!attributes && !excluded) return resource;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(resource)) {
    const k = key.toLowerCase();
    if (ALWAYS.has(k)) {
      out[key] = value;
      continue;
    }
    let v: unknown = value;
    if (attributes) {
      const asked = attributes.filter((w) => w.top === k);
      if (asked.length === 0) continue;
      if (!asked.some((w) => w.sub === undefined)) v = pick(v, new Set(asked.map((w) => w.sub!)), true);
    }
    if (excluded && v !== undefined) {
      const dropped = excluded.filter((w) => w.top === k);
      if (dropped.some((w) => w.sub === undefined)) continue;
      if (dropped.length > 0) v = pick(v, new Set(dropped.map((w) => w.sub!)), false);
    }
    if (v !== undefined) out[key] = v;
  }
  return out;
}
