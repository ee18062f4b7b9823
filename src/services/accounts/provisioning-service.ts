import { lockAccountById } from '../../data/queries/account-queries.ts';
import { authorise, type Actor } from '../../domain/access.ts';
import { who } from '../audit.ts';
import type { ServiceDeps } from '../deps.ts';
import type { RequestContext } from '../request-context.ts';
import {
  accountFor,
  archiveInTransaction,
  assertNotLastAdministrator,
  editDetailsInTransaction,
  lockAtVersion,
  restoreInTransaction,
  type DetailsInput,
} from './account-operations.ts';

/** What an identity system (SCIM PUT or PATCH) wants an account to become. */
export interface ProvisionedChange {
  /** Details to write; undefined when they are unchanged. */
  details?: DetailsInput;
  /** The account's status after the change. */
  active: boolean;
}

/**
 * Changes made by an identity system (R57): one request, one transaction. A replace that restores,
 * edits and archives is all or nothing — refused by a rule at any step, nothing is written.
 */
export function createProvisioningService(deps: ServiceDeps) {
  const { db, clock, config } = deps;

  return {
    async apply(
      actor: Actor,
      id: string,
      change: ProvisionedChange,
      ctx: RequestContext,
      expectedVersion?: number,
    ): Promise<void> {
      await accountFor(deps, actor, 'users.view', id);
      const now = clock.now();
      await db.transaction().execute(async (trx) => {
        let account = await lockAtVersion(trx, id, expectedVersion);
        const scope = { organisationId: account.organisation_id, accountId: account.id };
        const wasActive = account.status === 'active';
        // Restore before editing, edit before archiving, as the pages would in three steps.
        if (change.active && !wasActive) {
          authorise(actor, 'users.restore', scope);
          await restoreInTransaction(deps, trx, actor, account, ctx, now);
          account = (await lockAccountById(trx, id))!;
        }
        if (change.details) {
          authorise(actor, 'users.edit', scope);
          await editDetailsInTransaction(deps, trx, actor, account, change.details, ctx, now);
          account = (await lockAccountById(trx, id))!;
        }
        if (!change.active && wasActive) {
          authorise(actor, 'users.archive', scope);
          await assertNotLastAdministrator(trx, actor, account, 'archive this account');
          await archiveInTransaction(trx, account, 'provisioning', who(actor), ctx, now, config);
        }
      });
    },
  };
}
