import type { Db, OutboxRow } from '../data/database.ts';
import {
  claimDueEmails,
  markEmailFailed,
  markEmailRetry,
  markEmailsSent,
  releaseEmails,
} from '../data/queries/outbox-queries.ts';
import { insertAuditEvent } from '../data/queries/audit-queries.ts';
import type { Clock } from '../domain/clock.ts';
import { PermanentMailError, type MailTransport } from './transports.ts';

export interface DeliveryOptions {
  from: string;
  maxAttempts: number;
  leaseSeconds: number;
  /** Rows claimed (and leased) per query; the next claim is made when half of them are left to send. */
  batchSize: number;
  /**
   * A pass stops claiming more rows after this many seconds of real time (the rows it holds are
   * still sent), so that stopping the delivery loop never waits for a whole backlog.
   */
  passSeconds?: number;
  /**
   * Once aborted, the pass claims nothing more: it finishes the sends under way, hands the rows it
   * has not started back unsent, and returns (a stopping server).
   */
  signal?: AbortSignal;
}

export const DEFAULT_DELIVERY: Omit<DeliveryOptions, 'from'> & { passSeconds: number } = {
  maxAttempts: 8,
  leaseSeconds: 120,
  // Each claim is a round trip and a commit: 200 rows a claim costs a third of 50 per email (bench:mail).
  batchSize: 200,
  passSeconds: 30,
};

/** Exponential backoff: 30 s, 1 min, 2 min … capped at one hour. */
export function retryDelaySeconds(attempt: number): number {
  return Math.min(3600, 30 * 2 ** Math.max(0, attempt - 1));
}

/**
 * How "sent" is written: the rows whose SMTP transaction completed are marked together, in one
 * statement, once `size` of them are waiting or the first of them has waited `waitMs` — whichever
 * comes first — and never more than one statement at a time. Each statement (a round trip and a
 * commit) costs about as much as marking a few dozen rows, so marking in groups is most of what
 * the outbox saves per email; `waitMs` bounds how long a delivered row may stay unmarked (a crash
 * in that window sends it again, with the same Message-ID, once its lease ends).
 */
export const SENT_GROUP = { size: 50, waitMs: 20 };

/** Writes "sent" for rows as their sends complete, in groups (`SENT_GROUP`), without holding up the sending. */
function sentMarker(db: Db, clock: Clock, group: { size: number; waitMs: number } = SENT_GROUP) {
  let waiting: string[] = [];
  /** When the oldest row in `waiting` was added (performance.now()). */
  let oldest = 0;
  let writing: Promise<void> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let flushing = false;
  let marked = 0;
  let failure: { error: unknown } | undefined;

  const write = async () => {
    try {
      const ids = waiting;
      waiting = [];
      await markEmailsSent(db, ids, clock.now());
      marked += ids.length;
    } catch (error) {
      failure = { error };
    } finally {
      writing = undefined;
      // The rows that completed while this statement ran: at once if a group is full (or the pass is ending), else when the oldest has waited long enough.
      if (!failure) next();
    }
  };
  const start = () => {
    clearTimeout(timer);
    timer = undefined;
    writing = write();
  };
  const next = () => {
    if (writing || waiting.length === 0) return;
    if (flushing || waiting.length >= group.size) return start();
    timer ??= setTimeout(start, Math.max(0, oldest + group.waitMs - performance.now()));
  };
  return {
    add(id: string) {
      // After a failed write nothing more is marked: those rows are sent again once their lease ends.
      if (failure) return;
      if (waiting.length === 0) oldest = performance.now();
      waiting.push(id);
      next();
    },
    /** Set once a write has failed: the sending stops, and the pass ends with that error. */
    failed: () => failure !== undefined,
    /** Writes every row added so far, at once, and waits for it; throws the write's error if one failed. */
    async settle(): Promise<number> {
      flushing = true;
      next();
      while (writing) await writing;
      clearTimeout(timer);
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
 * (SMTP: the pool's connections); the rows whose SMTP transaction completed are marked sent in
 * groups (`SENT_GROUP`), within `SENT_GROUP.waitMs` of the server's 250.
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
  /** Rows claimed but not to be sent by this pass (held too long, or the pass was stopped): handed back unsent. */
  const handBack: OutboxRow[] = [];
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

  /**
   * The next row to send; the next batch is claimed while half a batch is still waiting here. A
   * row is only handed to the transport while at least half of its lease is left: a row held
   * longer (a slow SMTP server) could be claimed by another worker once its lease ends, and sent
   * twice. Such rows, and the rows still waiting when the pass is stopped (`signal`), are handed
   * back at the end of the pass (`releaseEmails`): due again at once, for this process's next pass
   * or another worker, instead of when their lease ends. After either, nothing more is claimed.
   */
  const take = async (): Promise<OutboxRow | undefined> => {
    for (;;) {
      if (stopping()) return undefined;
      if (options.signal?.aborted) {
        exhausted = true;
        handBack.push(...queue.splice(0));
      }
      if (!exhausted && !claiming && queue.length <= options.batchSize / 2) claiming = claimMore();
      const row = queue.shift();
      if (row) {
        if (row.lease_until && row.lease_until.getTime() - clock.now().getTime() < (options.leaseSeconds * 1000) / 2) {
          exhausted = true;
          handBack.push(row);
          continue;
        }
        return row;
      }
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
  // A claim still under way when sending stopped early: let it finish (its rows wait for their lease,
  // or are handed back below if the pass was stopped).
  while (claiming) await claiming;
  if (options.signal?.aborted) handBack.push(...queue.splice(0));
  // The rows the workers did not get to (after a failure) keep their lease and are claimed again when it ends.
  const sent = await marker.settle();
  if (failure) throw failure.error;
  await releaseEmails(db, handBack);
  return sent;
}
