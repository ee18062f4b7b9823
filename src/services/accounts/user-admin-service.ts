import { findLaAccountLink } from '../../data/queries/la-sign-in-queries.ts';
import { findOrganisation, privilegesOf } from '../../data/queries/account-queries.ts';
import {
  accountLabel,
  schoolAssignmentsOf,
  schoolGroupsOf,
  schoolGroupsOfOrganisation,
  schoolsOfOrganisation,
  subscriptionsOf,
} from '../../data/queries/user-detail-queries.ts';
import { can, type Action, type Actor } from '../../domain/access.ts';
import { accountState } from '../../domain/account-status.ts';
import { differenceFromDefaults, isUserType, sortPrivileges } from '../../domain/privileges.ts';
import { auditSupportRead } from '../audit.ts';
import type { ServiceDeps } from '../deps.ts';
import { latestInvitation } from '../../data/queries/token-queries.ts';
import { countPasskeys } from '../../data/queries/passkey-queries.ts';
import { signInMethods } from '../../domain/passkeys.ts';
import { outlooksOf } from '../lifecycle/schedule.ts';
import type { RequestContext } from '../request-context.ts';
import { accountFor } from './account-operations.ts';

/** The user page (R24–R27): everything an administrator may see of one account of their LA. */
export function createUserAdminService(deps: ServiceDeps) {
  const { db } = deps;

  return {
    /**
     * The account as the user page shows it; `action` is what the page is for (its confirmation).
     * `read`: the request, when this is what the request shows (the user page, the API's GET); then
     * a read by central support of another LA's account is audited in that LA (auditSupportRead).
     * Left out where the account is only looked at on the way to a change, which has its own event.
     */
    async view(actor: Actor, id: string, action: Action = 'users.view', read?: RequestContext) {
      const account = await accountFor(deps, actor, action, id);
      if (read)
        await auditSupportRead(db, actor, read, deps.clock.now(), {
          organisationId: account.organisation_id,
          what: 'User details',
          subjectAccountId: account.id,
        });
      const target = { organisationId: account.organisation_id, accountId: account.id };
      const invited = account.status === 'active' && account.password_hash === null;
      const [
        organisation,
        privileges,
        schools,
        groups,
        subscriptions,
        createdBy,
        archivedBy,
        outlooks,
        invitation,
        passkeys,
        laLink,
      ] = await Promise.all([
        findOrganisation(db, account.organisation_id),
        privilegesOf(db, account.id),
        schoolAssignmentsOf(db, account.id),
        schoolGroupsOf(db, account.id),
        subscriptionsOf(db, account.id),
        accountLabel(db, account.created_by),
        accountLabel(db, account.archived_by),
        outlooksOf(db, deps.schedule, [account.id], deps.clock.now()),
        invited ? latestInvitation(db, account.id) : undefined,
        countPasskeys(db, account.id),
        findLaAccountLink(db, account.id),
      ]);
      const lifecycle = outlooks.get(account.id)!;
      const held = sortPrivileges(privileges);
      return {
        account,
        organisation: organisation!,
        privileges: held,
        differs: isUserType(account.user_type)
          ? differenceFromDefaults(account.user_type, held)
          : { added: [], removed: [] },
        schools,
        groups,
        defaultGroup: groups.find((g) => g.id === account.default_school_group_id) ?? null,
        subscriptions,
        createdBy: createdBy ?? (account.created_by ? 'a deleted account' : 'the system'),
        archivedBy: archivedBy ?? (account.archived_by ? 'a deleted account' : 'the system'),
        /** Warned or not, and what the nightly job will do next and when (the one schedule). */
        lifecycle,
        /** What the status tag says: archived, warned, invited (never set a password) or active. */
        state: accountState({
          status: account.status,
          hasPassword: account.password_hash !== null,
          warned: lifecycle.state === 'warned',
        }),
        /** How they sign in, in words (issue 15 item 6). */
        signInMethods: signInMethods({
          hasPassword: account.password_hash !== null,
          hasTotp: account.totp_secret !== null,
          passkeys,
          laAccount: laLink !== undefined,
        }),
        passkeys,
        /** Active, and its holder never set a password. */
        invited,
        /** An invited account's latest link: when it was sent and until when it works. */
        invitation: invitation
          ? {
              sentAt: invitation.created_at,
              expiresAt: invitation.expires_at,
              usable: invitation.used_at === null && invitation.expires_at > deps.clock.now(),
            }
          : null,
        allowed: {
          edit: can(actor, 'users.edit', target),
          editSchools: can(actor, 'users.edit-schools', target),
          editPrivileges: can(actor, 'users.edit-privileges', target),
          archive: account.status === 'active' && can(actor, 'users.archive', target),
          delete: can(actor, 'users.delete', target),
          restore: account.status === 'archived' && can(actor, 'users.restore', target),
          resendInvitation: invited && can(actor, 'users.resend-invitation', target),
          resetTwoFactor: account.totp_secret !== null && can(actor, 'users.reset-two-factor', target),
          audit: can(actor, 'users.view-audit', target),
        },
      };
    },

    /** The LA's schools and school groups, for the add-school and group pickers. */
    async choices(actor: Actor, id: string) {
      const account = await accountFor(deps, actor, 'users.view', id);
      const [schools, groups] = await Promise.all([
        schoolsOfOrganisation(db, account.organisation_id),
        schoolGroupsOfOrganisation(db, account.organisation_id),
      ]);
      return { schools, groups };
    },
  };
}
