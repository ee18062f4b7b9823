import type { Account, Executor } from '../../data/database.ts';
import {
  addPrivileges,
  countOtherActiveAdministrators,
  findAccountByExternalId,
  lockAccountById,
  lockAdministratorsOf,
  privilegesOf,
  removePrivileges,
  setDefaultSchoolGroup,
  setUserType,
  touchAccount,
  updateAccountDetails,
} from '../../data/queries/account-queries.ts';
import {
  assignSchool,
  replaceSchoolGroupsOf,
  replaceSchoolsOf,
  schoolRoleOf,
  unassignSchool,
} from '../../data/queries/account-school-queries.ts';
import { schoolGroupIdsOfOrganisation } from '../../data/queries/school-group-queries.ts';
import { findSchoolOfOrganisation, schoolIdsOfOrganisation, schoolNamed } from '../../data/queries/school-queries.ts';
import { schoolAssignmentsOf, schoolGroupsOf } from '../../data/queries/user-detail-queries.ts';
import { isCentralSupport, mayGrant, type Actor } from '../../domain/access.ts';
import {
  accessEndDateFrom,
  EXTERNAL_ID_TAKEN,
  externalIdProblem,
  validateAccountFields,
} from '../../domain/account-fields.ts';
import { NotFoundError, RuleError, StaleVersionError, ValidationError } from '../../domain/errors.ts';
import {
  ADMINISTRATOR_PRIVILEGE,
  CENTRAL_ONLY_PRIVILEGES,
  CENTRAL_ONLY_TYPES,
  isPrivilege,
  isUserType,
  sortPrivileges,
  type Privilege,
} from '../../domain/privileges.ts';
import { isSchoolRole } from '../../domain/school-roles.ts';
import { audit, changes, who } from '../audit.ts';
import { isUniqueViolation } from '../../data/unique-violation.ts';
import type { ServiceDeps } from '../deps.ts';
import type { RequestContext } from '../request-context.ts';
import { accountFor } from './user-admin-service.ts';
import { refreshLifecycleDue } from '../lifecycle/schedule.ts';
import { dateIn } from '../../domain/calendar.ts';
import { fullName } from '../../domain/names.ts';

export interface DetailsInput {
  firstName?: string;
  lastName?: string;
  email?: string;
  jobTitle?: string;
  phone?: string;
  schoolGroupIds?: readonly string[];
  defaultSchoolGroupId?: string;
  accessEndDate?: string;
  /**
   * The identifier an identity system knows the account by (SCIM externalId); unique in the LA.
   * Left alone when undefined; null or empty clears it.
   */
  externalId?: string | null;
}

export interface PrivilegesInput {
  userType?: string;
  privileges?: readonly string[];
  /** Who agreed CiN/CLA access (R16), when it is being granted. */
  cinClaAgreedBy?: string;
}

export interface SchoolInput {
  schoolId: string;
  role: string;
}

/**
 * R17: an LA keeps at least one active administrator. Checked inside the transaction that removes
 * one, with the LA's administrators locked; central support may still go ahead.
 */
export async function assertNotLastAdministrator(
  trx: Executor,
  actor: Actor,
  account: Account,
  what: string,
): Promise<void> {
  if (isCentralSupport(actor) || actor.kind === 'system') return;
  const held = await privilegesOf(trx, account.id);
  if (!held.includes(ADMINISTRATOR_PRIVILEGE) || account.status !== 'active') return;
  // Serialise concurrent removals within one LA.
  await lockAdministratorsOf(trx, account.organisation_id);
  if ((await countOtherActiveAdministrators(trx, account.organisation_id, account.id)) === 0) {
    throw new RuleError(
      `You cannot ${what}: ${fullName(account)} is the last administrator of this Local Authority. Give another account "Can Add, Delete and Manage Users" first.`,
    );
  }
}

/**
 * Sets an account's Type of User and privileges in the caller's transaction, with the rules of
 * the Privileges tab (R14–R17). Shared by that tab and access reviews, whose audit `extra` names
 * the review.
 */
export async function applyPrivileges(
  trx: Executor,
  actor: Actor,
  account: Account,
  input: PrivilegesInput,
  ctx: RequestContext,
  now: Date,
  extra: Record<string, unknown> = {},
): Promise<void> {
  const isCentralAccount = CENTRAL_ONLY_TYPES.includes(account.user_type as never);
  const userType = input.userType ?? '';
  const requested = [...new Set(input.privileges ?? [])];
  if (!isUserType(userType) || CENTRAL_ONLY_TYPES.includes(userType) !== isCentralAccount) {
    throw new ValidationError({ userType: 'Select a Type of User from the list' });
  }
  if (requested.some((p) => !isPrivilege(p)))
    throw new ValidationError({ privileges: 'Select privileges from the list' });
  const wanted = sortPrivileges(requested) as Privilege[];
  if (!isCentralAccount && wanted.some((p) => CENTRAL_ONLY_PRIVILEGES.includes(p))) {
    throw new ValidationError({ privileges: 'Central support can only be held by central support accounts' });
  }
  const before = sortPrivileges(await privilegesOf(trx, account.id)) as Privilege[];
  const added = wanted.filter((p) => !before.includes(p));
  const removed = before.filter((p) => !wanted.includes(p));
  // R15: nobody grants what they do not hold themselves.
  const notHeld = added.filter((p) => !mayGrant(actor, p));
  if (notHeld.length > 0)
    throw new ValidationError({
      privileges: `You cannot give a privilege you do not hold yourself: ${notHeld.join(', ')}`,
    });
  // R16: CiN/CLA access is agreed with the Virtual Head; record who agreed it.
  const agreedBy = (input.cinClaAgreedBy ?? '').trim();
  if (added.includes('cin_cla')) {
    if (!agreedBy)
      throw new ValidationError({
        cinClaAgreedBy: 'Enter who agreed access to CiN and CLA information, such as the Virtual Head',
      });
    if (agreedBy.length > 200)
      throw new ValidationError({ cinClaAgreedBy: 'Who agreed it must be 200 characters or fewer' });
  }
  if (removed.includes(ADMINISTRATOR_PRIVILEGE))
    await assertNotLastAdministrator(trx, actor, account, 'remove "Can Add, Delete and Manage Users"');
  await removePrivileges(trx, account.id, removed);
  await addPrivileges(trx, account.id, added);
  await setUserType(trx, account.id, userType, now);
  if (added.length > 0 || removed.length > 0 || userType !== account.user_type) {
    await audit(trx, who(actor), ctx, now, {
      action: 'account.privileges-changed',
      organisationId: account.organisation_id,
      subjectAccountId: account.id,
      details: {
        userType: [account.user_type, userType],
        privileges: [before, wanted],
        added,
        removed,
        ...(added.includes('cin_cla') ? { cinClaAgreedBy: agreedBy } : {}),
        ...extra,
      },
    });
  }
}

/**
 * The account, locked for the rest of the transaction, at the version the caller saw: a form's
 * hidden version or an API If-Match. Undefined `expectedVersion` means the caller named none.
 */
export async function lockAtVersion(trx: Executor, id: string, expectedVersion?: number): Promise<Account> {
  const account = await lockAccountById(trx, id);
  if (!account) throw new NotFoundError();
  if (expectedVersion !== undefined && account.version !== expectedVersion)
    throw new StaleVersionError(account.version);
  return account;
}

/**
 * Changes an account's details in the caller's transaction, the account read under its row lock
 * (lockAccountById). Fields left undefined keep their current value, so two callers changing
 * different fields lose nothing.
 */
export async function editDetailsInTransaction(
  deps: Pick<ServiceDeps, 'schedule'>,
  trx: Executor,
  actor: Actor,
  account: Account,
  input: DetailsInput,
  ctx: RequestContext,
  now: Date,
): Promise<void> {
  const { fields, errors } = validateAccountFields(
    {
      firstName: input.firstName ?? account.first_name,
      lastName: input.lastName ?? account.last_name,
      email: input.email ?? account.email,
      jobTitle: input.jobTitle ?? account.job_title ?? '',
      phone: input.phone ?? account.phone ?? '',
      username: account.username,
      userType: account.user_type,
    },
    CENTRAL_ONLY_TYPES.includes(account.user_type as never),
  );
  const all: Record<string, string> = { ...errors };
  // Fields the caller does not send keep their value: provisioning knows nothing of groups
  // or access end dates, while the page always sends them.
  let accessEndDate: string | null = input.accessEndDate === undefined ? account.access_end_date : null;
  if (input.accessEndDate !== undefined) {
    // "In the future" where the job runs: the day an access end date takes effect there.
    const parsed = accessEndDateFrom(input.accessEndDate, dateIn(now, deps.schedule.policy.timezone));
    if (parsed.error) all.accessEndDate = parsed.error;
    else accessEndDate = parsed.date;
  }
  const beforeGroups = (await schoolGroupsOf(trx, account.id)).map((g) => g.id).sort();
  const keepGroups = input.schoolGroupIds === undefined;
  const groupIds = [
    ...new Set((keepGroups ? beforeGroups.map(String) : input.schoolGroupIds!).filter((g) => g !== '')),
  ];
  if (groupIds.some((g) => !/^[0-9]{1,9}$/.test(g))) all.schoolGroupIds = 'Select school groups from the list';
  const defaultGroup =
    input.defaultSchoolGroupId === undefined
      ? String(account.default_school_group_id ?? '')
      : input.defaultSchoolGroupId.trim();
  const externalId = input.externalId === undefined ? account.external_id : input.externalId?.trim() || null;
  const externalIdError = externalIdProblem(externalId);
  if (externalIdError) all.externalId = externalIdError;
  if (defaultGroup && !groupIds.includes(defaultGroup))
    all.defaultSchoolGroupId = 'The default school group must be one of the groups you selected';
  if (Object.keys(all).length > 0 || !fields) throw new ValidationError(all);

  const groups = await schoolGroupIdsOfOrganisation(trx, account.organisation_id, groupIds.map(Number));
  if (groups.length !== groupIds.length)
    throw new ValidationError({ schoolGroupIds: 'Select school groups of this Local Authority' });
  const afterGroups = groupIds.map(Number).sort();
  const update = {
    first_name: fields.firstName,
    last_name: fields.lastName,
    email: fields.email,
    job_title: fields.jobTitle,
    phone: fields.phone,
    access_end_date: accessEndDate,
    external_id: externalId,
  };
  if (
    externalId !== null &&
    externalId !== account.external_id &&
    (await findAccountByExternalId(trx, account.organisation_id, externalId))
  ) {
    throw new ValidationError({ externalId: EXTERNAL_ID_TAKEN });
  }
  // Clear the default first so that unassigning its group cannot trip the constraint (R10).
  await updateAccountDetails(trx, account.id, update, now);
  await replaceSchoolGroupsOf(trx, account.id, afterGroups);
  const defaultId = defaultGroup ? Number(defaultGroup) : null;
  await setDefaultSchoolGroup(trx, account.id, defaultId);
  await touchAccount(trx, account.id, now);
  // An access end date is a lifecycle event (R11): the stored next-event time follows it.
  await refreshLifecycleDue(trx, deps.schedule, [account.id]);
  const diff = changes(
    {
      ...account,
      schoolGroups: beforeGroups,
      default_school_group_id: account.default_school_group_id,
    } as Record<string, unknown>,
    { ...update, schoolGroups: afterGroups, default_school_group_id: defaultId },
  );
  await audit(trx, who(actor), ctx, now, {
    action: 'account.details-changed',
    organisationId: account.organisation_id,
    subjectAccountId: account.id,
    details: { changes: diff },
  });
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
          applyPrivileges(trx, actor, await lockAtVersion(trx, id, expectedVersion), input, ctx, now),
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
        const existingRole = await schoolRoleOf(trx, account.id, school.id);
        await assignSchool(trx, { accountId: account.id, schoolId: school.id, role: input.role, now });
        await touchAccount(trx, account.id, now);
        await audit(trx, who(actor), ctx, now, {
          action: 'account.school-added',
          organisationId: account.organisation_id,
          subjectAccountId: account.id,
          details: { school: { urn: school.urn, name: school.name }, role: [existingRole ?? null, input.role] },
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
