import { type Account, type ArchiveReason, type Executor } from '../../data/database.ts';
import {
  addPrivileges,
  countOtherActiveAdministrators,
  findAccountByExternalId,
  findAccountById,
  lockAccountById,
  lockAdministratorsOf,
  markArchived,
  markRestored,
  privilegesOf,
  removePrivileges,
  setDefaultSchoolGroup,
  setUserType,
  touchAccount,
  updateAccountDetails,
} from '../../data/queries/account-queries.ts';
import { replaceSchoolGroupsOf } from '../../data/queries/account-school-queries.ts';
import { revokeApiTokensOf } from '../../data/queries/api-token-queries.ts';
import { deletePendingTopicMessagesTo } from '../../data/queries/communication-queries.ts';
import { schoolGroupIdsOfOrganisation } from '../../data/queries/school-group-queries.ts';
import { schoolGroupsOf } from '../../data/queries/user-detail-queries.ts';
import { authorise, isCentralSupport, type Action, type Actor } from '../../domain/access.ts';
import {
  accessEndDateFrom,
  EXTERNAL_ID_TAKEN,
  externalIdProblem,
  validateAccountFields,
} from '../../domain/account-fields.ts';
import { dateIn } from '../../domain/calendar.ts';
import {
  AGREED_PRIVILEGE,
  agreementDetails,
  cannotGiveMessage,
  mayGive,
  validateCinClaAgreement,
  type CinClaAgreementInput,
} from '../../domain/cin-cla-agreement.ts';
import { NotFoundError, RuleError, StaleVersionError, ValidationError } from '../../domain/errors.ts';
import { accessEndsAt, deletionDueAt, type RetentionPolicy } from '../../domain/lifecycle.ts';
import { fullName } from '../../domain/names.ts';
import {
  ADMINISTRATOR_PRIVILEGE,
  CENTRAL_ONLY_PRIVILEGES,
  CENTRAL_ONLY_TYPES,
  isPrivilege,
  isUserType,
  sortPrivileges,
} from '../../domain/privileges.ts';
import { audit, changes, who, type Who } from '../audit.ts';
import { type ServiceDeps } from '../deps.ts';
import { refreshLifecycleDue } from '../lifecycle/schedule.ts';
import { type RequestContext } from '../request-context.ts';
import { endSessionsOfAccount } from '../sign-in/end-sessions.ts';

/**
 * The account operations that run inside a caller's transaction, shared by the services that
 * change accounts (the pages, the API, SCIM provisioning, access reviews, the nightly lifecycle):
 * authorising and locking an account, the last-administrator rule (R17), details, privileges,
 * archive and restore. Each writes its audit event in the caller's transaction.
 */

/**
 * Loads an account for an action on it, enforcing tenant scope through the access table: an
 * account of another LA is "not found" (R4), never "forbidden", so its existence is not revealed.
 */
export async function accountFor(
  deps: Pick<ServiceDeps, 'db'>,
  actor: Actor,
  action: Action,
  id: string,
): Promise<Account> {
  const account = await findAccountById(deps.db, id);
  if (!account) throw new NotFoundError();
  authorise(actor, action, { organisationId: account.organisation_id, accountId: account.id });
  return account;
}

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

/** With the agreement of CiN/CLA access (R16), required when it is being granted. */
export interface PrivilegesInput extends CinClaAgreementInput {
  userType?: string;
  privileges?: readonly string[];
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
  /** Added to the audit details (a review names itself). */
  extra: Record<string, unknown>,
  /** YYYY-MM-DD where the service runs: an agreement of CiN/CLA access is not dated after it (R16). */
  today: string,
): Promise<void> {
  const isCentralAccount = CENTRAL_ONLY_TYPES.includes(account.user_type as never);
  const userType = input.userType ?? '';
  const requested = [...new Set(input.privileges ?? [])];
  if (!isUserType(userType) || CENTRAL_ONLY_TYPES.includes(userType) !== isCentralAccount) {
    throw new ValidationError({ userType: 'Select a Type of User from the list' });
  }
  if (requested.some((p) => !isPrivilege(p)))
    throw new ValidationError({ privileges: 'Select privileges from the list' });
  const wanted = sortPrivileges(requested);
  if (!isCentralAccount && wanted.some((p) => CENTRAL_ONLY_PRIVILEGES.includes(p))) {
    throw new ValidationError({ privileges: 'Central support can only be held by central support accounts' });
  }
  const before = sortPrivileges(await privilegesOf(trx, account.id));
  const added = wanted.filter((p) => !before.includes(p));
  const removed = before.filter((p) => !wanted.includes(p));
  // R15: nobody grants what they do not hold themselves, except CiN/CLA on a recorded agreement (R16).
  const notHeld = added.filter((p) => !mayGive(actor, p));
  if (notHeld.length > 0) throw new ValidationError({ privileges: cannotGiveMessage(notHeld) });
  let agreement = null;
  if (added.includes(AGREED_PRIVILEGE)) {
    const checked = validateCinClaAgreement(input, today);
    if (!checked.agreement) throw new ValidationError(checked.errors);
    agreement = checked.agreement;
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
        ...agreementDetails(agreement),
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
    },
    { ...update, schoolGroups: afterGroups, default_school_group_id: defaultId },
  );
  await audit(trx, who(actor), ctx, now, {
    action: 'account.details-changed',
    organisationId: account.organisation_id,
    subjectAccountId: account.id,
    details: { changes: diff },
  });
}

/**
 * Archives in the caller's transaction (R30): locked at once — every session ends — and kept
 * restorable until its deletion date, which is also its next lifecycle event. Shared by the
 * pages, the lifecycle job, reviews and provisioning.
 */
export async function archiveInTransaction(
  trx: Executor,
  account: Account,
  reason: ArchiveReason,
  by: Who,
  ctx: RequestContext,
  now: Date,
  retention: RetentionPolicy,
  extra: Record<string, unknown> = {},
): Promise<Date> {
  const due = deletionDueAt(reason, now, retention);
  const archived = await markArchived(trx, account.id, { by: by.accountId, reason, deletionDueAt: due, now });
  if (!archived) throw new RuleError('This account is already archived');
  const sessions = await endSessionsOfAccount(trx, account.id, now);
  // Its API tokens end with it, for good: restoring the person does not revive a token nobody watched.
  const apiTokensRevoked = await revokeApiTokensOf(trx, account.id, by.accountId, now);
  // R46: an archived account receives no communications, including any not yet delivered.
  await deletePendingTopicMessagesTo(trx, account.id);
  await audit(trx, by, ctx, now, {
    action: 'account.archived',
    organisationId: account.organisation_id,
    subjectAccountId: account.id,
    details: {
      reason,
      status: ['active', 'archived'],
      deletionDueAt: due.toISOString(),
      sessionsEnded: sessions,
      ...(apiTokensRevoked > 0 ? { apiTokensRevoked } : {}),
      ...extra,
    },
  });
  return due;
}

/** Restores an archived account in the caller's transaction (R32). */
export async function restoreInTransaction(
  deps: Pick<ServiceDeps, 'schedule'>,
  trx: Executor,
  actor: Actor,
  account: Account,
  ctx: RequestContext,
  now: Date,
): Promise<void> {
  // Type, privileges, schools, groups and preferences were never touched by the archive, so
  // they come back exactly; the inactivity clock restarts now (R32, R34). An access end date
  // that has passed is cleared: kept, it would archive the account again that night (R40).
  const ended = accessEndsAt({ accessEndDate: account.access_end_date }, deps.schedule.policy);
  const clearEnd = ended !== null && ended <= now;
  const restored = await markRestored(trx, account.id, { now, clearAccessEndDate: clearEnd });
  if (!restored) throw new RuleError('This account is not archived');
  await refreshLifecycleDue(trx, deps.schedule, [account.id]);
  await audit(trx, who(actor), ctx, now, {
    action: 'account.restored',
    organisationId: account.organisation_id,
    subjectAccountId: account.id,
    details: {
      status: ['archived', 'active'],
      archiveReason: account.archive_reason,
      ...(clearEnd ? { accessEndDate: [account.access_end_date, null] } : {}),
    },
  });
}
