import { touchAccount } from '../../data/queries/account-queries.ts';
import {
  assignSchool,
  replaceSchoolsOf,
  schoolRoleOf,
  unassignSchool,
} from '../../data/queries/account-school-queries.ts';
import { findSchoolOfOrganisation, schoolIdsOfOrganisation, schoolNamed } from '../../data/queries/school-queries.ts';
import { schoolAssignmentsOf } from '../../data/queries/user-detail-queries.ts';
import { isUniqueViolation } from '../../data/unique-violation.ts';
import { type Actor } from '../../domain/access.ts';
import { EXTERNAL_ID_TAKEN } from '../../domain/account-fields.ts';
import { dateIn } from '../../domain/calendar.ts';
import { NotFoundError, ValidationError } from '../../domain/errors.ts';
import { isSchoolRole, schoolRoleLabel } from '../../domain/school-roles.ts';
import { audit, who } from '../audit.ts';
import type { ServiceDeps } from '../deps.ts';
import type { RequestContext } from '../request-context.ts';
import {
  accountFor,
  applyPrivileges,
  type DetailsInput,
  editDetailsInTransaction,
  lockAtVersion,
  type PrivilegesInput,
} from './account-operations.ts';

export interface SchoolInput {
  schoolId: string;
  role: string;
}

/** Changes to an account of one's LA: details and groups (R24, R10), privileges (R14–R17), schools (R26). */
export function createUserChangesService(deps: ServiceDeps) {
  const { db, clock } = deps;

  return {
    /**
     * Changes an account's details in one transaction. With `expectedVersion` (a form's hidden
     * version, an API `If-Match`) the change is refused with StaleVersionError, and nothing
     * written, when the account has changed since.
     */
    async editDetails(
      actor: Actor,
      id: string,
      input: DetailsInput,
      ctx: RequestContext,
      expectedVersion?: number,
    ): Promise<void> {
      // Authorised before the lock (another LA's id is 404 and takes no lock); the row cannot change LA.
      await accountFor(deps, actor, 'users.edit', id);
      const now = clock.now();
      try {
        await db.transaction().execute(async (trx) => {
          const account = await lockAtVersion(trx, id, expectedVersion);
          await editDetailsInTransaction(deps, trx, actor, account, input, ctx, now);
        });
      } catch (error) {
        // Two changes racing for one external ID: the unique index decides.
        if (isUniqueViolation(error, 'accounts_external_id'))
          throw new ValidationError({ externalId: EXTERNAL_ID_TAKEN });
        throw error;
      }
    },

    async setPrivileges(
      actor: Actor,
      id: string,
      input: PrivilegesInput,
      ctx: RequestContext,
      expectedVersion?: number,
    ): Promise<void> {
      await accountFor(deps, actor, 'users.edit-privileges', id);
      const now = clock.now();
      await db
        .transaction()
        .execute(async (trx) =>
          applyPrivileges(
            trx,
            actor,
            await lockAtVersion(trx, id, expectedVersion),
            input,
            ctx,
            now,
            {},
            dateIn(now, deps.schedule.policy.timezone),
          ),
        );
    },

    async addSchool(actor: Actor, id: string, input: SchoolInput, ctx: RequestContext): Promise<void> {
      const account = await accountFor(deps, actor, 'users.edit-schools', id);
      const errors: Record<string, string> = {};
      if (!/^[0-9]{1,9}$/.test(input.schoolId)) errors.schoolId = 'Select a school';
      if (!isSchoolRole(input.role)) errors.role = 'Select a role';
      if (Object.keys(errors).length > 0) throw new ValidationError(errors);
      const now = clock.now();
      await db.transaction().execute(async (trx) => {
        const school = await findSchoolOfOrganisation(trx, account.organisation_id, Number(input.schoolId));
        if (!school) throw new ValidationError({ schoolId: 'Select a school of this Local Authority' });
        // Adding never changes the role of a school already assigned: that is said, not done silently.
        const added = await assignSchool(trx, { accountId: account.id, schoolId: school.id, role: input.role, now });
        if (!added) {
          const role = (await schoolRoleOf(trx, account.id, school.id)) ?? '';
          throw new ValidationError({
            schoolId: `${school.name} is already in this user's schools as ${isSchoolRole(role) ? schoolRoleLabel(role) : role}. To change its role, remove it and add it again.`,
          });
        }
        await touchAccount(trx, account.id, now);
        await audit(trx, who(actor), ctx, now, {
          action: 'account.school-added',
          organisationId: account.organisation_id,
          subjectAccountId: account.id,
          details: { school: { urn: school.urn, name: school.name }, role: [null, input.role] },
        });
      });
    },

    async removeSchool(actor: Actor, id: string, schoolId: string, ctx: RequestContext): Promise<void> {
      const account = await accountFor(deps, actor, 'users.edit-schools', id);
      if (!/^[0-9]{1,9}$/.test(schoolId)) throw new NotFoundError();
      const now = clock.now();
      await db.transaction().execute(async (trx) => {
        const removed = await unassignSchool(trx, account.id, Number(schoolId));
        if (!removed) throw new NotFoundError();
        const school = await schoolNamed(trx, removed.school_id);
        await touchAccount(trx, account.id, now);
        await audit(trx, who(actor), ctx, now, {
          action: 'account.school-removed',
          organisationId: account.organisation_id,
          subjectAccountId: account.id,
          details: { school, role: [removed.role, null] },
        });
      });
    },

    /** Termly or annual re-assignment (R26): the account's schools become exactly this list. */
    async replaceSchools(
      actor: Actor,
      id: string,
      input: readonly SchoolInput[],
      ctx: RequestContext,
      expectedVersion?: number,
    ): Promise<void> {
      const account = await accountFor(deps, actor, 'users.edit-schools', id);
      if (input.length > 2000) throw new ValidationError({ schools: 'Choose 2,000 schools or fewer' });
      const wanted = new Map<number, string>();
      for (const row of input) {
        if (!/^[0-9]{1,9}$/.test(row.schoolId) || !isSchoolRole(row.role))
          throw new ValidationError({ schools: 'Select schools of this Local Authority, each with a role' });
        wanted.set(Number(row.schoolId), row.role);
      }
      const now = clock.now();
      await db.transaction().execute(async (trx) => {
        await lockAtVersion(trx, id, expectedVersion);
        const ids = [...wanted.keys()];
        const found = await schoolIdsOfOrganisation(trx, account.organisation_id, ids);
        if (found.length !== ids.length)
          throw new ValidationError({ schools: 'Select schools of this Local Authority' });
        const before = await schoolAssignmentsOf(trx, account.id);
        await replaceSchoolsOf(
          trx,
          account.id,
          ids.map((schoolId) => ({ schoolId, role: wanted.get(schoolId)! })),
          now,
        );
        await touchAccount(trx, account.id, now);
        await audit(trx, who(actor), ctx, now, {
          action: 'account.schools-replaced',
          organisationId: account.organisation_id,
          subjectAccountId: account.id,
          details: {
            before: before.map((s) => ({ urn: s.urn, role: s.role })),
            after: ids.map((schoolId) => ({ schoolId, role: wanted.get(schoolId) })),
          },
        });
      });
    },
  };
}
