import type { FastifyInstance } from 'fastify';
import { SHARED_SCHEMAS } from '../../src/api/schemas.ts';
import type { RegisteredRoute } from '../../src/http/server.ts';

/**
 * What the route-enumerating fuzz suite knows of each route, derived from the application itself:
 * the routes from `app.registeredRoutes` (buildServer's onRoute hook), the fields of API routes from
 * their JSON schemas, of SCIM from its served /Schemas document and a valid User, and of pages from
 * the forms the pages render (test/support/route-fuzz-suite.ts crawls them into `addForm`).
 */
export type Area = 'pages' | 'api' | 'scim';
export type BodyKind = 'none' | 'form' | 'multipart' | 'json';

export interface FuzzRoute {
  method: string;
  url: string;
  area: Area;
  params: string[];
  /** Query names → a valid value ('' when unknown): the fuzz changes one (or all) at a time. */
  query: Map<string, string>;
  bodyKind: BodyKind;
  /** Form fields → their valid values (several for checkboxes); JSON: dotted paths → valid values. */
  formFields: Map<string, string[]>;
  jsonBase: unknown;
  jsonPaths: string[];
  /** Where the fields came from: 'schema', 'form <page>', 'scim-schemas'. */
  derivedFrom: Set<string>;
}

/** Query names sent to every route, known to it or not. */
export const GENERIC_QUERY_NAMES = [
  'q',
  'cursor',
  'page',
  'type',
  'privilege',
  'status',
  'la',
  'returnTo',
  'sort',
  'limit',
  'filter',
  'startIndex',
  'count',
  'inactiveMonths',
  'days',
  'action',
  'show',
  'attributes',
  'excludedAttributes',
  'id',
] as const;

export function areaOf(url: string): Area {
  if (url.startsWith('/api/')) return 'api';
  if (url.startsWith('/scim/')) return 'scim';
  return 'pages';
}

export function paramsOf(url: string): string[] {
  return [...url.matchAll(/:(\w+)|\*/g)].map((m) => m[1] ?? '*');
}

/** Every route the application registered, but the HEAD twin Fastify adds for each GET. */
export function enumerateRoutes(app: FastifyInstance): FuzzRoute[] {
  const gets = new Set(app.registeredRoutes.filter((r) => r.method === 'GET').map((r) => r.url));
  return app.registeredRoutes.filter((r) => !(r.method === 'HEAD' && gets.has(r.url))).map((r) => describeRoute(r));
}

type Schema = Record<string, unknown>;
const byId = new Map(SHARED_SCHEMAS.map((s) => [String(s.$id), s as Schema]));

function resolve(schema: Schema | undefined): Schema | undefined {
  if (!schema) return undefined;
  const ref = schema.$ref;
  if (typeof ref === 'string') return resolve(byId.get(ref.replace(/#$/, '')));
  return schema;
}

/** A value the schema accepts, so that one member at a time can be made bad. */
export function exampleOf(schemaIn: Schema | undefined, name = ''): unknown {
  const schema = resolve(schemaIn) ?? {};
  if ('default' in schema) return schema.default;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  if (Array.isArray(schema.type) && schema.type.includes('null') && name !== '') return null;
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  if (Array.isArray(schema.anyOf)) return exampleOf(schema.anyOf[0] as Schema, name);
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [key, sub] of Object.entries((schema.properties ?? {}) as Record<string, Schema>)) {
        const value = exampleOf(sub, key);
        if (value !== undefined) out[key] = value;
      }
      return out;
    }
    case 'array':
      return [];
    case 'integer':
    case 'number':
      return typeof schema.minimum === 'number' ? schema.minimum : 1;
    case 'boolean':
      return false;
    case 'string': {
      // Another LA (central support only) and free choices a route checks against the catalogue stay out of the base.
      if (name === 'la' || name.startsWith('cinClaAgreed')) return undefined;
      if (schema.format === 'uuid') return '3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b';
      if (schema.format === 'date') return '2027-06-30';
      return plausible(name, '') || 'Fuzz';
    }
    default:
      return undefined;
  }
}

/** Dotted paths of every member of a JSON value, containers included (so a whole object can be made a string). */
export function jsonPaths(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) {
    return value.flatMap((v, i) => [`${prefix}${i}`, ...jsonPaths(v, `${prefix}${i}.`)]);
  }
  if (value && typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => [
      `${prefix}${k}`,
      ...jsonPaths(v, `${prefix}${k}.`),
    ]);
  }
  return [];
}

/** A deep copy of `base` with the member at `path` replaced (or added). */
export function withMember(base: unknown, path: string, value: unknown): unknown {
  const copy = structuredClone(base ?? {}) as Record<string, unknown>;
  const parts = path.split('.');
  let node: Record<string, unknown> = copy;
  for (const part of parts.slice(0, -1)) {
    if (!node[part] || typeof node[part] !== 'object') node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts.at(-1)!] = value;
  return copy;
}

function describeRoute(r: RegisteredRoute): FuzzRoute {
  const area = areaOf(r.url);
  const route: FuzzRoute = {
    method: r.method,
    url: r.url,
    area,
    params: paramsOf(r.url),
    query: new Map(),
    bodyKind: 'none',
    formFields: new Map(),
    jsonBase: undefined,
    jsonPaths: [],
    derivedFrom: new Set(),
  };
  const schema = r.schema as Schema | undefined;
  const querystring = resolve(schema?.querystring as Schema | undefined);
  if (querystring?.properties) {
    for (const [name, sub] of Object.entries(querystring.properties as Record<string, Schema>)) {
      // A filter's base is its default (or none): a made-up value would refuse every case before the handler.
      const resolved = resolve(sub) ?? {};
      const example =
        'default' in resolved ? resolved.default : Array.isArray(resolved.enum) ? resolved.enum[0] : undefined;
      route.query.set(name, example === undefined ? '' : String(example));
    }
    route.derivedFrom.add('schema');
  }
  const body = resolve(schema?.body as Schema | undefined);
  if (body) {
    route.bodyKind = 'json';
    route.jsonBase = exampleOf(body);
    route.jsonPaths = jsonPaths(route.jsonBase);
    // Members of the schema's array items too: one element built from the item schema.
    for (const [key, sub] of Object.entries((body.properties ?? {}) as Record<string, Schema>)) {
      const items = resolve(resolve(sub)?.items as Schema | undefined);
      if (items) route.jsonPaths.push(`${key}.0`, ...jsonPaths(exampleOf(items), `${key}.0.`));
    }
    route.derivedFrom.add('schema');
  } else if (area === 'api' && ['POST', 'PUT', 'PATCH', 'DELETE'].includes(r.method)) {
    route.bodyKind = 'json';
    route.jsonBase = {};
  } else if (area === 'scim' && ['POST', 'PUT', 'PATCH'].includes(r.method)) {
    route.bodyKind = 'json';
  } else if (area === 'pages' && r.method === 'POST') {
    route.bodyKind = 'form';
  }
  return route;
}

/** The route whose pattern matches a concrete path, e.g. a form's action. */
export function routeFor(routes: readonly FuzzRoute[], method: string, path: string): FuzzRoute | undefined {
  return routes.find(
    (r) => r.method === method && new RegExp(`^${r.url.replace(/:\w+/g, '[^/]+').replace(/\*/g, '.*')}$`).test(path),
  );
}

const attr = (tag: string, name: string): string | undefined => {
  const m = new RegExp(`\\s${name}="([^"]*)"`, 'i').exec(tag);
  return m
    ? m[1]!
        .replace(/&amp;/g, '&')
        .replace(/&quot;/g, '"')
        .replace(/&#39;/g, "'")
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
    : undefined;
};

/** Whether any checkbox or radio of this name is checked (else the first value stands for the group). */
function checkedIn(html: string, name: string): boolean {
  return [...html.matchAll(/<input\b[^>]*>/gi)].some((m) => attr(m[0], 'name') === name && /\schecked\b/i.test(m[0]));
}

/**
 * Stands in for a unique value: replaced by a fresh one in every request (test/support/route-fuzz-suite.ts),
 * so that a valid base request creates a new account rather than meeting the last one's username.
 */
export const UNIQUE_PLACEHOLDER = 'zzuniqzz';

/** A valid value for an empty form field, from its name, so that one bad field at a time meets the handler. */
export function plausible(name: string, value: string): string {
  if (value !== '') return value;
  if (/^username$/i.test(name)) return `fuzz.${UNIQUE_PLACEHOLDER}`;
  if (/email/i.test(name)) return `fuzz.${UNIQUE_PLACEHOLDER}@example.gov.uk`;
  if (/^currentPassword$/.test(name)) return 'Lantern-Orbit-Pickle-42';
  if (/password/i.test(name)) return 'Correct-Horse-Battery-93!';
  if (/phone/i.test(name)) return '020 7946 0000';
  if (/date|dueOn/i.test(name)) return '2027-01-31';
  if (/^(name|subject)$/i.test(name)) return `Fuzz ${UNIQUE_PLACEHOLDER}`;
  if (/^(firstName|lastName|jobTitle|body|note)$/i.test(name)) return 'Fuzz';
  return value;
}

/** Like plausible, and names (of groups, reviews, tokens) made unique even when the form shows one. */
export function baseValue(name: string, value: string): string {
  if (name === 'name' && value !== '') return `${value} ${UNIQUE_PLACEHOLDER}`;
  return plausible(name, value);
}

export interface RenderedForm {
  action: string;
  method: string;
  multipart: boolean;
  fields: Map<string, string[]>;
}

/** The forms of a rendered page: action, method and every named input, select, textarea and button. */
export function formsOf(html: string, pageUrl: string): RenderedForm[] {
  const forms: RenderedForm[] = [];
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const open = m[1]!;
    const inner = m[2]!;
    const fields = new Map<string, string[]>();
    const add = (name: string | undefined, value: string | undefined, keep: boolean) => {
      if (!name) return;
      if (!fields.has(name)) fields.set(name, []);
      if (keep && value !== undefined) fields.get(name)!.push(value);
    };
    for (const input of inner.matchAll(/<input\b[^>]*>/gi)) {
      const tag = input[0];
      const type = (attr(tag, 'type') ?? 'text').toLowerCase();
      const checkable = type === 'checkbox' || type === 'radio';
      const name = attr(tag, 'name');
      // A radio group keeps its first value when none is checked, so the base form is complete.
      const keep =
        !checkable ||
        /\schecked\b/i.test(tag) ||
        (!!name && (fields.get(name)?.length ?? 0) === 0 && !checkedIn(inner, name));
      add(name, attr(tag, 'value') ?? '', keep);
      if (type === 'radio' && name && /\schecked\b/i.test(tag)) fields.set(name, [attr(tag, 'value') ?? '']);
    }
    for (const select of inner.matchAll(/<select\b([^>]*)>([\s\S]*?)<\/select>/gi)) {
      const options = [...select[2]!.matchAll(/<option\b([^>]*)>/gi)].map((o) => ({
        value: attr(o[0], 'value') ?? '',
        selected: /\sselected\b/i.test(o[0]),
      }));
      const chosen = options.find((o) => o.selected) ?? options.find((o) => o.value !== '') ?? options[0];
      add(attr(select[0], 'name'), chosen?.value ?? '', true);
    }
    for (const area of inner.matchAll(/<textarea\b([^>]*)>([\s\S]*?)<\/textarea>/gi))
      add(attr(area[0], 'name'), area[2]!.trim(), true);
    for (const button of inner.matchAll(/<button\b[^>]*>/gi)) {
      const name = attr(button[0], 'name');
      if (name && !fields.has(name)) add(name, attr(button[0], 'value') ?? '', true);
    }
    const action = (attr(open, 'action') ?? '') || pageUrl;
    forms.push({
      action,
      method: (attr(open, 'method') ?? 'get').toUpperCase(),
      multipart: /multipart\/form-data/i.test(attr(open, 'enctype') ?? ''),
      fields,
    });
  }
  return forms;
}

/** Records a rendered form on the route its action names: body fields for POST, query names for GET. */
export function addForm(routes: readonly FuzzRoute[], form: RenderedForm, pageUrl: string): FuzzRoute | undefined {
  const path = form.action.split('?')[0]!;
  const route = routeFor(routes, form.method, path);
  if (!route) return undefined;
  const target = form.method === 'GET' ? route.query : undefined;
  for (const [name, values] of form.fields) {
    if (target) {
      if (!target.has(name) || target.get(name) === '') target.set(name, values[0] ?? '');
    } else if (!route.formFields.has(name) || route.formFields.get(name)!.length === 0) {
      route.formFields.set(name, values.length === 0 ? [] : values.map((v) => baseValue(name, v)));
    }
  }
  // Query parameters of the action itself (e.g. ?la=) are query names of the route too.
  for (const [name] of new URLSearchParams(form.action.split('?')[1] ?? ''))
    if (!route.query.has(name)) route.query.set(name, '');
  if (form.method === 'POST' && form.multipart) route.bodyKind = 'multipart';
  route.derivedFrom.add(`form ${pageUrl.split('?')[0]}`);
  return route;
}
