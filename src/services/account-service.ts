import { randomUUID } from 'node:crypto';
import type { Account } from '../data/database.ts';
import {
  administratorsOf, findAccountByExternalId, findAccountById, findAccountByUsername, findOrganisation, insertAccount, privilegesOf,
} from '../data/queries/account-queries.ts';
import { schoolAssignmentsOf, schoolGroupsOf } from '../data/queries/user-detail-queries.ts';
import { authorise, isCentralSupport, type Actor } from '../domain/access.ts';
import { EXTERNAL_ID_TAKEN, externalIdProblem, privilegesAllowedFor, USERNAME_TAKEN, validateAccountFields, type AccountFieldsInput } from '../domain/account-fields.ts';
import { isUniqueViolation } from '../data/unique-violation.ts';
import { NotFoundError, ValidationError } from '../domain/errors.ts';
import { sortPrivileges, typeDefaults, type Privilege } from '../domain/privileges.ts';
import { audit, who } from './audit.ts';
import type { ServiceDeps } from './deps.ts';
import type { PasswordService } from './password-service.ts';
import type { RequestContext } from './request-context.ts';

export interface CreateAccountInput extends AccountFieldsInput {
  organisationId: number;
  /** Defaults to the Type of User's defaults (R14). */
  privileges?: readonly string[];
  /** Who agreed CiN/CLA access (R16), required when the new account gets it. */
  cinClaAgreedBy?: string;
  /** The identity system's identifier (SCIM externalId), unique in the LA. */
  externalId?: string | null;
}

export function createAccountService(deps: ServiceDeps, passwords: PasswordService) {
  const { db, clock } = deps;

  return {
    /** Creates an account in the given LA and emails its invitation (R6–R9), in one transaction. */
    async createAccount(actor: Actor, input: CreateAccountInput, ctx: RequestContext): Promise<Account> {
      authorise(actor, 'users.create', { organisationId: input.organisationId });
      const organisation = await findOrganisation(db, input.organisationId);
      if (!organisation) throw new NotFoundError();
      const isCentral = organisation.kind === 'central';
      const { fields, errors } = validateAccountFields(input, isCentral);
      if (!fields) throw new ValidationError(errors);
      const requested = input.privileges ?? typeDefaults(fields.userType);
      const allowed = privilegesAllowedFor(isCentral, requested);
      if (allowed.error) throw new ValidationError({ privileges: allowed.error });
      // R15: nobody grants what they do not hold themselves (central support holds everything).
      if (actor.kind === 'account' && !isCentralSupport(actor)) {
        const notHeld = allowed.privileges.filter((p) => !actor.privileges.has(p));
        if (notHeld.length > 0) throw new ValidationError({ privileges: 'You cannot give a privilege you do not hold yourself' });
      }
      // R16: CiN/CLA access is agreed with the Virtual Head; record who agreed it.
      const agreedBy = (input.cinClaAgreedBy ?? '').trim();
      if (allowed.privileges.includes('cin_cla')) {
        if (!agreedBy) throw new ValidationError({ cinClaAgreedBy: 'Enter who agreed access to CiN and CLA information, such as the Virtual Head' });
        if (agreedBy.length > 200) throw new ValidationError({ cinClaAgreedBy: 'Who agreed it must be 200 characters or fewer' });
      }
      const externalId = input.externalId?.trim() || null;
      const externalIdError = externalIdProblem(externalId);
      if (externalIdError) throw new ValidationError({ externalId: externalIdError });
      const now = clock.now();
      const id = randomUUID();
      const taken = () => new ValidationError({ username: USERNAME_TAKEN });
      const externalIdTaken = () => new ValidationError({ externalId: EXTERNAL_ID_TAKEN });
      try {
        return await db.transaction().execute(async (trx) => {
          if (await findAccountByUsername(trx, fields.username)) throw taken();
          if (externalId !== null && await findAccountByExternalId(trx, organisation.id, externalId)) throw externalIdTaken();
          await insertAccount(trx, {
            id,
            organisation_id: organisation.id,
            username: fields.username,
            first_name: fields.firstName,
            last_name: fields.lastName,
            email: fields.email,
            job_title: fields.jobTitle,
            phone: fields.phone,
            user_type: fields.userType,
            external_id: externalId,
            created_at: now,
            created_by: actor.kind === 'account' ? actor.accountId : null,
            updated_at: now,
          }, sortPrivileges(allowed.privileges));
          const account = (await findAccountById(trx, id))!;
          await audit(trx, who(actor), ctx, now, {
            action: 'account.created',
            organisationId: organisation.id,
            subjectAccountId: id,
            details: {
              after: {
                username: fields.username, firstName: fields.firstName, lastName: fields.lastName, email: fields.email,
                jobTitle: fields.jobTitle, phone: fields.phone, userType: fields.userType, privileges: sortPrivileges(allowed.privileges),
              },
              ...(allowed.privileges.includes('cin_cla') ? { cinClaAgreedBy: agreedBy } : {}),
            },
          });
          await passwords.issueInvitation(trx, account, who(actor), ctx);
          return account;
        });
      } catch (error) {
        // Two creations racing for one username: the unique index decides (R7).
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
      return { account, organisation: organisation!, privileges: sortPrivileges(privileges) as Privilege[], administrators };
    },

    /** The caller for reporting (R56): privileges, My Schools and the default school group. */
    async me(actor: Actor) {
      const { account, organisation, privileges } = await this.profile(actor);
      const [schools, groups] = await Promise.all([schoolAssignmentsOf(db, account.id), schoolGroupsOf(db, account.id)]);
      return { account, organisation, privileges, schools, groups, defaultGroup: groups.find((g) => g.id === account.default_school_group_id) ?? null };
    },
  };
}

export type AccountService = ReturnType<typeof createAccountService>;
