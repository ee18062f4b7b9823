import { fullName } from './names.ts';

/**
 * R31 in stored text: a deleted person's name, username and email address erased from another
 * person's email (an alert about them, a digest that lists them). Only whole occurrences go:
 * `sam` is erased from "Sam Smith (sam)" but not from "samantha.jones@camden.gov.uk", and
 * nothing that belongs to someone who remains is touched — "Ann Lee" stays in "Mary Ann Lee".
 */

export const ERASED = 'a deleted account';

/**
 * An occurrence must not touch a character that would make it part of a longer name, username
 * or address: a letter or digit in any script, `_ @ - +`, an apostrophe before it ("O'Brien",
 * also as the HTML entity), and a `.` that continues into one — a full stop that ends a sentence
 * is no part of a name. (Checked around each candidate: Unicode classes inside every search
 * pattern would make each one costly to compile.)
 */
const PART_BEFORE = /^[\p{L}\p{N}\p{M}_@.+'\u2019-]$/u;
const PART_AFTER = /^[\p{L}\p{N}\p{M}_@+-]$/u;
const ENTITIES_BEFORE = ['&#39;', '&amp;'];

function lastCodePoint(text: string, end: number): string | undefined {
  return Array.from(text.slice(Math.max(0, end - 2), end)).pop();
}

function firstCodePoint(text: string, start: number): string | undefined {
  const code = text.codePointAt(start);
  return code === undefined ? undefined : String.fromCodePoint(code);
}

function isWhole(text: string, start: number, end: number): boolean {
  const before = lastCodePoint(text, start);
  if (before !== undefined && PART_BEFORE.test(before)) return false;
  if (ENTITIES_BEFORE.some((e) => text.endsWith(e, start))) return false;
  const after = firstCodePoint(text, end);
  if (after === undefined) return true;
  if (PART_AFTER.test(after)) return false;
  const next = after === '.' ? firstCodePoint(text, end + 1) : undefined;
  return next === undefined || !PART_AFTER.test(next);
}

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** HTML bodies hold the values escaped as render.ts escapes them. */
function escapedHtml(value: string): string {
  return value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

/** Each value and its HTML-escaped form, longest first (so an address goes before the username inside it). */
function formsOf(values: readonly string[]): string[] {
  return [
    ...new Set(
      values
        .map((v) => v.trim())
        .filter((v) => v.length >= 2)
        .flatMap((v) => [v, escapedHtml(v)]),
    ),
  ].sort((a, b) => b.length - a.length);
}

interface Span {
  start: number;
  end: number;
}

/** Every whole occurrence of any of the forms, overlapping ones included. */
function occurrences(text: string, forms: readonly string[], caseInsensitive: boolean): Span[] {
  const spans: Span[] = [];
  for (const form of forms) {
    const pattern = new RegExp(escapeRegExp(form), caseInsensitive ? 'gi' : 'g');
    for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
      if (isWhole(text, m.index, m.index + m[0].length)) spans.push({ start: m.index, end: m.index + m[0].length });
      pattern.lastIndex = m.index + 1;
    }
  }
  return spans;
}

export interface Erasure {
  /** Names, email addresses and phone numbers: whole occurrences in any case. */
  values: readonly string[];
  /**
   * Usernames: whole occurrences exactly as stored (always lower case, and printed as stored), so
   * that the username `ann` leaves the greeting "Dear Ann," of someone who remains alone.
   */
  exact?: readonly string[];
  /**
   * Whole names, usernames and addresses of the people who remain (the email's recipient, the
   * other accounts it names): an occurrence inside one of theirs, or equal to one, is theirs and
   * stays — "Mary Ann Lee" keeps "Ann Lee", and an address two accounts share stays in the rows
   * of the one that remains.
   */
  keep?: readonly string[];
  replacement?: string;
}

/**
 * Replaces every whole occurrence of the values (and of their HTML-escaped forms) in one pass, so
 * that a replacement is never matched again, except those that belong to someone in `keep`.
 */
export function eraseFromText(text: string, erasure: Erasure): string {
  const found = [
    ...occurrences(text, formsOf(erasure.values), true),
    ...occurrences(text, formsOf(erasure.exact ?? []), false),
  ].sort((a, b) => a.start - b.start || b.end - a.end);
  if (found.length === 0) return text;
  // Only a value that contains one of those erased can hold one of its occurrences (a digest names hundreds of people).
  const erased = [...erasure.values, ...(erasure.exact ?? [])]
    .map((v) => v.trim().toLowerCase())
    .filter((v) => v.length >= 2);
  const kept = occurrences(
    text,
    formsOf((erasure.keep ?? []).filter((k) => erased.some((e) => k.toLowerCase().includes(e)))),
    true,
  );
  const replacement = erasure.replacement ?? ERASED;
  let out = '';
  let at = 0;
  for (const span of found) {
    if (span.start < at) continue; // inside a longer occurrence already erased
    if (kept.some((k) => k.start <= span.start && span.end <= k.end)) continue;
    out += text.slice(at, span.start) + replacement;
    at = span.end;
  }
  return out + text.slice(at);
}

/** An account as erasure needs it. */
export interface ErasedPerson {
  username: string;
  first_name: string;
  last_name: string;
  email: string;
  phone: string | null;
}

/**
 * What to erase of a person: their name, email address and phone number as they are now and as
 * they were before each change of details (`changes` of their `account.details-changed` audit
 * events, `{ field: [before, after] }`, newest first), and their username (which never changes).
 */
export function personalValues(
  person: ErasedPerson,
  changes: readonly Record<string, readonly unknown[] | undefined>[] = [],
): { values: string[]; exact: string[] } {
  const values = new Set([fullName(person), person.email, ...(person.phone ? [person.phone] : [])]);
  let first = person.first_name;
  let last = person.last_name;
  for (const change of changes) {
    const before = (field: string) => {
      const value = change[field]?.[0];
      return typeof value === 'string' && value !== '' ? value : undefined;
    };
    first = before('first_name') ?? first;
    last = before('last_name') ?? last;
    values.add(`${first} ${last}`);
    for (const field of ['email', 'phone']) {
      const value = before(field);
      if (value) values.add(value);
    }
  }
  return { values: [...values], exact: [person.username] };
}
