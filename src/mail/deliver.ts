import type { Db } from '../data/database.ts';
import { claimDueEmails, markEmailFailed, markEmailRetry, markEmailSent } from '../data/queries/outbox-queries.ts';
import { insertAuditEvent } from '../data/queries/audit-queries.ts';
import type { Clock } from '../domain/clock.ts';
import { PermanentMailError, type MailTransport } from './transports.ts';

export interface DeliveryOptions {
  from: string;
  maxAttempts: number;
  leaseSeconds: number;
  batchSize: number;
}

export const DEFAULT_DELIVERY: Omit<DeliveryOptions, 'from'> = { maxAttempts: 8, leaseSeconds: 120, batchSize: 20 };

/** Exponential backoff: 30 s, 1 min, 2 min … capped at one hour. */
export function retryDelaySeconds(attempt: number): number {
  return Math.min(3600, 30 * 2 ** Math.max(0, attempt - 1));
}

/** Delivers what is due once; returns how many were sent. The caller schedules the next pass. */
export async function deliverDueEmails(db: Db, clock: Clock, transport: MailTransport, options: DeliveryOptions): Promise<number> {
  const now = clock.now();
  const rows = await claimDueEmails(db, now, new Date(now.getTime() + options.leaseSeconds * 1000), options.batchSize);
  let sent = 0;
  for (const row of rows) {
    try {
      await transport.send(row, options.from);
      await markEmailSent(db, row.id, clock.now());
      sent++;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (error instanceof PermanentMailError || row.attempts >= options.maxAttempts) {
        // A permanent failure is audited so that central support sees it (Sent email page, audit log).
        await db.transaction().execute(async (trx) => {
          await markEmailFailed(trx, row.id, reason);
          await insertAuditEvent(trx, {
            occurredAt: clock.now(), action: 'email.failed', actorAccountId: null, actorLabel: 'system',
            organisationId: row.organisation_id, subjectAccountId: row.account_id, ip: null, requestId: null,
            details: { template: row.template, attempts: row.attempts, reason: reason.slice(0, 300) },
          });
        });
      } else {
        await markEmailRetry(db, row.id, new Date(clock.now().getTime() + retryDelaySeconds(row.attempts) * 1000), reason);
      }
    }
  }
  return sent;
}
