import type { Organisation } from '../../data/database.ts';
import { findOrganisationByCode, listOrganisations } from '../../data/queries/account-queries.ts';
import { authorise, isCentralSupport, type Actor } from '../../domain/access.ts';
import type { ServiceDeps } from '../deps.ts';

/**
 * The Local Authority central support is working in (issue 13, item 3): chosen once, kept across
 * the pages, shown on every page. Only central support has one; everyone else works in their own LA.
 */
export function createLaContextService(deps: Pick<ServiceDeps, 'db'>) {
  const { db } = deps;
  return {
    /** The LA a code names, for central support only; undefined for anyone else or an unknown code. */
    async organisation(actor: Actor, code: string): Promise<Organisation | undefined> {
      if (!isCentralSupport(actor) || !/^[0-9]{3}$/.test(code)) return undefined;
      const organisation = await findOrganisationByCode(db, code);
      return organisation?.kind === 'la' ? organisation : undefined;
    },

    /** Every LA, for the page that changes it. */
    async choices(actor: Actor) {
      authorise(actor, 'support.la-context');
      return (await listOrganisations(db))
        .filter((o) => o.la_code !== null)
        .sort((a, b) => a.name.localeCompare(b.name, 'en-GB'));
    },
  };
}
