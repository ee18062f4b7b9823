import {
  JSON_PAYLOADS,
  LONG,
  PATH_PAYLOADS,
  RAW_JSON_BODIES,
  SCIM_FILTERS,
  WIRE_PAYLOADS,
  CORE_WIRE_KINDS,
  type WirePayload,
} from './route-fuzz-payloads.ts';
import { GENERIC_QUERY_NAMES, withMember, type FuzzRoute } from './route-fuzz-routes.ts';

/**
 * The requests sent to one route: every path parameter, query name and body field gets bad values
 * while the rest of the request stays valid (so the bad value is what the handler meets), and the
 * whole request gets each payload in every field at once. Fields the route declares (schema, form)
 * get every payload; the generic query names, unknown to most routes, get the core payloads.
 */
export interface FuzzCase {
  label: string;
  method: string;
  url: string;
  body?: string | Buffer;
  contentType?: string;
  /** Sent without credentials (no cookie, no token). */
  anonymous?: boolean;
}

/** Stands in for a path parameter's real value in a case's address: filled in when the case is sent. */
export function realPlaceholder(param: string): string {
  return `REAL${param === '*' ? 'WILDCARD' : param}REAL`;
}

export interface RouteContext {
  route: FuzzRoute;
  /** Real value of each path parameter, and another LA's where there is one. */
  path: Record<string, { real: string; other?: string }>;
  csrf: string | undefined;
  /** A valid upload for multipart routes (their own CSV template), so one bad field at a time meets the import. */
  file?: string;
}

const enc = (value: string) => encodeURIComponent(value);

function fillPath(url: string, values: Record<string, string>): string {
  return url.replace(/:(\w+)|\*/g, (_m, name: string | undefined) => values[name ?? '*'] ?? '');
}

function queryString(pairs: readonly (readonly [string, string])[]): string {
  return pairs.map(([k, v]) => `${enc(k)}=${v}`).join('&');
}

function wirePairs(name: string, payload: WirePayload): [string, string][] {
  return payload.repeated
    ? [
        [name, payload.encoded],
        [name, `${payload.encoded}2`],
      ]
    : [[name, payload.encoded]];
}

const MULTIPART_BOUNDARY = '----nexus-fuzz-boundary-9f8e7d6c';

function multipart(
  fields: readonly (readonly [string, string])[],
  file: { name: string; content: Buffer | string } | undefined,
): Buffer {
  const parts: Buffer[] = fields.map(([name, value]) =>
    Buffer.from(`--${MULTIPART_BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`),
  );
  if (file) {
    parts.push(
      Buffer.from(
        `--${MULTIPART_BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: text/csv\r\n\r\n`,
      ),
    );
    parts.push(Buffer.isBuffer(file.content) ? file.content : Buffer.from(file.content, 'utf8'));
    parts.push(Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${MULTIPART_BOUNDARY}--\r\n`));
  return Buffer.concat(parts);
}

/** Bad uploads: file contents, file names and broken multipart bodies. */
const FILE_PAYLOADS: readonly { kind: string; name: string; content: Buffer | string }[] = [
  { kind: 'nul', name: 'users.csv', content: 'username,firstName\na\u0000b,c\n' },
  {
    kind: 'lone-surrogate-bytes',
    name: 'users.csv',
    content: Buffer.concat([Buffer.from('username\n'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('\n')]),
  },
  { kind: 'invalid-utf8', name: 'users.csv', content: Buffer.from([0xff, 0xfe, 0x00, 0x41, 0xc3, 0x28]) },
  { kind: 'crlf-only', name: 'users.csv', content: '\r\n\r\n\r\n' },
  { kind: 'over-long-line', name: 'users.csv', content: `username\n${LONG}${LONG}\n` },
  { kind: 'unbalanced-quotes', name: 'users.csv', content: 'username,firstName\n"abc,def\n"x""y,"\n' },
  { kind: 'formula', name: 'users.csv', content: "username,firstName\n=cmd|' /C calc'!A0,@SUM(1)\n" },
  {
    kind: 'many-columns',
    name: 'users.csv',
    content: `${Array.from({ length: 2000 }, (_, i) => `c${i}`).join(',')}\n`,
  },
  { kind: 'header-only', name: 'users.csv', content: 'username,firstName,lastName,email,userType\n' },
  { kind: 'name-nul', name: 'a\u0000b.csv', content: 'username\nx\n' },
  { kind: 'name-crlf', name: 'a\r\nb.csv', content: 'username\nx\n' },
  { kind: 'name-long', name: `${'n'.repeat(5000)}.csv`, content: 'username\nx\n' },
  { kind: 'binary', name: 'users.zip', content: Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0, 0xff, 0xff]) },
];

const RAW_MULTIPART: readonly { kind: string; contentType: string; body: string }[] = [
  { kind: 'no-boundary', contentType: 'multipart/form-data', body: '--x\r\n\r\n' },
  {
    kind: 'truncated',
    contentType: `multipart/form-data; boundary=${MULTIPART_BOUNDARY}`,
    body: `--${MULTIPART_BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\nusername\n`,
  },
  {
    kind: 'no-headers',
    contentType: `multipart/form-data; boundary=${MULTIPART_BOUNDARY}`,
    body: `--${MULTIPART_BOUNDARY}\r\n\r\nx\r\n--${MULTIPART_BOUNDARY}--\r\n`,
  },
  {
    kind: 'header-too-long',
    contentType: `multipart/form-data; boundary=${MULTIPART_BOUNDARY}`,
    body: `--${MULTIPART_BOUNDARY}\r\nContent-Disposition: form-data; name="${'f'.repeat(5000)}"\r\n\r\nx\r\n--${MULTIPART_BOUNDARY}--\r\n`,
  },
  {
    kind: 'many-parts',
    contentType: `multipart/form-data; boundary=${MULTIPART_BOUNDARY}`,
    body: `${Array.from({ length: 100 }, (_, i) => `--${MULTIPART_BOUNDARY}\r\nContent-Disposition: form-data; name="f${i}"\r\n\r\nx\r\n`).join('')}--${MULTIPART_BOUNDARY}--\r\n`,
  },
  { kind: 'garbage', contentType: `multipart/form-data; boundary=${MULTIPART_BOUNDARY}`, body: '\u0000\u0001garbage' },
];

/** JSON payloads sent to each member one at a time (all of them go to every member at once too). */
const CORE_JSON_KINDS = new Set([
  'nul',
  'lone-surrogate',
  'crlf',
  'over-long',
  'number',
  'null',
  'array',
  'object',
  'boolean',
]);

export interface CaseOptions {
  /** Every payload to every field one at a time (the full cartesian product), not just the core ones. */
  full: boolean;
}

export function casesFor(ctx: RouteContext, options: CaseOptions): FuzzCase[] {
  const { route } = ctx;
  const cases: FuzzCase[] = [];
  // Real values go in at sending (realPlaceholder), so a route that consumed its account or link gets a fresh one.
  const realPath = Object.fromEntries(route.params.map((k) => [k, realPlaceholder(k)]));
  const baseUrl = fillPath(route.url, realPath);
  const baseQuery: [string, string][] = [...route.query].filter(([, v]) => v !== '').map(([k, v]) => [k, enc(v)]);
  const csrfPair: [string, string][] = ctx.csrf ? [['_csrf', enc(ctx.csrf)]] : [];

  // The base body: valid form values (and the CSRF token), or the valid JSON document.
  const formPairs = (replace?: { name: string; payload: WirePayload }, all?: WirePayload): [string, string][] => {
    const pairs: [string, string][] = [];
    for (const [name, values] of route.formFields) {
      if (name === '_csrf') continue;
      if (all) pairs.push(...wirePairs(name, all));
      else if (replace?.name === name) pairs.push(...wirePairs(name, replace.payload));
      else for (const v of values.length ? values : ['']) pairs.push([name, enc(v)]);
    }
    if (replace?.name === '_csrf') pairs.push(...wirePairs('_csrf', replace.payload));
    else pairs.push(...csrfPair);
    return pairs;
  };
  const baseBody = (): Pick<FuzzCase, 'body' | 'contentType'> => {
    if (route.bodyKind === 'form')
      return { body: queryString(formPairs()), contentType: 'application/x-www-form-urlencoded' };
    if (route.bodyKind === 'multipart') {
      const m = multipart(
        formPairs().map(([k, v]) => [k, safeDecode(v)]),
        { name: 'users.csv', content: ctx.file ?? 'username\n' },
      );
      return { body: m, contentType: `multipart/form-data; boundary=${MULTIPART_BOUNDARY}` };
    }
    if (route.bodyKind === 'json')
      return {
        body: JSON.stringify(route.jsonBase ?? {}),
        contentType: route.area === 'scim' ? 'application/scim+json' : 'application/json',
      };
    return {};
  };
  const withQuery = (url: string, pairs: readonly (readonly [string, string])[]) =>
    pairs.length ? `${url}?${queryString(pairs)}` : url;
  const add = (
    label: string,
    url: string,
    body: Pick<FuzzCase, 'body' | 'contentType'> = baseBody(),
    extra: Partial<FuzzCase> = {},
  ) => cases.push({ label, method: route.method, url, ...body, ...extra });

  // The valid request itself, signed in and not: each must be answered without a 5xx.
  add('valid', withQuery(baseUrl, baseQuery));
  add('valid, signed out', withQuery(baseUrl, baseQuery), baseBody(), { anonymous: true });

  // Path parameters: another LA's, then each bad value, the others real.
  for (const param of route.params) {
    const other = ctx.path[param]?.other;
    if (other)
      add(
        `path ${param}=another LA's`,
        withQuery(fillPath(route.url, { ...realPath, [param]: encodeURIComponent(other) }), baseQuery),
      );
    for (const p of PATH_PAYLOADS) {
      add(`path ${param}=${p.kind}`, withQuery(fillPath(route.url, { ...realPath, [param]: p.encoded }), baseQuery));
    }
    add(`path ${param}=nul, signed out`, fillPath(route.url, { ...realPath, [param]: 'a%00b' }), baseBody(), {
      anonymous: true,
    });
  }

  // Query: the route's own names get every payload, one at a time; unknown names the core ones.
  const declared = [...route.query.keys()];
  const generic = GENERIC_QUERY_NAMES.filter((n) => !route.query.has(n));
  for (const name of declared) {
    for (const payload of WIRE_PAYLOADS) {
      if (!options.full && !CORE_WIRE_KINDS.has(payload.kind) && !alsoOneAtATime(name, payload.kind)) continue;
      add(
        `query ${name}=${payload.kind}`,
        withQuery(baseUrl, [...baseQuery.filter(([k]) => k !== name), ...wirePairs(name, payload)]),
      );
    }
  }
  // Names the route does not know get every payload all together below; one at a time only in full runs.
  if (options.full) {
    for (const name of generic)
      for (const payload of WIRE_PAYLOADS)
        add(`query ${name}=${payload.kind}`, withQuery(baseUrl, [...baseQuery, ...wirePairs(name, payload)]));
  }
  // SCIM filters where a filter is read: the SCIM list, and any route that declares one.
  if (route.query.has('filter') || (route.area === 'scim' && route.method === 'GET' && route.params.length === 0)) {
    for (const [i, filter] of SCIM_FILTERS.entries())
      add(
        `query filter=scim#${i}`,
        withQuery(baseUrl, [...baseQuery.filter(([k]) => k !== 'filter'), ['filter', enc(filter)]]),
      );
  }
  // Every payload in every query name at once.
  for (const payload of WIRE_PAYLOADS) {
    add(
      `query *=${payload.kind}`,
      withQuery(
        baseUrl,
        [...declared, ...generic].flatMap((n) => wirePairs(n, payload)),
      ),
    );
  }
  add('query name nul', `${baseUrl}?a%00b=1&%ED%A0%80=2`);
  add('query over-long', `${baseUrl}?q=${'y'.repeat(70_000)}`);

  // Form bodies.
  if (route.bodyKind === 'form' || route.bodyKind === 'multipart') {
    const url = withQuery(baseUrl, baseQuery);
    const asBody = (pairs: [string, string][]): Pick<FuzzCase, 'body' | 'contentType'> =>
      route.bodyKind === 'form'
        ? { body: queryString(pairs), contentType: 'application/x-www-form-urlencoded' }
        : {
            body: multipart(
              pairs.map(([k, v]) => [k, safeDecode(v)]),
              { name: 'users.csv', content: ctx.file ?? 'username\n' },
            ),
            contentType: `multipart/form-data; boundary=${MULTIPART_BOUNDARY}`,
          };
    for (const name of [...route.formFields.keys(), ...(route.formFields.has('_csrf') ? [] : ['_csrf'])]) {
      for (const payload of WIRE_PAYLOADS) {
        if (!options.full && !CORE_WIRE_KINDS.has(payload.kind) && !['empty', 'impossible-date'].includes(payload.kind))
          continue;
        if (name === '_csrf' && !['nul', 'lone-surrogate-utf8', 'over-long', 'repeated'].includes(payload.kind))
          continue;
        add(`body ${name}=${payload.kind}`, url, asBody(formPairs({ name, payload })));
      }
    }
    for (const payload of WIRE_PAYLOADS) add(`body *=${payload.kind}`, url, asBody(formPairs(undefined, payload)));
    add(
      'body unknown fields',
      url,
      asBody([...formPairs(), ['__proto__', 'x'], ['constructor', 'y'], ['a%00b', 'z'], ['x'.repeat(1000), '1']]),
    );
    add('body empty', url, { body: '', contentType: 'application/x-www-form-urlencoded' });
    add('body json', url, { body: '{"a":1}', contentType: 'application/json' });
    add('body text', url, { body: 'a\u0000b', contentType: 'text/plain' });
    add('body too large', url, {
      body: `a=${'z'.repeat(70_000)}${csrfPair.map(([k, v]) => `&${k}=${v}`).join('')}`,
      contentType: 'application/x-www-form-urlencoded',
    });
    add('body broken charset', url, {
      body: queryString(formPairs()),
      contentType: 'application/x-www-form-urlencoded; charset=utf-16',
    });
  }
  if (route.bodyKind === 'multipart') {
    const url = withQuery(baseUrl, baseQuery);
    const fields = formPairs().map(([k, v]) => [k, safeDecode(v)] as const);
    for (const file of FILE_PAYLOADS)
      add(`file ${file.kind}`, url, {
        body: multipart(fields, file),
        contentType: `multipart/form-data; boundary=${MULTIPART_BOUNDARY}`,
      });
    add('file missing', url, {
      body: multipart(fields, undefined),
      contentType: `multipart/form-data; boundary=${MULTIPART_BOUNDARY}`,
    });
    for (const raw of RAW_MULTIPART)
      add(`multipart ${raw.kind}`, url, { body: raw.body, contentType: raw.contentType });
  }

  // JSON bodies: each member (containers too) gets the core payloads, every payload in every leaf at once.
  if (route.bodyKind === 'json') {
    const url = withQuery(baseUrl, baseQuery);
    const type = route.area === 'scim' ? 'application/scim+json' : 'application/json';
    const json = (value: unknown) => ({ body: JSON.stringify(value), contentType: type });
    for (const path of route.jsonPaths) {
      for (const payload of JSON_PAYLOADS) {
        if (!options.full && !CORE_JSON_KINDS.has(payload.kind)) continue;
        add(`json ${path}=${payload.kind}`, url, json(withMember(route.jsonBase, path, payload.value)));
      }
    }
    const leaves = route.jsonPaths.filter((p) => !route.jsonPaths.some((q) => q.startsWith(`${p}.`)));
    for (const payload of JSON_PAYLOADS) {
      add(
        `json *=${payload.kind}`,
        url,
        json(leaves.reduce((doc, p) => withMember(doc, p, payload.value), route.jsonBase)),
      );
      add(`json whole=${payload.kind}`, url, json(payload.value));
    }
    add('json unknown member', url, json(withMember(route.jsonBase, 'unknownMember', 'x')));
    for (const raw of RAW_JSON_BODIES) add(`json raw ${raw.kind}`, url, { body: raw.body, contentType: type });
    add('json as form', url, { body: 'a=1&b=%00', contentType: 'application/x-www-form-urlencoded' });
    add('json charset latin1', url, {
      body: Buffer.from(JSON.stringify(route.jsonBase ?? {}), 'latin1'),
      contentType: `${type}; charset=iso-8859-1`,
    });
    add('json too large', url, { body: JSON.stringify({ a: 'z'.repeat(300_000) }), contentType: type });
  }
  return cases;
}

/** Payloads beyond the core ones that a declared query name gets one at a time: cursors for cursor-like names, numbers and dates. */
function alsoOneAtATime(name: string, kind: string): boolean {
  return kind.startsWith('cursor-')
    ? /cursor|page|startIndex|filter/i.test(name)
    : ['empty', 'negative-number', 'impossible-date', 'float-exponent'].includes(kind);
}

function safeDecode(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}
