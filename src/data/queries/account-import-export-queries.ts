import { sql } from 'kysely';
import type { Executor } from '../database.ts';

/**
 * What the export in the import's own format (R58, issue 14) needs beyond the list's columns, for
 * one batch of the list's accounts: a statement a kind of fact for the whole batch, never one an
 * account. The batch is the export's (1,000 accounts), well under PostgreSQL's bind limit.
 */

export interface AccountImportFacts {
  phone: string | null;
  accessEndDate: string | null;
  privileges: string[];
  schools: { urn: number; role: string }[];
  groups: string[];
  /** The latest CiN/CLA agreement recorded for the account (R16), which lives in its audit events. */
  agreement: { agreedBy: string; agreedRole: string; agreedOn: string } | null;
}

export async function importFactsOfAccounts(
  db: Executor,
  accountIds: readonly string[],
): Promise<Map<string, AccountImportFacts>> {
  const facts = new Map<string, AccountImportFacts>();
  if (accountIds.length === 0) return facts;
  const ids = [...accountIds];
  const [accounts, privileges, schools, groups, agreements] = await Promise.all([
    db.selectFrom('accounts').select(['id', 'phone', 'access_end_date']).where('id', 'in', ids).execute(),
    db
      .selectFrom('account_privileges')
      .select(['account_id', 'privilege'])
      .where('account_id', 'in', ids)
      .orderBy('privilege')
      .execute(),
    db
      .selectFrom('school_assignments')
      .innerJoin('schools', 'schools.id', 'school_assignments.school_id')
      .select(['school_assignments.account_id', 'schools.urn', 'school_assignments.role'])
      .where('school_assignments.account_id', 'in', ids)
      .orderBy('schools.urn')
      .execute(),
    db
      .selectFrom('account_school_groups')
      .innerJoin('school_groups', 'school_groups.id', 'account_school_groups.school_group_id')
      .select(['account_school_groups.account_id', 'school_groups.name'])
      .where('account_school_groups.account_id', 'in', ids)
      .orderBy('school_groups.name')
      .execute(),
    db
      .selectFrom('audit_events')
      .distinctOn('subject_account_id')
      .select([
        'subject_account_id',
        sql<string>`details->>'cinClaAgreedBy'`.as('agreed_by'),
        sql<string | null>`details->>'cinClaAgreedRole'`.as('agreed_role'),
        sql<string | null>`details->>'cinClaAgreedOn'`.as('agreed_on'),
      ])
      .where('subject_account_id', 'in', ids)
      .where(sql<boolean>`details->>'cinClaAgreedBy' IS NOT NULL`)
      .orderBy('subject_account_id')
      .orderBy('occurred_at', 'desc')
      .orderBy('id', 'desc')
      .execute(),
  ]);
  for (const a of accounts)
    facts.set(a.id, {
      phone: a.phone,
      accessEndDate: a.access_end_date,
      privileges: [],
      schools: [],
      groups: [],
      agreement: null,
    });
  for (const p of privileges) facts.get(p.account_id)?.privileges.push(p.privilege);
  for (const s of schools) facts.get(s.account_id)?.schools.push({ urn: s.urn, role: s.role });
  for (const g of groups) facts.get(g.account_id)?.groups.push(g.name);
  for (const a of agreements) {
    const f = a.subject_account_id ? facts.get(a.subject_account_id) : undefined;
    if (f) f.agreement = { agreedBy: a.agreed_by, agreedRole: a.agreed_role ?? '', agreedOn: a.agreed_on ?? '' };
  }
  return facts;
}
