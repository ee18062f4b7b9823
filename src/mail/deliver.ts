import type { Db, OutboxRow } from '../data/database.ts';
import { claimDueEmails, markEmailFailed, markEmailRetry, markEmailsSent } from '../data/queries/outbox-queries.ts';
import { insertAuditEvent } from '../data/queries/audit-queries.ts';
import type { Clock } from '../domain/clock.ts';
import { PermanentMailError, type MailTransport } from './transports.ts';

export interface DeliveryOptions {
  from: string;
  maxAttempts: number;
  leaseSeconds: number;
  /** Rows claimed (and leased) per query. */
  batchSize: number;
  /**
   * A pass stops claiming more rows after this many seconds of real time (the rows it holds are
   * still sent), so that stopping the delivery loop never waits for a whole backlog.
   */
  passSeconds?: number;
  /** Once aborted, the pass claims nothing more: it finishes the emails it holds and returns (a stopping server). */
  signal?: AbortSignal;
}

export const DEFAULT_DELIVERY: Omit<DeliveryOptions, 'from'> & { passSeconds: number } = {
  maxAttempts: 8,
  leaseSeconds: 120,
  batchSize: 50,
  passSeconds: 30,
};

/** Exponential backoff: 30 s, 1 min, 2 min … capped at one hour. */
export function retryDelaySeconds(attempt: number): number {
  return Math.min(3600, 30 * 2 ** Math.max(0, attempt - 1));
}

/**
 * Writes "sent" for rows as their sends complete, without holding up the sending: a row is marked
 * at once when the database is free, and the rows that completed while a write ran are marked
 * together, in one statement (one commit for many emails instead of one each). So a row is
 * marked within moments of the SMTP server's 250.
 */
function sentMarker(db: Db, clock: Clock) {
  let waiting: string[] = [];
  let writing: Promise<void> | undefined;
  let marked = 0;
  let failure: { error: unknown } | undefined;
  const write = async () => {
    try {
      while (waiting.length > 0 && !failure) {
        const ids = waiting;
        waiting = [];
        const now = clock.now();
        await markEmailsSent(db, ids, now);
        marked += ids.length;
      }
    } catch (error) {
      failure = { error };
    } finally {
      // Cleared in the same turn as the last check of `waiting`: a row added after it starts a new write.
      writing = undefined;
    }
  };
  return {
    add(id: string) {
      // After a failed write nothing more is marked: those rows are sent again once their lease ends.
      if (failure) return;
      waiting.push(id);
      writing ??= write();
    },
    /** Set once a write has failed: the sending stops, and the pass ends with that error. */
    failed: () => failure !== undefined,
    /** Waits for every row added so far to be written; throws the write's error if one failed. */
    async settle(): Promise<number> {
      while (writing) await writing;
      if (failure) throw failure.error;
      return marked;
    },
  };
}

/**
 * Delivers what is due; returns how many were sent. The caller schedules the next pass.
 *
 * Rows are claimed `batchSize` at a time, each claim with its own lease, and the next claim is made
 * while the rows already claimed are being sent, until a claim comes back short (nothing more is
 * due) or the pass has run `passSeconds`. Up to `transport.concurrency` emails are sent at once
 * (SMTP: the pool's connections), each marked sent as soon as its SMTP transaction completes.
 * A temporary failure schedules a retry with backoff; a permanent one (or the last attempt)
 * marks the row failed and audits it. If the database fails, sending stops and the error is thrown.
 */
export async function deliverDueEmails(
  db: Db,
  clock: Clock,
  transport: MailTransport,
  options: DeliveryOptions,
): Promise<number> {
  const started = performance.now();
  const passMs = (options.passSeconds ?? DEFAULT_DELIVERY.passSeconds) * 1000;
  const concurrency = Math.max(1, Math.floor(transport.concurrency ?? 1));
  const marker = sentMarker(db, clock);
  const queue: OutboxRow[] = [];
  let exhausted = false;
  let claiming: Promise<void> | undefined;
  let failure: { error: unknown } | undefined;
  const stopping = () => failure !== undefined || marker.failed();

  const claimMore = async () => {
    try {
      const now = clock.now();
      const rows = await claimDueEmails(
        db,
        now,
        new Date(now.getTime() + options.leaseSeconds * 1000),
        options.batchSize,
      );
      queue.push(...rows);
      if (rows.length < options.batchSize || performance.now() - started >= passMs || options.signal?.aborted)
        exhausted = true;
    } catch (error) {
      failure ??= { error };
      exhausted = true;
    } finally {
      claiming = undefined;
    }
  };

  /** The next row to send; the next batch is claimed while half a batch is still waiting here. */
  const take = async (): Promise<OutboxRow | undefined> => {
    for (;;) {
      if (stopping()) return undefined;
      if (!exhausted && !claiming && queue.length <= options.batchSize / 2) claiming = claimMore();
      const row = queue.shift();
      if (row) return row;
      if (!claiming) return undefined;
      await claiming;
    }
  };

  const deliverOne = async (row: OutboxRow) => {
    try {
      await transport.send(row, options.from);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (error instanceof PermanentMailError || row.attempts >= options.maxAttempts) {
        // A permanent failure is audited so that central support sees it (Sent email page, audit log).
        await db.transaction().execute(async (trx) => {
          await markEmailFailed(trx, row.id, reason);
          await insertAuditEvent(trx, {
            occurredAt: clock.now(),
            action: 'email.failed',
            actorAccountId: null,
            actorLabel: 'system',
            organisationId: row.organisation_id,
            subjectAccountId: row.account_id,
            ip: null,
            requestId: null,
            details: { template: row.template, attempts: row.attempts, reason: reason.slice(0, 300) },
          });
        });
      } else {
        await markEmailRetry(
          db,
          row.id,
          new Date(clock.now().getTime() + retryDelaySeconds(row.attempts) * 1000),
          reason,
        );
      }
      return;
    }
    marker.add(row.id);
  };

  const worker = async () => {
    for (let row = await take(); row; row = await take()) {
      try {
        await deliverOne(row);
      } catch (error) {
        failure ??= { error };
      }
    }
  };

  await Promise.all(Array.from({ length: concurrency }, () => worker()));
  // A claim still under way when sending stopped early: let it finish (its rows wait for their lease).
  while (claiming) await claiming;
  // The rows the workers did not get to (after a failure) keep their lease and are claimed again when it ends.
  const sent = await marker.settle();
  if (failure) throw failure.error;
  return sent;
}
