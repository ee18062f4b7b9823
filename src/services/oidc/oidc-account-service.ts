import type { Account as OidcAccount, AccountClaims } from 'oidc-provider';
import { isUuid } from '../../data/queries/account-queries.ts';
import { findAccountWithClaims, schoolClaimsOf, type SchoolClaims } from '../../data/queries/oidc-claims-queries.ts';
import { fullName } from '../../domain/names.ts';
import type { ServiceDeps } from '../deps.ts';
import { principalOf, type Principal } from '../sign-in/principal.ts';

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
  async function claimsOf(
    principal: Principal,
    scope: string,
    schoolClaims: () => Promise<SchoolClaims | undefined>,
  ): Promise<AccountClaims> {
    const { account, organisation, actor } = principal;
    const scopes = new Set(scope.split(' '));
    const claims: AccountClaims = {
      sub: account.id,
      name: fullName(account),
      preferred_username: account.username,
      email: account.email,
    };
    if (!scopes.has('nexus')) return claims;
    const { schools, defaultGroup } = (await schoolClaims()) ?? { schools: [], defaultGroup: null };
    return {
      ...claims,
      nexus_la: { code: organisation.la_code, name: organisation.name },
      nexus_user_type: account.user_type,
      nexus_privileges: [...actor.privileges],
      nexus_schools: schools,
      nexus_default_school_group: defaultGroup,
    };
  }

  return {
    /**
     * oidc-provider's `findAccount`: undefined unless the account exists and is active. `signedIn` is
     * the person this same request's Nexus session was read for (a sign-in handed back to the
     * provider): used as it is rather than read a second time.
     */
    async find(accountId: string, signedIn?: Principal): Promise<OidcAccount | undefined> {
      if (!isUuid(accountId)) return undefined;
      if (signedIn?.account.id === accountId)
        return { accountId, claims: (_use, scope) => claimsOf(signedIn, scope, () => schoolClaimsOf(db, accountId)) };
      const found = await findAccountWithClaims(db, accountId);
      const principal = found && principalOf(found);
      if (!principal) return undefined;
      return {
        accountId,
        claims: (_use, scope) => claimsOf(principal, scope, () => Promise.resolve(found.schoolClaims)),
      };
    },
  };
}
