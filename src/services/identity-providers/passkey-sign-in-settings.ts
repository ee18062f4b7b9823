import { setPasskeySignIn } from '../../data/queries/passkey-queries.ts';
import type { Actor } from '../../domain/access.ts';
import { NotFoundError, ValidationError } from '../../domain/errors.ts';
import { audit, who } from '../audit.ts';
import type { ServiceDeps } from '../deps.ts';
import { organisationInScope } from '../organisation-scope.ts';
import type { RequestContext } from '../request-context.ts';

export const PASSKEY_SIGN_IN_CHOICE = 'Select whether staff may sign in with a passkey alone';

/**
 * Whether an LA's staff may sign in with a passkey alone (R65): its administrators choose, on the
 * sign-in settings page, under the same access rule as the LA's own provider. Off until chosen.
 */
export function createPasskeySignInSettings({ db, clock }: ServiceDeps) {
  return {
    /** Saves the choice; false when it was already so (nothing written, nothing audited). */
    async save(actor: Actor, la: unknown, choice: unknown, ctx: RequestContext): Promise<boolean> {
      const organisation = await organisationInScope(db, actor, la, 'identity-provider.manage');
      if (organisation.kind !== 'la') throw new NotFoundError();
      if (choice !== 'yes' && choice !== 'no') throw new ValidationError({ passkeySignIn: PASSKEY_SIGN_IN_CHOICE });
      const allowed = choice === 'yes';
      return db.transaction().execute(async (trx) => {
        if (!(await setPasskeySignIn(trx, organisation.id, allowed))) return false;
        await audit(trx, who(actor), ctx, clock.now(), {
          action: 'passkey-sign-in.changed',
          organisationId: organisation.id,
          subjectAccountId: null,
          details: { allowed },
        });
        return true;
      });
    },
  };
}
