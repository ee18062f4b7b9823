import { subscribe, unsubscribe } from '../../data/queries/communication-queries.ts';
import { subscriptionsOf } from '../../data/queries/user-detail-queries.ts';
import { decide, type Actor } from '../../domain/access.ts';
import { NotFoundError, ValidationError } from '../../domain/errors.ts';
import { TOPICS, isTopic } from '../../domain/topics.ts';
import { audit, who } from '../audit.ts';
import type { ServiceDeps } from '../deps.ts';
import type { RequestContext } from '../request-context.ts';

/** Communication preferences (R25): only the account holder changes their own. */
export function createCommunicationsService({ db, clock }: ServiceDeps) {
  return {
    async mine(actor: Actor): Promise<string[]> {
      if (
        actor.kind !== 'account' ||
        decide(actor, 'my-account.communications', { accountId: actor.accountId }) !== 'allow'
      )
        throw new NotFoundError();
      return subscriptionsOf(db, actor.accountId);
    },

    async setMine(actor: Actor, topics: readonly string[], ctx: RequestContext): Promise<void> {
      if (
        actor.kind !== 'account' ||
        decide(actor, 'my-account.communications', { accountId: actor.accountId }) !== 'allow'
      )
        throw new NotFoundError();
      const wanted = [...new Set(topics)];
      if (wanted.some((t) => !isTopic(t))) throw new ValidationError({ topics: 'Select topics from the list' });
      const now = clock.now();
      await db.transaction().execute(async (trx) => {
        const before = await subscriptionsOf(trx, actor.accountId);
        const added = wanted.filter((t) => !before.includes(t));
        const removed = before.filter((t) => !wanted.includes(t));
        await unsubscribe(trx, actor.accountId, removed);
        await subscribe(trx, actor.accountId, added, now);
        if (added.length > 0 || removed.length > 0) {
          const order = (list: string[]) => TOPICS.map((t) => t.code).filter((c) => list.includes(c));
          await audit(trx, who(actor), ctx, now, {
            action: 'communications.changed',
            organisationId: actor.organisationId,
            subjectAccountId: actor.accountId,
            details: { topics: [order(before), order(wanted)] },
          });
        }
      });
    },
  };
}
