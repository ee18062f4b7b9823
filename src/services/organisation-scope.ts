import type { Executor, Organisation } from '../data/database.ts';
import { findOrganisation, findOrganisationByCode } from '../data/queries/account-queries.ts';
import { authorise, type Action, type Actor } from '../domain/access.ts';
import { NotFoundError } from '../domain/errors.ts';

/**
 * The LA a page is about: the one named by `la` (a three-digit code), else the actor's own.
 * An unknown code is "not found". Pages that pick an LA all go through here.
 */
export async function organisationNamed(db: Executor, actor: Actor, la: unknown): Promise<Organisation> {
  const code = typeof la === 'string' && /^[0-9]{3}$/.test(la) ? la : undefined;
  // The system (command line) has no LA of its own: it names one.
  const organisation = code
    ? await findOrganisationByCode(db, code)
    : actor.kind === 'account'
      ? await findOrganisation(db, actor.organisationId)
      : undefined;
  if (!organisation)
    throw new NotFoundError(
      code ? `There is no Local Authority with the code ${code}` : 'There is no Local Authority with that code',
    );
  return organisation;
}

/** The same, once the access table allows `action` in that LA. */
export async function organisationInScope(
  db: Executor,
  actor: Actor,
  la: unknown,
  action: Action,
): Promise<Organisation> {
  const organisation = await organisationNamed(db, actor, la);
  authorise(actor, action, { organisationId: organisation.id });
  return organisation;
}
