/**
 * The SCIM filter language (RFC 7644 §3.4.2.2) for Users, parsed into a tree that the account
 * queries translate to SQL. Pure: no I/O. Every malformed filter is a ScimFilterError, which the
 * SCIM interface answers as 400 invalidFilter.
 */

export const MAX_FILTER_LENGTH = 1000;
/** Deeper nesting than any identity system sends; far short of a stack overflow. */
const MAX_DEPTH = 20;

/** The attributes a filter may name, in their canonical spelling. */
export const FILTER_ATTRIBUTES = [
  'id',
  'userName',
  'externalId',
  'name.givenName',
  'name.familyName',
  'emails.value',
  'title',
  'phoneNumbers.value',
  'active',
  'displayName',
  'name.formatted',
  'emails.type',
  'emails.primary',
  'phoneNumbers.type',
  'phoneNumbers.primary',
  'meta.created',
  'meta.lastModified',
] as const;
export type FilterAttribute = (typeof FILTER_ATTRIBUTES)[number];

export type CompareOperator = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';
export type FilterValue = string | boolean;

/** How an attribute's values compare (RFC 7643 §2.3): booleans, dateTimes, the rest strings. */
export function filterValueType(attribute: FilterAttribute): 'boolean' | 'dateTime' | 'string' {
  if (attribute === 'active' || attribute.endsWith('.primary')) return 'boolean';
  if (attribute.startsWith('meta.')) return 'dateTime';
  return 'string';
}

export type ScimFilter =
  | { kind: 'compare'; attribute: FilterAttribute; op: CompareOperator; value: FilterValue }
  | { kind: 'present'; attribute: FilterAttribute }
  | { kind: 'and' | 'or'; left: ScimFilter; right: ScimFilter }
  | { kind: 'not'; filter: ScimFilter };

export class ScimFilterError extends Error {}

const USER_URN_PREFIX = 'urn:ietf:params:scim:schemas:core:2.0:user:';
const COMPARE: readonly string[] = ['eq', 'ne', 'co', 'sw', 'ew'];
/** Ordering comparisons: for the dates of meta only; on names and addresses they mean nothing useful. */
const ORDERING: readonly string[] = ['gt', 'ge', 'lt', 'le'];
/** RFC 3339 date-times as SCIM writes them (xsd:dateTime), with a zone or UTC. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

type Token = { type: 'word' | 'string' | '(' | ')' | '[' | ']'; text: string; at: number };

/** Text the database can compare: PostgreSQL refuses NUL, and lone surrogates are not UTF-8. */
function storable(text: string): boolean {
  return (
    !text.includes('\u0000') && !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text)
  );
}

function tokenise(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (c === '(' || c === ')' || c === '[' || c === ']') {
      tokens.push({ type: c, text: c, at: i });
      i++;
    } else if (c === '"') {
      // A JSON string (RFC 7644 compValue): find its end, honouring backslash escapes.
      let j = i + 1;
      while (j < input.length && input[j] !== '"') j += input[j] === '\\' ? 2 : 1;
      if (j >= input.length)
        throw new ScimFilterError(`The string starting at character ${i + 1} has no closing quote`);
      let text: unknown;
      try {
        text = JSON.parse(input.slice(i, j + 1));
      } catch {
        throw new ScimFilterError(`The string starting at character ${i + 1} is not a valid JSON string`);
      }
      if (!storable(String(text)))
        throw new ScimFilterError(`The string starting at character ${i + 1} holds a NUL or an unpaired surrogate`);
      tokens.push({ type: 'string', text: String(text), at: i });
      i = j + 1;
    } else {
      const match = /^[A-Za-z0-9_.:$-]+/.exec(input.slice(i));
      if (!match) throw new ScimFilterError(`Unexpected character "${c}" at character ${i + 1}`);
      tokens.push({ type: 'word', text: match[0], at: i });
      i += match[0].length;
    }
  }
  return tokens;
}

/** The canonical attribute for a path as written (attribute names are case-insensitive). */
export function filterAttribute(path: string): FilterAttribute {
  let p = path.toLowerCase();
  if (p.startsWith(USER_URN_PREFIX)) p = p.slice(USER_URN_PREFIX.length);
  const found =
    FILTER_ATTRIBUTES.find((a) => a.toLowerCase() === p) ??
    (p === 'emails' ? 'emails.value' : p === 'phonenumbers' ? 'phoneNumbers.value' : undefined);
  if (!found)
    throw new ScimFilterError(`Filtering on "${path}" is not supported. Use one of: ${FILTER_ATTRIBUTES.join(', ')}`);
  return found;
}

class Parser {
  #i = 0;
  #depth = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): ScimFilter {
    const filter = this.#or(undefined);
    const rest = this.tokens[this.#i];
    if (rest) throw new ScimFilterError(`Unexpected "${rest.text}" at character ${rest.at + 1}`);
    return filter;
  }

  #peekWord(word: string): boolean {
    const t = this.tokens[this.#i];
    return t?.type === 'word' && t.text.toLowerCase() === word;
  }

  #expect(type: Token['type'], what: string): Token {
    const t = this.tokens[this.#i];
    if (!t || t.type !== type)
      throw new ScimFilterError(
        `Expected ${what}${t ? ` at character ${t.at + 1}, found "${t.text}"` : ' at the end of the filter'}`,
      );
    this.#i++;
    return t;
  }

  #nested<T>(f: () => T): T {
    if (++this.#depth > MAX_DEPTH) throw new ScimFilterError('The filter is nested too deeply');
    try {
      return f();
    } finally {
      this.#depth--;
    }
  }

  /** `or` binds more loosely than `and` (RFC 7644 §3.4.2.2, Table 3). */
  #or(prefix: string | undefined): ScimFilter {
    return this.#chain('or', () => this.#and(prefix));
  }

  #and(prefix: string | undefined): ScimFilter {
    return this.#chain('and', () => this.#unary(prefix));
  }

  /** Operands joined by one logical operator, grouped from the left. */
  #chain(kind: 'and' | 'or', operand: () => ScimFilter): ScimFilter {
    let left = operand();
    while (this.#peekWord(kind)) {
      this.#i++;
      left = { kind, left, right: operand() };
    }
    return left;
  }

  #unary(prefix: string | undefined): ScimFilter {
    return this.#nested(() => {
      if (this.#peekWord('not')) {
        this.#i++;
        this.#expect('(', '"(" after "not"');
        const filter = this.#or(prefix);
        this.#expect(')', '")"');
        return { kind: 'not', filter };
      }
      if (this.tokens[this.#i]?.type === '(') {
        this.#i++;
        const filter = this.#or(prefix);
        this.#expect(')', '")"');
        return filter;
      }
      return this.#expression(prefix);
    });
  }

  #expression(prefix: string | undefined): ScimFilter {
    const path = this.#expect('word', 'an attribute name').text;
    if (this.tokens[this.#i]?.type === '[') {
      // A value path, emails[value eq "x"]: its inner filter names sub-attributes of emails.
      if (prefix) throw new ScimFilterError('A value filter cannot be nested inside another');
      this.#i++;
      const inner = this.#or(path);
      this.#expect(']', '"]"');
      // Entra ID's matching filter, emails[type eq "work"].value eq "x": the entry the brackets
      // choose must also compare; Nexus keeps one entry, so this is both conditions on it.
      const next = this.tokens[this.#i];
      if (next?.type === 'word' && next.text.startsWith('.')) {
        this.#i++;
        return { kind: 'and', left: inner, right: this.#comparison(`${path}${next.text}`, next.text.slice(1)) };
      }
      return inner;
    }
    return this.#comparison(prefix ? `${prefix}.${path}` : path, path);
  }

  #comparison(fullPath: string, path: string): ScimFilter {
    const attribute = filterAttribute(fullPath);
    const opToken = this.#expect('word', `an operator after "${path}"`);
    const op = opToken.text.toLowerCase();
    if (op === 'pr') return { kind: 'present', attribute };
    const type = filterValueType(attribute);
    if (ORDERING.includes(op) && type !== 'dateTime')
      throw new ScimFilterError(`The operator "${opToken.text}" is not supported on ${attribute}`);
    if (!COMPARE.includes(op) && !ORDERING.includes(op))
      throw new ScimFilterError(`"${opToken.text}" is not a filter operator`);
    const valueToken = this.tokens[this.#i];
    if (!valueToken || (valueToken.type !== 'string' && valueToken.type !== 'word')) {
      throw new ScimFilterError(`Expected a value after "${path} ${opToken.text}"`);
    }
    this.#i++;
    let value: FilterValue;
    if (valueToken.type === 'string') value = valueToken.text;
    else if (valueToken.text === 'true' || valueToken.text === 'false') value = valueToken.text === 'true';
    else throw new ScimFilterError(`"${valueToken.text}" is not a value: put strings in double quotes`);
    if ((type === 'boolean') !== (typeof value === 'boolean')) {
      throw new ScimFilterError(
        type === 'boolean'
          ? `${attribute} is compared with true or false`
          : `${attribute} is compared with a string in double quotes`,
      );
    }
    if (typeof value === 'boolean' && op !== 'eq' && op !== 'ne')
      throw new ScimFilterError(`The operator "${op}" does not apply to a boolean`);
    if (type === 'dateTime') {
      if (op === 'co' || op === 'sw' || op === 'ew')
        throw new ScimFilterError(`The operator "${op}" does not apply to a date-time`);
      if (typeof value !== 'string' || !DATE_TIME.test(value) || Number.isNaN(Date.parse(value)))
        throw new ScimFilterError(`${attribute} is compared with a date-time such as "2026-01-31T09:00:00Z"`);
    }
    return { kind: 'compare', attribute, op: op as CompareOperator, value };
  }
}

export function parseScimFilter(input: string): ScimFilter {
  if (input.length > MAX_FILTER_LENGTH)
    throw new ScimFilterError(`The filter is longer than ${MAX_FILTER_LENGTH} characters`);
  const tokens = tokenise(input);
  if (tokens.length === 0) throw new ScimFilterError('The filter is empty');
  return new Parser(tokens).parse();
}
