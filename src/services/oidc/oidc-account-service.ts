import type { Account as OidcAccount, AccountClaims } from 'oidc-provider';
import { isUuid } from '../../data/queries/account-queries.ts';
import { findSchoolGroup, schoolsOfGroup } from '../../data/queries/school-group-queries.ts';
import { schoolAssignmentsOf } from '../../data/queries/user-detail-queries.ts';
import { fullName } from '../../domain/names.ts';
import type { ServiceDeps } from '../deps.ts';
import { loadPrincipal, type Principal } from '../sign-in/principal.ts';

/** The claims of the `nexus` scope (R62), each a top-level claim of the ID token and userinfo. */
export const NEXUS_CLAIMS = [
  'nexus_la',
  'nexus_user_type',
  'nexus_privileges',
  'nexus_schools',
  'nexus_default_school_group',
] as const;

/**
 * Accounts as the OpenID Connect provider sees them (R62, R63): read afresh at every use (a code,
 * a refresh, userinfo), so a refresh returns the current claims, and an archived or deleted account
 * is not found, which the provider answers by refusing the code, the refresh or the access token.
 */
export function createOidcAccountService({ db }: Pick<ServiceDeps, 'db'>) {
  async function claimsOf(principal: Principal, scope: string): Promise<AccountClaims> {
    const { account, organisation, actor } = principal;
    const scopes = new Set(scope.split(' '));
    const claims: AccountClaims = {
      sub: account.id,
      name: fullName(account),
      preferred_username: account.username,
      email: account.email,
    };
    if (!scopes.has('nexus')) return claims;
    const [schools, group] = await Promise.all([
      schoolAssignmentsOf(db, account.id),
      account.default_school_group_id === null ? undefined : findSchoolGroup(db, account.default_school_group_id),
    ]);
    return {
      ...claims,
      nexus_la: { code: organisation.la_code, name: organisation.name },
      nexus_user_type: account.user_type,
      nexus_privileges: [...actor.privileges],
      nexus_schools: schools.map((s) => ({ urn: s.urn, name: s.name, role: s.role })),
      nexus_default_school_group: group ? { name: group.name, schools: await schoolsOfGroup(db, group.id) } : null,
    };
  }

  return {
    /** oidc-provider's `findAccount`: undefined unless the account exists and is active. */
    async find(accountId: string): Promise<OidcAccount | undefined> {
      if (!isUuid(accountId)) return undefined;
      const principal = await loadPrincipal(db, accountId);
      if (!principal) return undefined;
      return { accountId, claims: (_use, scope) => claimsOf(principal, scope) };
    },
  };
}
