import type { Account as OidcAccount, AccountClaims } from 'oidc-provider';
import { isUuid } from '../../data/queries/account-queries.ts';
import {
  findAccountWithClaims,
  schoolClaimsOf,
  type ClaimsPerson,
  type SchoolClaims,
} from '../../data/queries/oidc-claims-queries.ts';
import { fullName } from '../../domain/names.ts';
import { sortPrivileges } from '../../domain/privileges.ts';
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

/** What the claims are made of, but the schools (read only when the `nexus` scope asks for them). */
type Person = Omit<ClaimsPerson, 'schoolClaims'>;

const personOf = ({ account, organisation, actor }: Principal): Person => ({
  id: account.id,
  first_name: account.first_name,
  last_name: account.last_name,
  username: account.username,
  email: account.email,
  user_type: account.user_type,
  la_code: organisation.la_code,
  la_name: organisation.name,
  privileges: [...actor.privileges],
});

/**
 * Accounts as the OpenID Connect provider sees them (R62, R63): read afresh at every use (a code,
 * a refresh, userinfo), so a refresh returns the current claims, and an archived or deleted account
 * is not found, which the provider answers by refusing the code, the refresh or the access token.
 */
export function createOidcAccountService({ db }: Pick<ServiceDeps, 'db'>) {
  async function claimsOf(
    person: Person,
    scope: string,
    schoolClaims: () => Promise<SchoolClaims | undefined>,
  ): Promise<AccountClaims> {
    const scopes = new Set(scope.split(' '));
    const claims: AccountClaims = {
      sub: person.id,
      name: fullName(person),
      preferred_username: person.username,
      email: person.email,
    };
    if (!scopes.has('nexus')) return claims;
    const { schools, defaultGroup } = (await schoolClaims()) ?? { schools: [], defaultGroup: null };
    return {
      ...claims,
      nexus_la: { code: person.la_code, name: person.la_name },
      nexus_user_type: person.user_type,
      nexus_privileges: person.privileges,
      nexus_schools: schools,
      nexus_default_school_group: defaultGroup,
    };
  }

  const accountOf = (person: Person, schoolClaims: () => Promise<SchoolClaims | undefined>): OidcAccount => ({
    accountId: person.id,
    claims: (_use, scope) => claimsOf(person, scope, schoolClaims),
  });

  /** The account as it is now, read when its claims are asked for. */
  async function currentClaims(accountId: string, scope: string): Promise<AccountClaims> {
    const found = await findAccountWithClaims(db, accountId);
    const principal = found && principalOf(found);
    if (!principal) throw new Error('The account is no longer active');
    return claimsOf(personOf(principal), scope, () => Promise.resolve(found.schoolClaims));
  }

  return {
    /**
     * oidc-provider's `findAccount`: undefined unless the account exists and is active. What the same
     * request already knows is used rather than read again: `signedIn`, the person its Nexus session
     * was read for; `signedInHere`, the account it has just signed in (active, as that sign-in
     * found: nothing is read unless the claims are asked for, which a code's authorization does not
     * do); `readWithToken`, the account as it read it with its code or refresh token (null: not active).
     */
    async find(
      accountId: string,
      known: { signedIn?: Principal; signedInHere?: string; readWithToken?: ClaimsPerson | null } = {},
    ): Promise<OidcAccount | undefined> {
      if (!isUuid(accountId)) return undefined;
      const { signedIn, signedInHere, readWithToken } = known;
      if (signedIn?.account.id === accountId) return accountOf(personOf(signedIn), () => schoolClaimsOf(db, accountId));
      if (signedInHere === accountId) return { accountId, claims: (_use, scope) => currentClaims(accountId, scope) };
      if (readWithToken !== undefined) {
        if (readWithToken === null || readWithToken.id !== accountId) return undefined;
        const { schoolClaims, privileges, ...person } = readWithToken;
        return accountOf({ ...person, privileges: sortPrivileges(privileges) }, () => Promise.resolve(schoolClaims));
      }
      const found = await findAccountWithClaims(db, accountId);
      const principal = found && principalOf(found);
      if (!principal) return undefined;
      return accountOf(personOf(principal), () => Promise.resolve(found.schoolClaims));
    },
  };
}
