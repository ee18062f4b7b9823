import { GROUP_KEYS, type AuditContext, type SchoolName } from './audit-values.ts';

/**
 * The schools (by id or URN) and school groups (by id) that a page of events names by number, so
 * that their names are read in one query for the page rather than one per row.
 */
export function auditReferences(events: readonly { details: unknown }[]): {
  schoolIds: number[];
  urns: number[];
  groupIds: number[];
} {
  const schoolIds = new Set<number>();
  const urns = new Set<number>();
  const groupIds = new Set<number>();
  const numbers = (value: unknown, into: Set<number>): void => {
    if (Array.isArray(value)) for (const v of value) numbers(v, into);
    else if (typeof value === 'number' && Number.isSafeInteger(value)) into.add(value);
    else if (typeof value === 'string' && /^[0-9]{1,9}$/.test(value)) into.add(Number(value));
  };
  const walk = (value: unknown, depth: number): void => {
    if (depth > 6 || value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      for (const v of value) walk(v, depth + 1);
      return;
    }
    for (const [key, v] of Object.entries(value)) {
      if (key === 'schoolId' && typeof v === 'number') schoolIds.add(v);
      else if (key === 'urn' && typeof v === 'number') urns.add(v);
      else if (GROUP_KEYS.has(key)) numbers(v, groupIds);
      else walk(v, depth + 1);
    }
  };
  for (const e of events) walk(e.details, 0);
  return { schoolIds: [...schoolIds], urns: [...urns], groupIds: [...groupIds] };
}

/** The names read for a page, as the maps AuditContext holds. */
export function auditNameMaps(
  rows: readonly { kind: 'school' | 'group'; id: number; urn: number | null; name: string }[],
): Pick<AuditContext, 'schoolsById' | 'schoolsByUrn' | 'groups'> {
  const schoolsById = new Map<number, SchoolName>();
  const schoolsByUrn = new Map<number, SchoolName>();
  const groups = new Map<number, string>();
  for (const row of rows) {
    if (row.kind === 'group') groups.set(row.id, row.name);
    else if (row.urn !== null) {
      const school = { urn: row.urn, name: row.name };
      schoolsById.set(row.id, school);
      schoolsByUrn.set(row.urn, school);
    }
  }
  return { schoolsById, schoolsByUrn, groups };
}

/** The account an event is about, as the log names it. `href` only when the viewer may open it. */
export interface AuditAccount {
  readonly name: string;
  readonly href: string | null;
  /** "camden.target", or what the tombstone says of a deleted account. */
  readonly note: string | null;
}

/**
 * An event's account: by name (linked when the viewer may see it); a deleted one as its tombstone
 * says — the name is erased (R31), the date and who deleted it are kept.
 */
export function auditAccount(
  subject:
    | { kind: 'account'; name: string; username: string; id: string; visible: boolean; sameOrganisation: boolean }
    | { kind: 'deleted'; deletedOn: string | null; deletedBy: string | null }
    | { kind: 'unknown' },
): AuditAccount {
  switch (subject.kind) {
    case 'account':
      if (subject.visible) return { name: subject.name, href: `/admin/users/${subject.id}`, note: subject.username };
      return subject.sameOrganisation
        ? { name: subject.name, href: null, note: subject.username }
        : { name: 'An account of another organisation', href: null, note: null };
    case 'deleted': {
      const parts = [
        subject.deletedOn ? `on ${subject.deletedOn}` : '',
        subject.deletedBy ? `by ${subject.deletedBy}` : '',
      ]
        .filter(Boolean)
        .join(' ');
      return { name: 'Deleted account', href: null, note: parts ? `Deleted ${parts}` : null };
    }
    case 'unknown':
      return { name: 'An account that no longer exists', href: null, note: null };
  }
}
