import { ARCHIVE_REASONS, ARCHIVE_REASON_TEXT } from './account-status.ts';
import { isWarningStage, warningName } from './lifecycle.ts';
import { isPrivilege, isUserType, privilegeLabel, userTypeLabel } from './privileges.ts';
import { isSchoolRole, schoolRoleLabel } from './school-roles.ts';
import { isTopic, topicName } from './topics.ts';

/** A school as the audit log names it: "Acorn Primary (URN 100001)". */
export interface SchoolName {
  readonly urn: number;
  readonly name: string;
}

/**
 * What an audit event needs beyond itself to read as words: dates in the service's time zone, and
 * the names of the schools and school groups its details hold by number (resolved a page at a time).
 */
export interface AuditContext {
  /** "4 December 2026": the day of an instant. */
  readonly date: (instant: Date) => string;
  /** "4 December 2026 at 3:05pm". */
  readonly dateTime: (instant: Date) => string;
  /** "4 December 2026": a calendar date written YYYY-MM-DD (an access end date). */
  readonly day: (date: string) => string;
  readonly schoolsById: ReadonlyMap<number, SchoolName>;
  readonly schoolsByUrn: ReadonlyMap<number, SchoolName>;
  readonly groups: ReadonlyMap<number, string>;
  /** The configured names of the communication topics (COMMUNICATION_TOPIC_NAMES). */
  readonly topicNames?: Readonly<Record<string, string>>;
  /**
   * The run of the nightly job that acts on something due at an instant (the lifecycle schedule's
   * `nextRunAtOrAfter`), so that a deletion date in the log is the day the pages show. Without it
   * the due instant's own day is said.
   */
  readonly jobRunFor?: (dueAt: Date) => Date;
}

/** Keys under which writers record school groups by id (account.created, account.details-changed). */
export const GROUP_KEYS: ReadonlySet<string> = new Set([
  'schoolGroups',
  'default_school_group_id',
  'schoolGroupIds',
  'schoolGroupId',
]);

/**
 * Keys whose values are what someone typed (names, addresses, file names): shown as they are, even
 * when one happens to spell a code ("Other", a last name; "news", a group's name).
 */
const FREE_TEXT_KEYS: ReadonlySet<string> = new Set([
  'first_name',
  'firstName',
  'last_name',
  'lastName',
  'email',
  'job_title',
  'jobTitle',
  'phone',
  'username',
  'external_id',
  'externalId',
  'name',
  'group',
  'token',
  'prefix',
  'file',
  'fileName',
  'subject',
  'read',
  'q',
  'cinClaAgreedBy',
  'cinClaAgreedRole',
]);

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** "4 December 2026" for an instant or a calendar date written as the writers write them; undefined for anything else. */
export function dateText(value: unknown, ctx: AuditContext): string | undefined {
  if (typeof value !== 'string') return undefined;
  if (INSTANT.test(value) && !Number.isNaN(Date.parse(value))) return ctx.date(new Date(value));
  if (DAY.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`))) return ctx.day(value);
  return undefined;
}

/** "Acorn Primary (URN 100001)", or "URN 100001" for a school no longer known. */
export function schoolText(school: Partial<SchoolName> | undefined, urn?: number): string {
  const number = school?.urn ?? urn;
  if (school?.name) return number === undefined ? school.name : `${school.name} (URN ${number})`;
  return number === undefined ? 'a school no longer listed' : `URN ${number}`;
}

export function groupText(id: unknown, ctx: AuditContext): string {
  const n = typeof id === 'number' ? id : typeof id === 'string' && /^[0-9]{1,9}$/.test(id) ? Number(id) : NaN;
  if (Number.isNaN(n)) return typeof id === 'string' && id ? id : '(none)';
  return ctx.groups.get(n) ?? 'a school group since deleted';
}

/** A catalogue code as its label, when it is one: "la_officer" → "LA Officer / Analyst". */
export function codeLabel(value: string, ctx?: AuditContext): string | undefined {
  if (isUserType(value)) return userTypeLabel(value);
  if (isPrivilege(value)) return privilegeLabel(value);
  if (isSchoolRole(value)) return schoolRoleLabel(value);
  if ((ARCHIVE_REASONS as readonly string[]).includes(value))
    return ARCHIVE_REASON_TEXT[value as (typeof ARCHIVE_REASONS)[number]].label;
  if (isWarningStage(value)) return capitalise(warningName(value));
  if (isTopic(value)) return topicName(value, ctx?.topicNames);
  return undefined;
}

export function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** "deletionDueAt" / "sessions_ended" / "access-ended" → "Deletion due at" / "Sessions ended" / "Access ended". */
export function readableKey(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_.-]+/g, ' ')
    .trim()
    .toLowerCase();
  return (
    capitalise(
      words
        .replace(/\bcin\b/g, 'CiN')
        .replace(/\bcla\b/g, 'CLA')
        .replace(/\bapi\b/g, 'API'),
    ) || key
  );
}

/**
 * Any value of an event's details as words: codes as labels, instants and calendar dates as dates,
 * lists joined, objects as "key value" pairs; never JSON and never "[object Object]". The fallback
 * for keys that no sentence knows (new ones, or ones written before a sentence existed).
 */
export function valueText(value: unknown, ctx: AuditContext, key?: string): string {
  if (value === null || value === undefined || value === '') return '(none)';
  if (typeof value === 'string' && key !== undefined && FREE_TEXT_KEYS.has(key)) return value;
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'number' || typeof value === 'bigint') return value.toLocaleString('en-GB');
  if (typeof value === 'string') return dateText(value, ctx) ?? codeLabel(value, ctx) ?? value;
  if (Array.isArray(value)) return value.length === 0 ? '(none)' : value.map((v) => valueText(v, ctx, key)).join(', ');
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if ('urn' in record || 'schoolId' in record) return schoolAssignmentText(record, ctx);
    const parts = Object.entries(record).map(([k, v]) => `${readableKey(k).toLowerCase()} ${valueText(v, ctx, k)}`);
    return parts.length === 0 ? '(none)' : parts.join(', ');
  }
  return '(none)';
}

/** A school of the details ({urn} or {schoolId}, perhaps with a name and a role) as "Name (URN n) as Role". */
export function schoolAssignmentText(record: Record<string, unknown>, ctx: AuditContext): string {
  const urn = typeof record.urn === 'number' ? record.urn : undefined;
  const id = typeof record.schoolId === 'number' ? record.schoolId : undefined;
  const known =
    (id !== undefined ? ctx.schoolsById.get(id) : undefined) ??
    (urn !== undefined ? ctx.schoolsByUrn.get(urn) : undefined);
  const name = typeof record.name === 'string' ? record.name : known?.name;
  const school = schoolText(name ? { name, urn: urn ?? known?.urn } : known, urn);
  return typeof record.role === 'string' && record.role ? `${school} as ${valueText(record.role, ctx)}` : school;
}

/** "before → after". */
export function changeText(before: unknown, after: unknown, ctx: AuditContext, text = valueText): string {
  return `${text(before, ctx)} → ${text(after, ctx)}`;
}

const DETAIL_FIELDS: Record<string, string> = {
  first_name: 'First name',
  firstName: 'First name',
  last_name: 'Last name',
  lastName: 'Last name',
  email: 'Email address',
  job_title: 'Job title',
  jobTitle: 'Job title',
  phone: 'Phone number',
  access_end_date: 'Access end date',
  accessEndDate: 'Access end date',
  external_id: 'Identity system ID',
  externalId: 'Identity system ID',
  schoolGroups: 'School groups',
  default_school_group_id: 'Default school group',
  schoolGroupIds: 'School groups',
  schoolGroupId: 'School group',
  defaultSchoolGroup: 'Default school group',
  username: 'Username',
  userType: 'Type of User',
  user_type: 'Type of User',
  privileges: 'Privileges',
};

/** A field of the details as people know it: "job_title" → "Job title". */
export function fieldName(key: string): string {
  return DETAIL_FIELDS[key] ?? readableKey(key);
}

/** A value of a details field: groups by name, the rest as words. */
export function fieldText(key: string, value: unknown, ctx: AuditContext): string {
  if (!GROUP_KEYS.has(key) && key !== 'defaultSchoolGroup') return valueText(value, ctx, key);
  const groups = (Array.isArray(value) ? value : [value]).filter((g) => g !== null && g !== undefined && g !== '');
  return groups.length ? groups.map((g) => groupText(g, ctx)).join(', ') : '(none)';
}

/** The fields of a `changes` record in the order of the form (the database keeps JSON keys in an order of its own). */
export function formOrder(fields: readonly string[]): string[] {
  const order = Object.keys(DETAIL_FIELDS);
  const rank = (f: string) => (order.includes(f) ? order.indexOf(f) : order.length);
  return [...fields].sort((a, b) => rank(a) - rank(b));
}

/** "Field: before → after" for each field of a `changes` record (account.details-changed). */
export function changeLines(changes: Record<string, unknown>, ctx: AuditContext): string[] {
  return formOrder(Object.keys(changes))
    .map((field) => [field, changes[field]] as const)
    .map(([field, value]) =>
      Array.isArray(value) && value.length === 2
        ? `${fieldName(field)}: ${changeText(value[0], value[1], ctx, (v) => fieldText(field, v, ctx))}`
        : `${fieldName(field)}: ${fieldText(field, value, ctx)}`,
    );
}

/**
 * A `[before, after]` pair, as the writers record a change: two plain values, under a key that
 * does not name a list ("added", "schoolGroups" hold two things, not a before and an after).
 */
function isPair(key: string, value: unknown): value is [unknown, unknown] {
  if (!Array.isArray(value) || value.length !== 2) return false;
  if (value.every((v) => Array.isArray(v))) return true;
  if (value.some((v) => typeof v === 'object' && v !== null)) return false;
  return key === 'status' || !/(^added$|^removed$|s$)/.test(key);
}

/** "Key: value" lines for the keys of `details` that a sentence did not use. */
export function otherLines(details: Record<string, unknown>, used: readonly string[], ctx: AuditContext): string[] {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(details)) {
    if (used.includes(key)) continue;
    if (key === 'changes' && value && typeof value === 'object' && !Array.isArray(value))
      lines.push(...changeLines(value as Record<string, unknown>, ctx));
    else if (isPair(key, value))
      lines.push(`${fieldName(key)}: ${changeText(value[0], value[1], ctx, (v) => fieldText(key, v, ctx))}`);
    else lines.push(`${fieldName(key)}: ${fieldText(key, value, ctx)}`);
  }
  return lines;
}
