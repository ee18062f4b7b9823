import type { Account, Executor, Organisation } from '../../data/database.ts';
import { findAccountWithOrganisation } from '../../data/queries/account-queries.ts';
import type { Actor } from '../../domain/access.ts';
import { sortPrivileges } from '../../domain/privileges.ts';

export interface Principal {
  readonly actor: Extract<Actor, { kind: 'account' }>;
  readonly account: Account;
  readonly organisation: Organisation;
}

/**
 * The acting person as they are now: an active account with the privileges it holds at this
 * moment. Sessions and API tokens both resolve through here, so an archive or a removed
 * privilege stops the very next request of either (R18).
 */
export async function loadPrincipal(db: Executor, accountId: string): Promise<Principal | undefined> {
  // One round trip: this runs on every API call.
  const found = await findAccountWithOrganisation(db, accountId);
  return found && principalOf(found);
}

/** The principal of an account read with its organisation and privileges; undefined unless active. */
export function principalOf(found: {
  account: Account;
  organisation: Organisation;
  privileges: string[];
}): Principal | undefined {
  if (found.account.status !== 'active') return undefined;
  const { account, organisation, privileges } = found;
  return {
    actor: {
      kind: 'account',
      accountId: account.id,
      organisationId: account.organisation_id,
      organisationKind: organisation.kind,
      privileges: new Set(sortPrivileges(privileges)),
      label: account.username,
    },
    account,
    organisation,
  };
}
