import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.ts';
import { connect, type DatabaseHandle } from '../../src/data/connect.ts';
import type { Db } from '../../src/data/database.ts';
import { addDays, addMonthsUtc } from '../../src/domain/calendar.ts';
import { ManualClock, type Clock } from '../../src/domain/clock.ts';

import { DEFAULT_DELIVERY, deliverDueEmails, retryDelaySeconds, type DeliveryOptions } from '../../src/mail/deliver.ts';
import { smtpTransport, type MailTransport } from '../../src/mail/transports.ts';
import { createServices, type Services } from '../../src/services/index.ts';
import { buildServer } from '../../src/http/server.ts';
import { createAccount, createOrganisation } from '../support/fixtures.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';
import { testConfig } from '../support/test-app.ts';
import { createTestDatabase } from '../support/test-db.ts';

/**
 * "Exactly once" (R43, issue 4): lifecycle emails go through the outbox to a real SMTP server
 * (smtp-server, in this process) and arrive once — after a second run, after SIGKILLs at random
 * moments, with three workers at once, and across an SMTP outage.
 *
 * The cases that need real concurrency between processes run only on PostgreSQL (TEST_DATABASE_URL);
 * the in-process ones run on whichever database the suite uses.
 */

const POSTGRES = Boolean(process.env.TEST_DATABASE_URL);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SUPPORT_EMAIL = 'help@ncer.example';
/** The job runs "as of" yesterday 02:00 UTC: in the past for the child processes, which deliver on the real clock. */
const NOW = (() => {
  const today = new Date();
  return new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - 1, 2));
})();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// Seeding: accounts due for every kind of lifecycle email, and the dedup keys they must produce.
// ---------------------------------------------------------------------------------------------

interface Orgs {
  camden: number;
  barnet: number;
}

interface Expected {
  keys: Set<string>;
  /** Accounts the run must archive (inactivity or access end). */
  archived: Set<string>;
  /** Accounts the run must warn, with the stage. */
  warned: Map<string, string>;
}

/**
 * For each `scale`: two accounts due for each warning, one found already 20 months inactive
 * (final warning, R37), two due for archiving (warned 20 days ago). Once: an administrator at
 * 15 months (alert to the other administrator, R38), the sole administrator of another LA due
 * for archiving (alert to central support), and an access end date reached (R40: the user and
 * both administrators are told).
 */
async function seedDue(db: Db, config: Config, orgs: Orgs, now: Date, scale = 1): Promise<Expected> {
  const expected: Expected = { keys: new Set(), archived: new Set(), warned: new Map() };
  let n = 0;
  const account = async (
    organisationId: number,
    inactiveMonths: number,
    userType: 'la_admin' | 'la_officer' = 'la_officer',
    extraDays = 1,
  ) => {
    const lastSignInAt = addDays(addMonthsUtc(now, -inactiveMonths), -extraDays);
    const username = `${userType === 'la_admin' ? 'admin' : 'user'}.${++n}`;
    const created = await createAccount(db, config.secretKey, {
      organisationId,
      username,
      userType,
      password: null,
      enrolled: false,
      lastSignInAt,
      createdAt: addMonthsUtc(lastSignInAt, -12),
      email: `${username}@la${organisationId}.gov.uk`,
      firstName: 'Test',
      lastName: username,
    });
    return { id: created.id, period: lastSignInAt.toISOString() };
  };
  const warn = (a: { id: string; period: string }, stage: string) => {
    expected.warned.set(a.id, stage);
    expected.keys.add(`lifecycle:${a.id}:${a.period}:${stage}`);
  };
  const warnedEarlier = async (a: { id: string; period: string }) => {
    await db
      .insertInto('lifecycle_notices')
      .values({ account_id: a.id, period_start: new Date(a.period), stage: 'warning_3', sent_at: addDays(now, -20) })
      .execute();
    expected.archived.add(a.id);
    expected.keys.add(`lifecycle:${a.id}:${a.period}:archived`);
  };

  const alice = await account(orgs.camden, 0, 'la_admin', 0);
  for (let s = 0; s < scale; s++) {
    for (let i = 0; i < 2; i++) warn(await account(orgs.camden, 15), 'warning_1');
    for (let i = 0; i < 2; i++) warn(await account(orgs.camden, 16), 'warning_2');
    for (let i = 0; i < 2; i++) warn(await account(orgs.camden, 17), 'warning_3');
    warn(await account(orgs.camden, 20), 'warning_3');
    for (let i = 0; i < 2; i++) await warnedEarlier(await account(orgs.camden, 18));
  }
  const dormantAdmin = await account(orgs.camden, 15, 'la_admin');
  warn(dormantAdmin, 'warning_1');
  expected.keys.add(`admin-alert:${dormantAdmin.id}:${dormantAdmin.period}:warning:${alice.id}`);

  const soleAdmin = await account(orgs.barnet, 18, 'la_admin');
  await warnedEarlier(soleAdmin);
  expected.keys.add(`admin-alert:${soleAdmin.id}:${soleAdmin.period}:archived:support`);

  const leaver = await account(orgs.camden, 1);
  await db
    .updateTable('accounts')
    .set({ access_end_date: now.toISOString().slice(0, 10) })
    .where('id', '=', leaver.id)
    .execute();
  expected.archived.add(leaver.id);
  expected.keys.add(`lifecycle:${leaver.id}:${leaver.period}:archived`);
  for (const admin of [alice, dormantAdmin])
    expected.keys.add(`access-ended:${leaver.id}:${leaver.period}:${admin.id}`);
  return expected;
}

async function resetData(db: Db): Promise<void> {
  await db.deleteFrom('email_outbox').execute();
  await db.deleteFrom('audit_events').execute();
  await db.deleteFrom('accounts').execute();
}

// ---------------------------------------------------------------------------------------------
// What arrived: every due email exactly once, deduplicated by key and Message-ID.
// ---------------------------------------------------------------------------------------------

interface Arrivals {
  /** Messages received, counting a redelivery after a crash. */
  raw: number;
  /** Messages beyond the first per deduplication key. */
  rawDuplicates: number;
}

/**
 * Checks the sink against the expected keys and the outbox: each expected key arrived, no other
 * key did, every message of a key carries that key's one outbox Message-ID and recipient, and
 * every outbox row is sent. Returns how many raw (same key, same Message-ID) redeliveries there were.
 */
async function expectExactlyOnce(db: Db, sink: SmtpSink, expected: Expected, label: string): Promise<Arrivals> {
  const outbox = await db
    .selectFrom('email_outbox')
    .select(['dedup_key', 'message_id', 'to_address', 'status'])
    .execute();
  expect(new Set(outbox.map((r) => r.dedup_key)), `${label}: outbox keys`).toEqual(expected.keys);
  expect(
    outbox.filter((r) => r.status !== 'sent').map((r) => `${r.dedup_key}=${r.status}`),
    `${label}: unsent rows`,
  ).toEqual([]);

  const byKey = new Map(outbox.map((r) => [r.dedup_key, r]));
  const received = new Map<string, Set<string>>();
  for (const m of sink.messages) {
    expect(m.dedupKey, `${label}: a message without a dedup key`).toBeDefined();
    const row = byKey.get(m.dedupKey!);
    expect(row, `${label}: unexpected key ${m.dedupKey}`).toBeDefined();
    expect(m.recipients, `${label}: envelope of ${m.dedupKey}`).toEqual([row!.to_address]);
    const ids = received.get(m.dedupKey!) ?? new Set<string>();
    ids.add(m.messageId ?? '(none)');
    received.set(m.dedupKey!, ids);
  }
  expect(new Set(received.keys()), `${label}: keys received`).toEqual(expected.keys);
  for (const [key, ids] of received) {
    // One Message-ID per key: a redelivery is recognisably the same message, never a second one.
    expect([...ids], `${label}: Message-IDs of ${key}`).toEqual([byKey.get(key)!.message_id]);
  }
  return { raw: sink.messages.length, rawDuplicates: sink.messages.length - received.size };
}

/** Every archive happened once (one `account.archived` event), every warning once, and nothing else was archived. */
async function expectActionsOnce(db: Db, expected: Expected, label: string): Promise<void> {
  const events = await db
    .selectFrom('audit_events')
    .select(['action', 'subject_account_id'])
    .where('action', 'in', ['account.archived', 'lifecycle.warning-sent'])
    .execute();
  const count = (action: string) => {
    const counts = new Map<string, number>();
    for (const e of events)
      if (e.action === action) counts.set(e.subject_account_id!, (counts.get(e.subject_account_id!) ?? 0) + 1);
    return counts;
  };
  expect(count('account.archived'), `${label}: archives per account`).toEqual(
    new Map([...expected.archived].map((id) => [id, 1])),
  );
  expect(count('lifecycle.warning-sent'), `${label}: warnings per account`).toEqual(
    new Map([...expected.warned.keys()].map((id) => [id, 1])),
  );
  const archivedNow = await db.selectFrom('accounts').select('id').where('status', '=', 'archived').execute();
  expect(new Set(archivedNow.map((a) => a.id)), `${label}: archived accounts`).toEqual(expected.archived);
  const notices = await db
    .selectFrom('lifecycle_notices')
    .select(['account_id', 'stage'])
    .where('stage', 'like', 'warning_%')
    .where('sent_at', '=', NOW)
    .execute();
  expect(new Map(notices.map((r) => [r.account_id, r.stage])), `${label}: warning notices`).toEqual(expected.warned);
}

async function deliverAll(db: Db, clock: Clock, transport: MailTransport, options: DeliveryOptions): Promise<number> {
  let total = 0;
  for (;;) {
    const sent = await deliverDueEmails(db, clock, transport, options);
    if (sent === 0) return total;
    total += sent;
  }
}

// ---------------------------------------------------------------------------------------------
// In-process cases: PGlite by default, PostgreSQL when TEST_DATABASE_URL is set.
// ---------------------------------------------------------------------------------------------

let handle: DatabaseHandle & { url?: string };
let db: Db;
let config: Config;
let clock: ManualClock;
let services: Services;
let app: FastifyInstance;
let sink: SmtpSink;
let orgs: Orgs;
let options: DeliveryOptions;

beforeAll(async () => {
  handle = await createTestDatabase();
  db = handle.db;
  sink = await startSmtpSink();
  config = testConfig({ SUPPORT_EMAIL, SMTP_URL: sink.url });
  clock = new ManualClock(new Date(NOW.getTime() + 60_000));
  services = createServices({ db, clock, config, databaseKind: handle.kind });
  app = await buildServer(services);
  await app.ready();
  orgs = {
    camden: await createOrganisation(db, '202', 'Camden'),
    barnet: await createOrganisation(db, '302', 'Barnet'),
  };
  await createOrganisation(db, 'central', 'NCER Support');
  options = { ...DEFAULT_DELIVERY, from: config.mailFrom };
});

afterAll(async () => {
  await app?.close();
  await sink?.close();
  await handle?.close();
});

beforeEach(async () => {
  await resetData(db);
  await sink.setMode('accept');
  sink.setDelay(0);
  sink.clear();
  clock.set(new Date(NOW.getTime() + 60_000));
});

describe('exactly once, in process', () => {
  it('(a) running the job twice, and again the next night, sends nothing new over SMTP', async () => {
    const expected = await seedDue(db, config, orgs, NOW);
    const transport = smtpTransport(sink.url);
    try {
      const first = await services.lifecycle.run({ now: NOW });
      expect(first.failures).toEqual([]);
      expect(first.counts.emails).toBe(expected.keys.size);
      expect(await deliverAll(db, clock, transport, options)).toBe(expected.keys.size);
      const arrivals = await expectExactlyOnce(db, sink, expected, 'first run');
      expect(arrivals.rawDuplicates).toBe(0);
      const snapshot = sink.messages.map((m) => [m.dedupKey, m.messageId]);

      const second = await services.lifecycle.run({ now: NOW });
      expect(second.items).toEqual([]);
      expect(second.counts.emails).toBe(0);
      clock.advance(3_600_000);
      expect(await deliverAll(db, clock, transport, options)).toBe(0);

      const nextNight = await services.lifecycle.run({ now: addDays(NOW, 1) });
      expect(nextNight.items).toEqual([]);
      clock.advance(86_400_000);
      expect(await deliverAll(db, clock, transport, options)).toBe(0);

      expect(sink.messages.map((m) => [m.dedupKey, m.messageId])).toEqual(snapshot);
      await expectExactlyOnce(db, sink, expected, 'after the second run');
      await expectActionsOnce(db, expected, 'after the second run');
    } finally {
      transport.close();
    }
  });

  it('(c) three workers running the job and delivery at the same time, each with its own connections: no duplicates, nothing missed', async () => {
    const expected = await seedDue(db, config, orgs, NOW, 3);
    // On PostgreSQL each worker has its own pool; PGlite has one connection, so they interleave on it.
    const handles = handle.url
      ? await Promise.all([1, 2, 3].map(() => connect({ databaseUrl: handle.url, poolSize: 3 })))
      : [];
    const workers = [0, 1, 2].map((i) => {
      const workerDb = handles[i]?.db ?? db;
      return {
        db: workerDb,
        services: createServices({ db: workerDb, clock, config, databaseKind: handle.kind }),
        transport: smtpTransport(sink.url),
      };
    });
    try {
      const results = await Promise.all(
        workers.map(async (w) => {
          const run = await w.services.lifecycle.run({ now: NOW });
          let sent = 0;
          for (;;) {
            sent += await deliverDueEmails(w.db, clock, w.transport, { ...options, batchSize: 4 });
            const { pending } = await w.db
              .selectFrom('email_outbox')
              .select((eb) => eb.fn.countAll<string>().as('pending'))
              .where('status', '=', 'pending')
              .executeTakeFirstOrThrow();
            if (Number(pending) === 0) break;
            await sleep(10);
          }
          return { run, sent };
        }),
      );
      expect(results.flatMap((r) => r.run.failures)).toEqual([]);
      expect(results.reduce((sum, r) => sum + r.run.counts.emails, 0)).toBe(expected.keys.size);
      expect(results.reduce((sum, r) => sum + r.sent, 0)).toBe(expected.keys.size);
      const arrivals = await expectExactlyOnce(db, sink, expected, 'three workers');
      expect(arrivals.rawDuplicates).toBe(0);
      await expectActionsOnce(db, expected, 'three workers');
    } finally {
      for (const w of workers) w.transport.close();
      await Promise.all(handles.map((h) => h.close()));
    }
  });

  it('(d) SMTP refusing connections, then answering 421, then recovering: every email delivered once, none lost, and the pages keep working meanwhile', async () => {
    const expected = await seedDue(db, config, orgs, NOW);
    expect((await services.lifecycle.run({ now: NOW })).counts.emails).toBe(expected.keys.size);
    const total = expected.keys.size;
    const transport = smtpTransport(sink.url);
    const pagesWork = async () => {
      const signIn = await app.inject({ method: 'GET', url: '/sign-in' });
      expect(signIn.statusCode).toBe(200);
      expect(signIn.body).toContain('Sign in');
      const health = await app.inject({ method: 'GET', url: '/health' });
      expect(health.statusCode).toBe(200);
    };
    const rows = () =>
      db
        .selectFrom('email_outbox')
        .select(['dedup_key', 'status', 'attempts', 'last_error', 'next_attempt_at'])
        .execute();
    try {
      // 1. Nobody listening: every attempt fails with a temporary error and is rescheduled.
      await sink.setMode('refuse');
      const start = clock.now();
      expect(await deliverDueEmails(db, clock, transport, { ...options, batchSize: 100 })).toBe(0);
      await pagesWork();
      for (const r of await rows()) {
        expect(r).toMatchObject({ status: 'pending', attempts: 1, last_error: expect.stringMatching(/ECONNREFUSED/) });
        expect(r.next_attempt_at.getTime()).toBe(start.getTime() + retryDelaySeconds(1) * 1000);
      }
      // Before the backoff has passed nothing is tried, even once the server is back.
      await sink.setMode('busy');
      const connectionsBefore = sink.connections;
      clock.advance(retryDelaySeconds(1) * 1000 - 1000);
      expect(await deliverDueEmails(db, clock, transport, { ...options, batchSize: 100 })).toBe(0);
      expect(sink.connections).toBe(connectionsBefore);

      // 2. The server answers 421 — and hangs first: delivery is stuck inside SMTP while pages are served.
      clock.advance(1000);
      const release = sink.hold();
      let settled = false;
      const stuck = deliverDueEmails(db, clock, transport, { ...options, batchSize: 100 }).finally(() => {
        settled = true;
      });
      for (let i = 0; i < 1000 && sink.connections === connectionsBefore; i++) await sleep(10);
      expect(sink.connections).toBeGreaterThan(connectionsBefore);
      await pagesWork();
      expect(settled).toBe(false);
      release();
      expect(await stuck).toBe(0);
      expect(sink.rejections.filter((r) => r.code === 421).length).toBeGreaterThanOrEqual(total);
      for (const r of await rows())
        expect(r).toMatchObject({ status: 'pending', attempts: 2, last_error: expect.stringMatching(/421/) });
      expect(sink.messages).toEqual([]);

      // 3. Recovered: after the (longer) backoff, everything goes, once.
      await sink.setMode('accept');
      clock.advance(retryDelaySeconds(2) * 1000);
      expect(await deliverAll(db, clock, transport, { ...options, batchSize: 100 })).toBe(total);
      await pagesWork();
      for (const r of await rows()) expect(r).toMatchObject({ status: 'sent', attempts: 3 });
      const arrivals = await expectExactlyOnce(db, sink, expected, 'after the outage');
      expect(arrivals.rawDuplicates).toBe(0);
      clock.advance(86_400_000);
      expect(await deliverAll(db, clock, transport, options)).toBe(0);
      expect(sink.messages).toHaveLength(total);
    } finally {
      transport.close();
    }
  });

  it('(d) a 5xx for one recipient fails that email for good, audited; the others are delivered', async () => {
    const expected = await seedDue(db, config, orgs, NOW);
    await services.lifecycle.run({ now: NOW });
    sink.rejectRecipient(SUPPORT_EMAIL, 550);
    const transport = smtpTransport(sink.url);
    try {
      expect(await deliverAll(db, clock, transport, options)).toBe(expected.keys.size - 1);
      clock.advance(86_400_000);
      expect(await deliverAll(db, clock, transport, options)).toBe(0);
    } finally {
      transport.close();
    }
    const failed = await db
      .selectFrom('email_outbox')
      .select(['dedup_key', 'status', 'attempts', 'last_error'])
      .where('status', '!=', 'sent')
      .execute();
    expect(failed).toEqual([
      {
        dedup_key: expect.stringMatching(/^admin-alert:.*:archived:support$/),
        status: 'failed',
        attempts: 1,
        last_error: expect.stringMatching(/550/),
      },
    ]);
    expect(
      await db.selectFrom('audit_events').select('action').where('action', '=', 'email.failed').execute(),
    ).toHaveLength(1);
    expect(sink.rejections).toEqual([{ code: 550, stage: 'rcpt', address: SUPPORT_EMAIL }]);
    expect(new Set(sink.messages.map((m) => m.dedupKey))).toEqual(
      new Set([...expected.keys].filter((k) => k !== failed[0]!.dedup_key)),
    );
    expect(sink.messages).toHaveLength(expected.keys.size - 1);
  });

  it('(e) a service transaction that rolls back after enqueueing (password reset) leaves no email; the retry sends one', async () => {
    const jo = await createAccount(db, config.secretKey, {
      organisationId: orgs.camden,
      username: 'jo.bloggs',
      email: 'jo@camden.gov.uk',
      lastSignInAt: NOW,
    });
    const ctx = { ip: '127.0.0.1', userAgent: null, requestId: null };
    // The audit event is written after the token and the email: failing it rolls back both.
    await sql`CREATE FUNCTION fail_reset_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
      IF NEW.action = 'password-reset.requested' THEN RAISE EXCEPTION 'simulated failure'; END IF; RETURN NEW; END $$`.execute(
      db,
    );
    await sql`CREATE TRIGGER fail_reset_audit BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION fail_reset_audit()`.execute(
      db,
    );
    const transport = smtpTransport(sink.url);
    try {
      await expect(services.passwords.requestPasswordReset('jo.bloggs', ctx)).rejects.toThrow('simulated failure');
      expect(await db.selectFrom('email_outbox').select('id').execute()).toEqual([]);
      expect(
        await db.selectFrom('account_tokens').select('account_id').where('account_id', '=', jo.id).execute(),
      ).toEqual([]);
      clock.advance(60_000);
      expect(await deliverAll(db, clock, transport, options)).toBe(0);
      expect(sink.messages).toEqual([]);

      await sql`DROP TRIGGER fail_reset_audit ON audit_events`.execute(db);
      await services.passwords.requestPasswordReset('jo.bloggs', ctx);
      clock.advance(60_000);
      expect(await deliverAll(db, clock, transport, options)).toBe(1);
      expect(sink.messages.map((m) => [m.template, m.recipients])).toEqual([['password_reset', ['jo@camden.gov.uk']]]);
      expect(sink.messages[0]!.text).toMatch(/\/reset-password\/\S+/);
    } finally {
      transport.close();
      await sql`DROP TRIGGER IF EXISTS fail_reset_audit ON audit_events`.execute(db);
      await sql`DROP FUNCTION IF EXISTS fail_reset_audit()`.execute(db);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Worker processes (PostgreSQL only): SIGKILL at random moments, and three processes at once.
// ---------------------------------------------------------------------------------------------

interface Child {
  readonly proc: ChildProcess;
  readonly lines: string[];
  stderr: string;
  readonly loaded: Promise<void>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Starts a round: the job, then delivery until nothing is pending, then `done`. */
  go(): void;
  /** Whether the last round started has not reported `done` yet (the process is working). */
  busy(): boolean;
  alive(): boolean;
  /** Resolves when the last round started is done; throws if the process dies or time runs out. */
  roundDone(label: string, timeoutMs?: number): Promise<void>;
  /** Closes standard input: the process exits 0 after its round. */
  end(): void;
}

function spawnChild(env: Record<string, string>): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join('test', 'support', 'job-child.ts')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? ROOT, WAIT_FOR_GO: '1', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let buffered = '';
  let rounds = 0;
  let done = 0;
  let exitedYet = false;
  const listeners = new Set<() => void>();
  const notify = () => listeners.forEach((l) => l());
  const until = (condition: () => boolean) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (condition()) {
          listeners.delete(check);
          resolve();
        }
      };
      listeners.add(check);
      check();
    });
  const child: Child = {
    proc,
    lines,
    stderr: '',
    loaded: until(() => exitedYet || lines.includes('loaded')),
    exited: new Promise((resolve) => {
      proc.on('exit', (code, signal) => {
        exitedYet = true;
        notify();
        resolve({ code, signal });
      });
    }),
    go() {
      rounds++;
      proc.stdin.write('go\n');
    },
    busy: () => !exitedYet && done < rounds,
    alive: () => !exitedYet,
    async roundDone(label, timeoutMs = 90_000) {
      const outcome = await Promise.race([
        until(() => exitedYet || done >= rounds).then(() => 'settled' as const),
        sleep(timeoutMs).then(() => 'timeout' as const),
      ]);
      const output = `output: ${lines.join(' | ')}; stderr: ${child.stderr}`;
      if (outcome === 'timeout')
        throw new Error(`${label}: job-child did not finish its round within ${timeoutMs} ms; ${output}`);
      if (done < rounds)
        throw new Error(
          `${label}: job-child exited during its round (${JSON.stringify(await child.exited)}); ${output}`,
        );
    },
    end() {
      proc.stdin.end();
    },
  };
  proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      if (line === 'done') done++;
    }
    notify();
  });
  proc.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    child.stderr += chunk;
  });
  proc.stdin.on('error', () => {});
  return child;
}

/** Keeps one process loaded and waiting, so that a restart after SIGKILL starts working at once. */
function childPool(env: Record<string, string>) {
  let spare: Child | undefined;
  const all: Child[] = [];
  const fresh = () => {
    const c = spawnChild(env);
    all.push(c);
    return c;
  };
  return {
    async next(): Promise<Child> {
      const c = spare ?? fresh();
      spare = fresh();
      await c.loaded;
      if (!c.alive()) throw new Error(`job-child died while loading: ${c.stderr}`);
      return c;
    },
    async close() {
      for (const c of all) if (c.alive()) c.proc.kill('SIGKILL');
      await Promise.all(all.map((c) => c.exited));
    },
  };
}

/** A small seeded generator (mulberry32), so that a failing trial can be replayed with EXACTLY_ONCE_SEED. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

if (POSTGRES) {
  describe('exactly once, with worker processes (PostgreSQL)', () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'nexus-child-'));
    afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
    const childEnv = (extra: Record<string, string> = {}) => ({
      DATABASE_URL: handle.url!,
      SMTP_URL: sink.url,
      SECRET_KEY: config.secretKey,
      DATA_DIR: dataDir,
      BASE_URL: config.baseUrl,
      SUPPORT_EMAIL,
      LOG_LEVEL: 'silent',
      JOB_NOW: NOW.toISOString(),
      ...extra,
    });

    it('(b) 50 trials of SIGKILL at a random moment and restart: every due email arrives once by key and Message-ID, every archive happens once', async () => {
      const TRIALS = 50;
      const seed = Number(process.env.EXACTLY_ONCE_SEED ?? Math.floor(Math.random() * 2 ** 32));
      const rand = random(seed);
      // A short lease, so that rows claimed by a killed process are claimed again within a second.
      const pool = childPool(childEnv({ LEASE_SECONDS: '1', BATCH_SIZE: '5' }));
      const stats = { kills: 0, killedWorking: 0, messages: 0, rawDuplicates: 0, trialsWithDuplicates: 0, expected: 0 };
      try {
        // Trial 0 runs undisturbed: it checks the baseline and measures how long a round takes.
        // The process that finishes a trial is the first one killed in the next (a worker that has been up a while).
        let worker = await pool.next();
        let roundMs = 0;
        for (let trial = 0; trial <= TRIALS; trial++) {
          const label = `trial ${trial} (EXACTLY_ONCE_SEED=${seed})`;
          await resetData(db);
          sink.clear();
          const expected = await seedDue(db, config, orgs, NOW);
          const kills = trial === 0 ? 0 : rand() < 0.35 ? 2 : 1;
          for (let k = 0; k < kills; k++) {
            worker.go();
            await sleep(rand() * roundMs * 1.2);
            stats.kills++;
            if (worker.busy()) stats.killedWorking++;
            worker.proc.kill('SIGKILL');
            const exit = await worker.exited;
            expect(
              exit.signal === 'SIGKILL' || exit.code === 0,
              `${label}: killed child exit ${JSON.stringify(exit)}; ${worker.stderr}`,
            ).toBe(true);
            worker = await pool.next();
          }
          const started = performance.now();
          worker.go();
          await worker.roundDone(label);
          if (trial === 0) roundMs = Math.max(50, performance.now() - started);

          const arrivals = await expectExactlyOnce(db, sink, expected, label);
          await expectActionsOnce(db, expected, label);
          stats.expected += expected.keys.size;
          stats.messages += arrivals.raw;
          stats.rawDuplicates += arrivals.rawDuplicates;
          if (arrivals.rawDuplicates > 0) stats.trialsWithDuplicates++;
        }
        worker.end();
        expect(await worker.exited).toEqual({ code: 0, signal: null });
        console.log(
          `exactly-once (b): seed ${seed}, ${TRIALS} trials, ${stats.kills} SIGKILLs (${stats.killedWorking} while working); ` +
            `${stats.expected} due emails, ${stats.messages} SMTP deliveries, ${stats.rawDuplicates} raw redeliveries (same key, same Message-ID) ` +
            `in ${stats.trialsWithDuplicates} trials (${((100 * stats.rawDuplicates) / stats.expected).toFixed(2)}% of emails)`,
        );
        // Most kills must land while the process works, or the trials prove little.
        expect(stats.killedWorking).toBeGreaterThan(TRIALS / 2);
      } finally {
        await pool.close();
      }
    }, 900_000); // about two minutes on an idle two-core machine; generous for a loaded CI run

    it('(c) three worker processes running the job and delivery at the same time: no duplicates, nothing missed', async () => {
      const expected = await seedDue(db, config, orgs, NOW, 4);
      const pool = childPool(childEnv({ BATCH_SIZE: '4' }));
      try {
        const children = [await pool.next(), await pool.next(), await pool.next()];
        for (const c of children) c.go();
        for (const [i, c] of children.entries()) {
          await c.roundDone(`worker ${i + 1}`);
          c.end();
          expect(await c.exited, `worker ${i + 1}: ${c.stderr}`).toEqual({ code: 0, signal: null });
        }
        // Each email was enqueued by exactly one of the three job runs, and sent by exactly one process.
        const enqueuedBy = children.map(
          (c) => (JSON.parse(c.lines.find((l) => l.startsWith('job '))!.slice(4)) as { emails: number }).emails,
        );
        const sentBy = children.map((c) =>
          c.lines.filter((l) => l.startsWith('sent ')).reduce((sum, l) => sum + Number(l.slice(5)), 0),
        );
        expect(enqueuedBy.reduce((a, b) => a + b, 0)).toBe(expected.keys.size);
        expect(sentBy.reduce((a, b) => a + b, 0)).toBe(expected.keys.size);
        const arrivals = await expectExactlyOnce(db, sink, expected, 'three processes');
        expect(arrivals.rawDuplicates).toBe(0);
        await expectActionsOnce(db, expected, 'three processes');
        console.log(
          `exactly-once (c): ${expected.keys.size} emails, enqueued per process ${enqueuedBy.join('/')}, sent per process ${sentBy.join('/')}`,
        );
      } finally {
        await pool.close();
      }
    }, 120_000);
  });
}
