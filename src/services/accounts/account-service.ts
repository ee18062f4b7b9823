import { randomUUID } from 'node:crypto';
import type { Account, NewAccount } from '../../data/database.ts';
import {
  administratorsOf,
  findAccountByExternalId,
  findAccountById,
  findAccountByUsername,
  findAccountWithOrganisation,
  findOrganisation,
  insertAccount,
  privilegesOf,
} from '../../data/queries/account-queries.ts';
import { schoolAssignmentsOf, schoolGroupsOf } from '../../data/queries/user-detail-queries.ts';
import { isUniqueViolation } from '../../data/unique-violation.ts';
import { authorise, type Actor } from '../../domain/access.ts';
import { EXTERNAL_ID_TAKEN, externalIdProblem, USERNAME_TAKEN } from '../../domain/account-fields.ts';
import { dateIn } from '../../domain/calendar.ts';
import { mayGive } from '../../domain/cin-cla-agreement.ts';
import { NotFoundError, ValidationError } from '../../domain/errors.ts';
import {
  accountCreatedDetails,
  validateNewAccount,
  type NewAccountInput,
  type NewAccountPlan,
} from '../../domain/new-account.ts';
import { sortPrivileges } from '../../domain/privileges.ts';
import { audit, who } from '../audit.ts';
import type { ServiceDeps } from '../deps.ts';
import type { PasswordService } from '../sign-in/password-service.ts';
import type { RequestContext } from '../request-context.ts';
import { refreshLifecycleDue } from '../lifecycle/schedule.ts';

export interface CreateAccountInput extends NewAccountInput {
  organisationId: number;
  /** The identity system's identifier (SCIM externalId), unique in the LA. */
  externalId?: string | null;
  /**
   * Store the username in the case given (SCIM: identity systems check the userName they sent).
   * R7 still compares case-insensitively: the column is citext.
   */
  keepUsernameCase?: boolean;
}

/** The accounts row of a new, invited account (no password: R9). */
export function newAccountRow(
  plan: NewAccountPlan,
  p: { id: string; organisationId: number; createdBy: Actor; now: Date; externalId?: string | null },
): NewAccount {
  const { fields } = plan;
  return {
    id: p.id,
    organisation_id: p.organisationId,
    username: fields.username,
    first_name: fields.firstName,
    last_name: fields.lastName,
    email: fields.email,
    job_title: fields.jobTitle,
    phone: fields.phone,
    user_type: fields.userType,
    external_id: p.externalId ?? null,
    created_at: p.now,
    created_by: p.createdBy.kind === 'account' ? p.createdBy.accountId : null,
    updated_at: p.now,
  };
}

export function createAccountService(deps: ServiceDeps, passwords: PasswordService) {
  const { db, clock } = deps;

  return {
    /** Creates an account in the given LA and emails its invitation (R6–R9), in one transaction. */
    async createAccount(actor: Actor, input: CreateAccountInput, ctx: RequestContext): Promise<Account> {
      authorise(actor, 'users.create', { organisationId: input.organisationId });
      const organisation = await findOrganisation(db, input.organisationId);
      if (!organisation) throw new NotFoundError();
      const now = clock.now();
      const { plan: validated, errors } = validateNewAccount(
        input,
        organisation.kind === 'central',
        (p) => mayGive(actor, p),
        dateIn(now, deps.schedule.policy.timezone),
      );
      if (!validated) throw new ValidationError(errors);
      const plan = input.keepUsernameCase
        ? { ...validated, fields: { ...validated.fields, username: input.username!.trim() } }
        : validated;
      const { fields } = plan;
      const externalId = input.externalId?.trim() || null;
      const externalIdError = externalIdProblem(externalId);
      if (externalIdError) throw new ValidationError({ externalId: externalIdError });
      const id = randomUUID();
      const taken = () => new ValidationError({ username: USERNAME_TAKEN });
      const externalIdTaken = () => new ValidationError({ externalId: EXTERNAL_ID_TAKEN });
      try {
        return await db.transaction().execute(async (trx) => {
          if (await findAccountByUsername(trx, fields.username)) throw taken();
          if (externalId !== null && (await findAccountByExternalId(trx, organisation.id, externalId)))
            throw externalIdTaken();
          await insertAccount(
            trx,
            newAccountRow(plan, { id, organisationId: organisation.id, createdBy: actor, now, externalId }),
            plan.privileges,
          );
          await refreshLifecycleDue(trx, deps.schedule, [id]);
          const account = (await findAccountById(trx, id))!;
          await audit(trx, who(actor), ctx, now, {
            action: 'account.created',
            organisationId: organisation.id,
            subjectAccountId: id,
            details: accountCreatedDetails(plan),
          });
          await passwords.issueInvitation(trx, account, who(actor), ctx);
          return account;
        });
      } catch (error) {
        // Two creations racing for one username (R7) or one external id: the unique index decides.
        if (isUniqueViolation(error, 'accounts_external_id')) throw externalIdTaken();
        if (isUniqueViolation(error)) throw taken();
        throw error;
      }
    },

    /** The signed-in person's own account, for Home and My Account. */
    async profile(actor: Actor) {
      if (actor.kind !== 'account') throw new NotFoundError();
      authorise(actor, 'my-account.view', { accountId: actor.accountId });
      const account = await findAccountById(db, actor.accountId);
      if (!account) throw new NotFoundError();
      const [organisation, privileges, administrators] = await Promise.all([
        findOrganisation(db, account.organisation_id),
        privilegesOf(db, account.id),
        administratorsOf(db, account.organisation_id),
      ]);
      return {
        account,
        organisation: organisation!,
        privileges: sortPrivileges(privileges),
        administrators,
      };
    },

    async me(actor: Actor) {
      if (actor.kind !== 'account') throw new NotFoundError();
      authorise(actor, 'my-account.view', { accountId: actor.accountId });
      const [found, schools, groups] = await Promise.all([
        findAccountWithOrganisation(db, actor.accountId),
        schoolAssignmentsOf(db, actor.accountId),
        schoolGroupsOf(db, actor.accountId),
      ]);
      if (!found) throw new NotFoundError();
      const { account, organisation, privileges } = found;
      return {
        account,
        organisation,
        privileges: sortPrivileges(privileges),
        schools,
        groups,
        defaultGroup: groups.find((g) => g.id === account.default_school_group_id) ?? null,
      };
    },
  };
}
