import type { Account, Organisation } from '../services/records.ts';
import { warningName, type LifecycleOutlook } from '../domain/lifecycle.ts';
import { describeEvent } from '../services/lifecycle/lifecycle-service.ts';

/** How the API spells the things it returns: camelCase, no internal columns. */

export function organisationJson(organisation: Pick<Organisation, 'la_code' | 'name'>) {
  return { laCode: organisation.la_code, name: organisation.name };
}

export function schoolJson(school: { id: number; urn: number; name: string; role: string; status: string }) {
  return { schoolId: school.id, urn: school.urn, name: school.name, role: school.role, status: school.status };
}

export function userSummaryJson(
  row: Pick<
    Account,
    | 'id'
    | 'username'
    | 'first_name'
    | 'last_name'
    | 'email'
    | 'job_title'
    | 'user_type'
    | 'status'
    | 'last_sign_in_at'
    | 'created_at'
  > & { two_factor?: boolean; totp_secret?: string | null },
) {
  return {
    id: row.id,
    username: row.username,
    firstName: row.first_name,
    lastName: row.last_name,
    email: row.email,
    jobTitle: row.job_title,
    userType: row.user_type,
    status: row.status,
    lastSignInAt: row.last_sign_in_at ? row.last_sign_in_at.toISOString() : null,
    createdAt: row.created_at.toISOString(),
    twoFactor: row.two_factor ?? (row.totp_secret !== null && row.totp_secret !== undefined),
  };
}

/** A date column as YYYY-MM-DD, however the driver returned it. */
export function dateOnly(value: Date | string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  return value.slice(0, 10);
}

/** What the nightly job has done and will do to the account: the dates the pages show (the one schedule). */
export function lifecycleJson(o: LifecycleOutlook) {
  return {
    state: o.state,
    lastWarning: o.lastWarning
      ? { warning: warningName(o.lastWarning.stage), sentAt: o.lastWarning.sentAt.toISOString() }
      : null,
    nextEvent: o.next
      ? { action: o.next.event.kind, detail: describeEvent(o.next.event), date: o.next.at.toISOString() }
      : null,
    archiveOn: o.archiveAt ? o.archiveAt.toISOString() : null,
    deleteOn: o.deleteAt ? o.deleteAt.toISOString() : null,
  };
}

/** One account as the API shows it; never its password hash, TOTP key or tokens. */
export function userJson(view: {
  account: Account;
  privileges: readonly string[];
  lifecycle: LifecycleOutlook;
  schools: readonly { id: number; urn: number; name: string; role: string; status: string }[];
  groups: readonly { id: number; name: string }[];
  defaultGroup: { id: number; name: string } | null;
}) {
  const a = view.account;
  return {
    ...userSummaryJson(a),
    phone: a.phone,
    privileges: [...view.privileges],
    schools: view.schools.map(schoolJson),
    schoolGroups: view.groups.map((g) => ({ id: g.id, name: g.name })),
    defaultSchoolGroup: view.defaultGroup ? { id: view.defaultGroup.id, name: view.defaultGroup.name } : null,
    accessEndDate: dateOnly(a.access_end_date),
    archivedAt: a.archived_at ? a.archived_at.toISOString() : null,
    archiveReason: a.archive_reason,
    deletionDueAt: a.status === 'archived' && view.lifecycle.deleteAt ? view.lifecycle.deleteAt.toISOString() : null,
    lifecycle: lifecycleJson(view.lifecycle),
    externalId: a.external_id,
    version: a.version,
  };
}
