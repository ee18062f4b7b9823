/**
 * Bad values for the route-enumerating fuzz suite (test/support/route-fuzz-suite.ts), in the two forms a
 * request carries them: percent-encoded text (addresses, query strings, form bodies) and JSON values
 * (API and SCIM bodies). Percent-encoded payloads are written as they go on the wire, so a lone
 * surrogate can be sent at all (encodeURIComponent refuses one) and broken %-encoding is possible.
 */

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
const cursor = (value: unknown) => b64(JSON.stringify(value));

/** A value for an address, a query string or a form field, already percent-encoded. */
export interface WirePayload {
  kind: string;
  /** Percent-encoded, ready to follow `name=`. */
  encoded: string;
  /** Sent as the field repeated (name=a&name=b): a list where one value is expected. */
  repeated?: boolean;
}

const enc = (text: string) => encodeURIComponent(text);

export const LONG = 'x'.repeat(10_000);

/** Every payload sent to every query parameter and form field. */
export const WIRE_PAYLOADS: readonly WirePayload[] = [
  { kind: 'nul', encoded: 'a%00b' },
  { kind: 'lone-surrogate-utf8', encoded: 'a%ED%A0%80b' },
  { kind: 'lone-low-surrogate-utf8', encoded: '%ED%B0%80' },
  { kind: 'crlf', encoded: 'a%0D%0ALocation%3A%20https%3A%2F%2Fevil.example%2F' },
  { kind: 'over-long', encoded: LONG },
  { kind: 'repeated', encoded: 'a', repeated: true },
  { kind: 'empty', encoded: '' },
  { kind: 'broken-percent', encoded: '%E0%A4%A' },
  { kind: 'markup', encoded: enc('<script>alert(1)</script>"\'><img src=x>') },
  { kind: 'sql', encoded: enc("' OR 1=1; DROP TABLE accounts; --") },
  { kind: 'huge-number', encoded: '99999999999999999999999999' },
  { kind: 'negative-number', encoded: '-1' },
  { kind: 'float-exponent', encoded: '1e309' },
  { kind: 'impossible-date', encoded: '2026-02-30' },
  { kind: 'far-date', encoded: '275760-09-13' },
  { kind: 'control-and-bidi', encoded: enc('\u0001\u001b[31m\u202e\u200b\ufeff') },
  { kind: 'cursor-not-base64', encoded: enc('!!not*base64??') },
  { kind: 'cursor-base64-junk', encoded: b64('junk{[') },
  { kind: 'cursor-wrong-types', encoded: cursor(['users', 1, null, { a: 1 }]) },
  { kind: 'cursor-bad-uuid', encoded: cursor(['users', 'Smith', 'Ann', 'not-a-uuid']) },
  { kind: 'cursor-bad-instant', encoded: cursor(['audit', '275760-09-13T00:00:00.001Z', '1']) },
  { kind: 'cursor-huge-bigint', encoded: cursor(['audit', '2026-01-01T00:00:00.000Z', '99999999999999999999999999']) },
  { kind: 'cursor-nested', encoded: cursor(JSON.parse('['.repeat(200) + ']'.repeat(200)) as unknown) },
  { kind: 'proto', encoded: enc('__proto__') },
];

/** The fewer payloads sent to each unknown (generic) query name, one field at a time. */
export const CORE_WIRE_KINDS = new Set([
  'nul',
  'lone-surrogate-utf8',
  'crlf',
  'over-long',
  'repeated',
  'broken-percent',
  'cursor-wrong-types',
  'huge-number',
]);

/** Values for a path parameter, besides a real id and another LA's id. */
export const PATH_PAYLOADS: readonly { kind: string; encoded: string }[] = [
  { kind: 'unknown-uuid', encoded: '3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b' },
  { kind: 'not-a-uuid', encoded: 'not-a-uuid' },
  { kind: 'nul', encoded: 'a%00b' },
  { kind: 'lone-surrogate-utf8', encoded: '%ED%A0%80' },
  { kind: 'crlf', encoded: 'a%0D%0Ab' },
  { kind: 'near-limit', encoded: 'x'.repeat(290) },
  { kind: 'over-long', encoded: 'x'.repeat(1_000) },
  { kind: 'huge-number', encoded: '99999999999999999999999999' },
  { kind: 'negative-number', encoded: '-1' },
  { kind: 'sql', encoded: enc("1' OR '1'='1") },
  { kind: 'broken-percent', encoded: '%E0%A4%A' },
  { kind: 'dot-dot', encoded: '..%2F..%2Fetc%2Fpasswd' },
  { kind: 'markup', encoded: enc('<b>x</b>') },
];

/** A JSON value put in place of one member of a body. */
export interface JsonPayload {
  kind: string;
  value: unknown;
}

export const JSON_PAYLOADS: readonly JsonPayload[] = [
  { kind: 'nul', value: 'a\u0000b' },
  { kind: 'lone-surrogate', value: 'a\ud800b' },
  { kind: 'lone-low-surrogate', value: '\udc00' },
  { kind: 'crlf', value: 'a\r\nb' },
  { kind: 'over-long', value: LONG },
  { kind: 'empty', value: '' },
  { kind: 'number', value: 12345 },
  { kind: 'float', value: 1.5e308 },
  { kind: 'negative', value: -1 },
  { kind: 'boolean', value: true },
  { kind: 'null', value: null },
  { kind: 'array', value: ['a', 1, null] },
  { kind: 'object', value: { $ne: 1, __proto__x: 'y' } },
  { kind: 'nested-array', value: [[[['deep']]]] },
  { kind: 'markup', value: '<script>alert(1)</script>' },
  { kind: 'sql', value: "' OR 1=1; --" },
  { kind: 'impossible-date', value: '2026-02-30' },
  { kind: 'bad-uuid', value: 'not-a-uuid' },
  { kind: 'huge-integer-string', value: '99999999999999999999999999' },
];

/** Whole bodies that are not what any route expects. */
export const RAW_JSON_BODIES: readonly { kind: string; body: string }[] = [
  { kind: 'not-json', body: '{"a": ' },
  { kind: 'json-string', body: '"a\\u0000b"' },
  { kind: 'json-array', body: '[1,2,3]' },
  { kind: 'json-null', body: 'null' },
  { kind: 'json-number', body: '42' },
  { kind: 'deep-nesting', body: '['.repeat(5_000) + ']'.repeat(5_000) },
  { kind: 'nul-key', body: '{"a\\u0000":"b","\\ud800":1}' },
  { kind: 'proto-key', body: '{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}}' },
];

/**
 * A stack trace, an internal path or an exception name in a response body. (Not test/support/cli-child.ts's
 * STACK_TRACE: its bare "Error:" also matches the GOV.UK "Error: " prefix of page titles.)
 */
export const STACK_TRACE =
  /^\s+at .+[(:]\d+:\d+|\bat [\w$.<>]+ \([^)]*:\d+:\d+\)|node:internal|node_modules\/|\/src\/[\w/-]+\.ts\b|\b(TypeError|RangeError|ReferenceError|SyntaxError|DatabaseError|error: invalid input syntax)\b/m;

/** SCIM filters (RFC 7644 §3.4.2.2) that are odd, wrong or hostile, sent to every `filter` parameter. */
export const SCIM_FILTERS: readonly string[] = [
  'id eq "not-a-uuid"',
  'id co "3f2b"',
  'id sw "%"',
  'id ne "3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b"',
  'id pr',
  'active eq "yes"',
  'active eq true',
  'active co "t"',
  'active eq 1',
  'userName eq "a\\u0000b"',
  'userName eq "\\ud800"',
  'userName eq 1',
  'userName eq null',
  'userName eq "',
  'userName co "%_\\\\"',
  'userName gt "a"',
  'userName eq "a" and',
  'userName eq "a" or id eq "b" or title pr',
  'emails[type eq "work"]',
  'emails[value co "%"]',
  'emails[value co "x"].value',
  'name.givenName pr',
  'name pr',
  'not (userName eq "a")',
  'not userName eq "a"',
  `${'('.repeat(25)}userName eq "a"${')'.repeat(25)}`,
  'meta.lastModified gt "2011-05-13T04:42:34Z"',
  'urn:ietf:params:scim:schemas:core:2.0:User:userName eq "a"',
  'urn:ietf:params:scim:schemas:extension:nexus:2.0:User:typeOfUser eq "la_admin"',
  `userName eq "${'x'.repeat(1_100)}"`,
  'userName eq "a" )',
  '[',
  ']',
  '"',
  '\\',
  'eq',
  'userName eq "a" garbage',
];
