import { createHash, randomUUID } from 'node:crypto';
import type { Organisation } from '../../data/database.ts';
import { findAccountById } from '../../data/queries/account-queries.ts';
import {
  accountIdsByUsername,
  insertImportedAccounts,
  replaceSchoolAssignments,
  schoolAssignmentsOfAccounts,
  takenUsernames,
} from '../../data/queries/import-queries.ts';
import { insertNewAccountTokens } from '../../data/queries/token-queries.ts';
import { schoolGroupsOfOrganisation, schoolsOfOrganisation } from '../../data/queries/user-detail-queries.ts';
import { type Actor } from '../../domain/access.ts';
import { ACCOUNT_IMPORT_COLUMNS, validateAccountRows } from '../../domain/account-import.ts';
import { mayGive } from '../../domain/cin-cla-agreement.ts';
import { ImportRejectedError } from '../../domain/errors.ts';
import { readImportFile, sortProblems, type ImportColumn, type RowProblem } from '../../domain/import-file.ts';
import { accountCreatedDetails } from '../../domain/new-account.ts';
import { SCHOOL_IMPORT_COLUMNS, validateSchoolRows } from '../../domain/school-import.ts';
import { normaliseUsername } from '../../domain/usernames.ts';
import { enqueueEmails } from '../../mail/enqueue.ts';
import { newAccountRow } from '../accounts/account-service.ts';
import { auditMany, who, type AuditRecord } from '../audit.ts';
import { mailDomain, type ServiceDeps } from '../deps.ts';
import { linkParts } from '../sign-in/link-parts.ts';
import { organisationInScope } from '../organisation-scope.ts';
import type { RequestContext } from '../request-context.ts';
import { NO_PROGRESS, type ImportProgress } from './import-progress.ts';
import { refreshLifecycleDue } from '../lifecycle/schedule.ts';
import { dateIn } from '../../domain/calendar.ts';
import { fullName } from '../../domain/names.ts';

export interface ImportedAccount {
  id: string;
  username: string;
  name: string;
  email: string;
}

function refuseIfAny(problems: RowProblem[], columns: readonly ImportColumn[], notices: string[]): void {
  if (problems.length > 0) throw new ImportRejectedError(sortProblems(problems, columns), notices);
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Bulk CSV imports into one LA (R58, R26). Every row is validated first with the rules of the
 * single-account pages; nothing is written unless all are valid; then everything is written in
 * one transaction with set-based inserts, including the invitations' outbox rows and the audit.
 */
export function createUserImportService(deps: ServiceDeps) {
  const { db, clock, config } = deps;
  const domain = mailDomain(config);

  async function schoolIdsByUrn(organisationId: number) {
    return new Map((await schoolsOfOrganisation(db, organisationId)).map((s) => [s.urn, s.id]));
  }

  return {
    /** The LA an import page is about, once the access table allows importing there. */
    organisationFor: (actor: Actor, la: unknown): Promise<Organisation> =>
      organisationInScope(db, actor, la, 'users.import'),

    /** Creates every account of the file, each with its invitation email (R9), or none. */
    async importAccounts(
      actor: Actor,
      la: unknown,
      file: { name: string; bytes: Uint8Array },
      ctx: RequestContext,
      progress: ImportProgress = NO_PROGRESS,
    ) {
      const organisation = await organisationInScope(db, actor, la, 'users.import');
      const { rows, problems, notices } = readImportFile(file.bytes, ACCOUNT_IMPORT_COLUMNS);
      progress({ stage: 'read', rows: rows.length });
      const usernames = [
        ...new Set(rows.map((r) => normaliseUsername(r.values.username ?? '')).filter((u) => u !== '')),
      ];
      const [schools, groups, taken] = await Promise.all([
        schoolIdsByUrn(organisation.id),
        schoolGroupsOfOrganisation(db, organisation.id),
        takenUsernames(db, usernames),
      ]);
      const now = clock.now();
      const { plans, problems: rowProblems } = validateAccountRows(rows, {
        isCentral: organisation.kind === 'central',
        mayGive: (p) => mayGive(actor, p),
        schoolIdsByUrn: schools,
        groupIdsByName: new Map(groups.map((g) => [g.name.toLowerCase(), g.id])),
        takenUsernames: taken,
        today: dateIn(now, deps.schedule.policy.timezone),
        laName: organisation.name,
      });
      refuseIfAny([...problems, ...rowProblems], ACCOUNT_IMPORT_COLUMNS, notices);

      const inviter = actor.kind === 'account' ? await findAccountById(db, actor.accountId) : undefined;
      const inviterNamed = inviter ? { id: inviter.id, name: fullName(inviter) } : null;
      const accounts = plans.map((plan) => ({
        plan,
        row: {
          ...newAccountRow(plan, { id: randomUUID(), organisationId: organisation.id, createdBy: actor, now }),
          access_end_date: plan.accessEndDate,
        },
      }));
      const links = accounts.map(({ row }) =>
        linkParts(config, {
          account: row,
          purpose: 'invitation',
          now,
          laName: organisation.name,
          inviter: inviterNamed,
        }),
      );
      const records: AuditRecord[] = accounts.flatMap(({ plan, row }, i) => [
        {
          action: 'account.created',
          organisationId: organisation.id,
          subjectAccountId: row.id,
          details: {
            ...accountCreatedDetails(plan),
            import: { file: file.name, line: plan.line },
            ...(plan.schools.length > 0 ? { schools: plan.schools.map((s) => ({ urn: s.urn, role: s.role })) } : {}),
            ...(plan.groupIds.length > 0 ? { schoolGroups: plan.groupIds } : {}),
            ...(plan.accessEndDate ? { accessEndDate: plan.accessEndDate } : {}),
          },
        },
        links[i]!.audit,
      ]);
      records.push({
        action: 'accounts.imported',
        organisationId: organisation.id,
        subjectAccountId: null,
        details: { file: file.name, sha256: sha256(file.bytes), accounts: accounts.length },
      });
      try {
        await db.transaction().execute(async (trx) => {
          await insertImportedAccounts(trx, {
            accounts: accounts.map((a) => a.row),
            privileges: accounts.flatMap(({ plan, row }) =>
              plan.privileges.map((privilege) => ({ account_id: row.id, privilege })),
            ),
            schools: accounts.flatMap(({ plan, row }) =>
              plan.schools.map((s) => ({ account_id: row.id, school_id: s.schoolId, role: s.role, assigned_at: now })),
            ),
            groups: accounts.flatMap(({ plan, row }) =>
              plan.groupIds.map((g) => ({ account_id: row.id, school_group_id: g })),
            ),
          });
          await refreshLifecycleDue(
            trx,
            deps.schedule,
            accounts.map((a) => a.row.id),
          );
          await insertNewAccountTokens(
            trx,
            links.map((l) => l.tokenRow),
          );
          await enqueueEmails(
            trx,
            domain,
            links.map((l) => l.email),
          );
          await auditMany(trx, who(actor), ctx, now, records);
        });
        progress({ stage: 'written', rows: accounts.length, of: accounts.length });
      } catch (error) {
        // A username taken by someone else between the check and the write (R7): the unique index decides.
        if ((error as { code?: string }).code === '23505') {
          throw new ImportRejectedError([
            {
              line: 0,
              column: 'username',
              reason:
                'A username of the file was taken by another account while the import ran, so nothing was imported. Upload the file again to see which.',
            },
          ]);
        }
        throw error;
      }
      const created: ImportedAccount[] = accounts.map(({ row }) => ({
        id: row.id,
        username: row.username,
        name: fullName(row),
        email: row.email,
      }));
      return { organisation, created, notices };
    },

    /** Replaces the schools of every account named in the file (R26 termly re-assignment), or of none. */
    async importSchools(
      actor: Actor,
      la: unknown,
      file: { name: string; bytes: Uint8Array },
      ctx: RequestContext,
      progress: ImportProgress = NO_PROGRESS,
    ) {
      const organisation = await organisationInScope(db, actor, la, 'users.import');
      const { rows, problems, notices } = readImportFile(file.bytes, SCHOOL_IMPORT_COLUMNS);
      progress({ stage: 'read', rows: rows.length });
      const [accountIds, schools] = await Promise.all([
        accountIdsByUsername(db, organisation.id),
        schoolIdsByUrn(organisation.id),
      ]);
      const { plans, problems: rowProblems } = validateSchoolRows(rows, {
        accountIdsByUsername: accountIds,
        schoolIdsByUrn: schools,
        laName: organisation.name,
      });
      refuseIfAny([...problems, ...rowProblems], SCHOOL_IMPORT_COLUMNS, notices);
      const now = clock.now();
      const ids = plans.map((p) => p.accountId);
      await db.transaction().execute(async (trx) => {
        const before = await schoolAssignmentsOfAccounts(trx, ids);
        await replaceSchoolAssignments(
          trx,
          ids,
          plans.flatMap((p) =>
            p.schools.map((s) => ({ account_id: p.accountId, school_id: s.schoolId, role: s.role })),
          ),
          now,
        );
        // The same event as "Replace all" on the Schools tab, one per account, and one for the file.
        await auditMany(trx, who(actor), ctx, now, [
          ...plans.map((p) => ({
            action: 'account.schools-replaced',
            organisationId: organisation.id,
            subjectAccountId: p.accountId,
            details: {
              before: before.get(p.accountId) ?? [],
              after: p.schools.map((s) => ({ urn: s.urn, role: s.role })),
              import: { file: file.name },
            },
          })),
          {
            action: 'school-assignments.imported',
            organisationId: organisation.id,
            subjectAccountId: null,
            details: {
              file: file.name,
              sha256: sha256(file.bytes),
              accounts: plans.length,
              assignments: plans.reduce((n, p) => n + p.schools.length, 0),
            },
          },
        ]);
      });
      progress({ stage: 'written', rows: plans.length, of: plans.length });
      return {
        organisation,
        accounts: plans.map((p) => ({ id: p.accountId, username: p.username, schools: p.schools.length })),
        notices,
      };
    },
  };
}
