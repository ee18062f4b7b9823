import {
  lockAccountById,
  findAccountByUsername,
  findDeprovisioned,
  setDeprovisioned,
  setUsername,
} from '../../data/queries/account-queries.ts';
import { isUniqueViolation } from '../../data/unique-violation.ts';
import type { Account, Executor } from '../../data/database.ts';
import { authorise, type Actor } from '../../domain/access.ts';
import { USERNAME_TAKEN } from '../../domain/account-fields.ts';
import { NotFoundError, ValidationError } from '../../domain/errors.ts';
import { usernameProblem } from '../../domain/usernames.ts';
import { audit, who } from '../audit.ts';
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
  /** A new username (Entra ID renames when a UPN changes), in the case given; undefined: unchanged. */
  username?: string;
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

  /** R7 under a new name: valid, and no other account holds it in any case. Sessions stay. */
  async function rename(
    trx: Executor,
    actor: Actor,
    account: Account,
    username: string,
    ctx: RequestContext,
    now: Date,
  ) {
    const problem = usernameProblem(username);
    if (problem) throw new ValidationError({ username: problem });
    const other = await findAccountByUsername(trx, username.trim());
    if (other && other.id !== account.id) throw new ValidationError({ username: USERNAME_TAKEN });
    await setUsername(trx, account.id, username.trim(), now);
    await audit(trx, who(actor), ctx, now, {
      action: 'account.details-changed',
      organisationId: account.organisation_id,
      subjectAccountId: account.id,
      details: { changes: { username: [account.username, username.trim()] } },
    });
  }

  async function applyInTransaction(
    trx: Executor,
    actor: Actor,
    start: Account,
    change: ProvisionedChange,
    ctx: RequestContext,
    now: Date,
  ): Promise<void> {
    let account = start;
    const scope = { organisationId: account.organisation_id, accountId: account.id };
    const wasActive = account.status === 'active';
    // Restore before editing, edit before archiving, as the pages would in three steps.
    if (change.active && !wasActive) {
      authorise(actor, 'users.restore', scope);
      await restoreInTransaction(deps, trx, actor, account, ctx, now);
      account = (await lockAccountById(trx, account.id))!;
    }
    if (change.username !== undefined && change.username.trim() !== account.username) {
      authorise(actor, 'users.edit', scope);
      await rename(trx, actor, account, change.username, ctx, now);
      account = (await lockAccountById(trx, account.id))!;
    }
    if (change.details) {
      authorise(actor, 'users.edit', scope);
      await editDetailsInTransaction(deps, trx, actor, account, change.details, ctx, now);
      account = (await lockAccountById(trx, account.id))!;
    }
    if (!change.active && wasActive) {
      authorise(actor, 'users.archive', scope);
      await assertNotLastAdministrator(trx, actor, account, 'archive this account');
      await archiveInTransaction(trx, account, 'provisioning', who(actor), ctx, now, config);
    }
  }

  /** Two renames racing for one username: the unique index decides, as for creation. */
  async function conflictsAsTaken<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (isUniqueViolation(error, 'accounts_username')) throw new ValidationError({ username: USERNAME_TAKEN });
      throw error;
    }
  }

  return {
    /** The LA's account of this username that its identity system deleted, if any (a re-hire restores it). */
    async deprovisionedAccountId(
      actor: Actor,
      organisationId: number,
      username: string,
      externalId: string | null,
    ): Promise<string | undefined> {
      authorise(actor, 'users.list', { organisationId });
      return (await findDeprovisioned(db, organisationId, username.trim(), externalId?.trim() || null))?.id;
    },

    async apply(
      actor: Actor,
      id: string,
      change: ProvisionedChange,
      ctx: RequestContext,
      expectedVersion?: number,
    ): Promise<void> {
      await accountFor(deps, actor, 'users.view', id);
      const now = clock.now();
      await conflictsAsTaken(() =>
        db.transaction().execute(async (trx) => {
          const account = await lockAtVersion(trx, id, expectedVersion);
          if (account.deprovisioned_at !== null) throw new NotFoundError();
          await applyInTransaction(trx, actor, account, change, ctx, now);
        }),
      );
    },

    /**
     * SCIM DELETE in the default archive mode (RFC 7644 §3.6): archived with reason provisioning,
     * restorable by the LA until the automatic retention deletes it, and gone for SCIM from now on.
     */
    async deprovision(actor: Actor, id: string, ctx: RequestContext): Promise<void> {
      await accountFor(deps, actor, 'users.view', id);
      const now = clock.now();
      await db.transaction().execute(async (trx) => {
        const account = await lockAtVersion(trx, id);
        if (account.deprovisioned_at !== null) throw new NotFoundError();
        authorise(actor, 'users.archive', { organisationId: account.organisation_id, accountId: account.id });
        if (account.status === 'active') {
          await assertNotLastAdministrator(trx, actor, account, 'archive this account');
          await archiveInTransaction(trx, account, 'provisioning', who(actor), ctx, now, config);
        }
        await setDeprovisioned(trx, account.id, now, now);
        await audit(trx, who(actor), ctx, now, {
          action: 'account.deprovisioned',
          organisationId: account.organisation_id,
          subjectAccountId: account.id,
          details: { wasActive: account.status === 'active' },
        });
      });
    },

    /**
     * A re-hire: the identity system creates a userName it deleted before. The archived account
     * comes back (restored unless the request says inactive) with the details sent, instead of a
     * second account or a 409.
     */
    async reprovision(actor: Actor, id: string, change: ProvisionedChange, ctx: RequestContext): Promise<void> {
      await accountFor(deps, actor, 'users.view', id);
      const now = clock.now();
      await conflictsAsTaken(() =>
        db.transaction().execute(async (trx) => {
          const account = await lockAtVersion(trx, id);
          if (account.deprovisioned_at === null || account.status !== 'archived') throw new NotFoundError();
          authorise(actor, 'users.restore', { organisationId: account.organisation_id, accountId: account.id });
          await audit(trx, who(actor), ctx, now, {
            action: 'account.reprovisioned',
            organisationId: account.organisation_id,
            subjectAccountId: account.id,
            details: { restored: change.active },
          });
          // Kept archived on request, it is still the identity system's again.
          if (!change.active) await setDeprovisioned(trx, account.id, null, now);
          await applyInTransaction(trx, actor, (await lockAccountById(trx, id))!, change, ctx, now);
        }),
      );
    },
  };
}
