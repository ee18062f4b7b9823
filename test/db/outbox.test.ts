import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleParser, type AddressObject } from 'mailparser';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/data/connect.ts';
import type { Db, OutboxRow } from '../../src/data/database.ts';
import { claimDueEmails, vacuumOutbox } from '../../src/data/queries/outbox-queries.ts';
import { ManualClock } from '../../src/domain/clock.ts';
import { DEFAULT_DELIVERY, deliverDueEmails, retryDelaySeconds, type DeliveryOptions } from '../../src/mail/deliver.ts';
import { enqueueEmail, type EmailRequest } from '../../src/mail/enqueue.ts';
import { renderEmail } from '../../src/mail/templates/render.ts';
import { emlFileTransport, PermanentMailError, type MailTransport } from '../../src/mail/transports.ts';
import { createOrganisation } from '../support/fixtures.ts';
import { createTestDatabase } from '../support/test-db.ts';

/** The transactional outbox (R43–R44): enqueue in the caller's transaction, deliver with retries. */

const DOMAIN = 'nexus.test';
const FROM = 'Nexus <no-reply@nexus.test>';
const OPTIONS: DeliveryOptions = { ...DEFAULT_DELIVERY, from: FROM };

let handle: DatabaseHandle;
let db: Db;
let organisationId: number;
let clock: ManualClock;
let mailDir: string;

beforeAll(async () => {
  handle = await createTestDatabase();
  db = handle.db;
  organisationId = await createOrganisation(db, '202', 'Camden');
});
afterAll(async () => handle?.close());

beforeEach(async () => {
  await db.deleteFrom('email_outbox').execute();
  clock = new ManualClock('2026-11-02T10:00:00Z');
  mailDir = await mkdtemp(path.join(tmpdir(), 'nexus-mail-'));
  return () => rm(mailDir, { recursive: true, force: true });
});

function request(
  dedupKey: string,
  overrides: { name?: string; address?: string; subject?: string } = {},
): EmailRequest {
  return {
    dedupKey,
    template: 'test',
    to: { address: overrides.address ?? 'jo.bloggs@camden.gov.uk', name: overrides.name ?? 'Jo Bloggs' },
    organisationId,
    accountId: null,
    content: renderEmail(
      overrides.subject ?? 'Your Nexus account',
      'Dear Jo,',
      ['A paragraph.', { link: 'https://nexus.test/x', text: 'A link' }],
      'Nexus',
    ),
    now: clock.now(),
  };
}

const rows = () => db.selectFrom('email_outbox').selectAll().orderBy('created_at').orderBy('dedup_key').execute();
const row = (dedupKey: string) =>
  db.selectFrom('email_outbox').selectAll().where('dedup_key', '=', dedupKey).executeTakeFirstOrThrow();

/** A transport that records what it was asked to send and fails as told. */
function scriptedTransport(
  fail: (row: OutboxRow, call: number) => Error | undefined,
): MailTransport & { calls: OutboxRow[] } {
  const calls: OutboxRow[] = [];
  return {
    calls,
    send(r) {
      calls.push(r);
      const error = fail(r, calls.length);
      return error ? Promise.reject(error) : Promise.resolve();
    },
    close() {},
  };
}

describe('enqueueEmail', () => {
  it("writes nothing when the caller's transaction rolls back", async () => {
    await expect(
      db.transaction().execute(async (trx) => {
        expect(await enqueueEmail(trx, DOMAIN, request('rolled-back'))).toBe(true);
        expect(
          await trx.selectFrom('email_outbox').select('id').where('dedup_key', '=', 'rolled-back').execute(),
        ).toHaveLength(1);
        throw new Error('the change that caused the email failed');
      }),
    ).rejects.toThrow('the change that caused the email failed');
    expect(await rows()).toEqual([]);
  });

  it("commits with the caller's transaction", async () => {
    await db.transaction().execute((trx) => enqueueEmail(trx, DOMAIN, request('committed')));
    const [r] = await rows();
    expect(r).toMatchObject({
      dedup_key: 'committed',
      status: 'pending',
      attempts: 0,
      to_address: 'jo.bloggs@camden.gov.uk',
      to_name: 'Jo Bloggs',
      subject: 'Your Nexus account',
    });
    expect(r!.message_id).toMatch(new RegExp(`^<[0-9a-f-]{36}@${DOMAIN.replace('.', '\\.')}>$`));
    expect(r!.next_attempt_at.toISOString()).toBe(clock.now().toISOString());
  });

  it('the same deduplication key twice gives one row, also when enqueued at the same moment', async () => {
    expect(await enqueueEmail(db, DOMAIN, request('once'))).toBe(true);
    expect(await enqueueEmail(db, DOMAIN, request('once', { subject: 'A different subject' }))).toBe(false);
    const raced = await Promise.all(
      [1, 2, 3].map(() => db.transaction().execute((trx) => enqueueEmail(trx, DOMAIN, request('raced')))),
    );
    expect(raced.filter(Boolean)).toHaveLength(1);
    expect((await rows()).map((r) => [r.dedup_key, r.subject])).toEqual([
      ['once', 'Your Nexus account'],
      ['raced', 'Your Nexus account'],
    ]);
  });

  it("strips line breaks from the recipient's name and address and from the subject", async () => {
    await enqueueEmail(
      db,
      DOMAIN,
      request('crlf', {
        name: 'Jo\r\nBcc: eve@evil.example',
        address: 'jo@camden.gov.uk\r\nCc: eve@evil.example',
        subject: 'Hello\r\nX-Injected: yes',
      }),
    );
    const r = await row('crlf');
    expect(r.to_name).toBe('Jo Bcc: eve@evil.example');
    expect(r.to_address).toBe('jo@camden.gov.uk Cc: eve@evil.example');
    expect(r.subject).toBe('Hello X-Injected: yes');
  });
});

describe('deliverDueEmails with the .eml transport (R44)', () => {
  async function emlFiles(): Promise<string[]> {
    return (await readdir(mailDir)).filter((f) => f.endsWith('.eml')).sort();
  }

  it('writes one .eml per row with its Message-ID, To and Subject, marks the rows sent, and a second pass sends nothing', async () => {
    await enqueueEmail(
      db,
      DOMAIN,
      request('a', { name: 'Amira Khan', address: 'amira.khan@camden.gov.uk', subject: 'Your invitation' }),
    );
    await enqueueEmail(
      db,
      DOMAIN,
      request('b', { name: "Ben O'Neill", address: 'ben@camden.gov.uk', subject: 'Password reset — Nexus' }),
    );
    const transport = emlFileTransport(mailDir);
    clock.advance(1000);
    expect(await deliverDueEmails(db, clock, transport, OPTIONS)).toBe(2);

    const files = await emlFiles();
    const sent = await rows();
    expect(files).toEqual(sent.map((r) => `${r.id}.eml`).sort());
    for (const r of sent) {
      expect(r).toMatchObject({ status: 'sent', attempts: 1, lease_until: null, last_error: null });
      expect(r.sent_at?.toISOString()).toBe(clock.now().toISOString());
      const mail = await simpleParser(await readFile(path.join(mailDir, `${r.id}.eml`)));
      expect(mail.messageId).toBe(r.message_id);
      const to = mail.to as AddressObject;
      expect(to.value).toEqual([{ address: r.to_address, name: r.to_name }]);
      expect(mail.subject).toBe(r.subject);
      expect((mail.from as AddressObject).value).toEqual([{ address: 'no-reply@nexus.test', name: 'Nexus' }]);
      expect(mail.headers.get('x-nexus-dedup-key')).toBe(r.dedup_key);
      expect(mail.text).toContain('A link: https://nexus.test/x');
      expect(mail.html).toContain('<a href="https://nexus.test/x">');
    }

    const before = await Promise.all(files.map(async (f) => (await stat(path.join(mailDir, f))).mtimeMs));
    clock.advance(3_600_000);
    expect(await deliverDueEmails(db, clock, transport, OPTIONS)).toBe(0);
    expect(await emlFiles()).toEqual(files);
    expect(await Promise.all(files.map(async (f) => (await stat(path.join(mailDir, f))).mtimeMs))).toEqual(before);
    expect((await rows()).map((r) => r.attempts)).toEqual([1, 1]);
    transport.close();
  });

  it('a name or subject with CR/LF cannot add headers, even when the row bypasses enqueueEmail', async () => {
    await enqueueEmail(
      db,
      DOMAIN,
      request('via-enqueue', { name: 'Eve\r\nBcc: spy@evil.example', subject: 'Hi\r\nX-Injected: yes' }),
    );
    // A row written by some other code path, with the line breaks still in it.
    const raw = request('raw');
    await db
      .insertInto('email_outbox')
      .values({
        id: '00000000-0000-4000-8000-000000000001',
        dedup_key: 'raw',
        message_id: '<raw@nexus.test>',
        template: 'test',
        organisation_id: organisationId,
        account_id: null,
        to_address: 'victim@camden.gov.uk',
        to_name: 'Eve\r\nBcc: spy@evil.example\r\n',
        subject: 'Hi\r\nX-Injected: yes',
        text_body: raw.content.text,
        html_body: raw.content.html,
        next_attempt_at: clock.now(),
        created_at: clock.now(),
      })
      .execute();
    const transport = emlFileTransport(mailDir);
    expect(await deliverDueEmails(db, clock, transport, OPTIONS)).toBe(2);
    for (const r of await rows()) {
      const source = await readFile(path.join(mailDir, `${r.id}.eml`), 'utf8');
      const headerBlock = source.slice(0, source.indexOf('\n\n'));
      const mail = await simpleParser(source);
      expect(mail.headers.has('bcc')).toBe(false);
      expect(mail.headers.has('x-injected')).toBe(false);
      expect(headerBlock).not.toMatch(/^(bcc|x-injected):/im);
      const to = mail.to as AddressObject;
      expect(to.value.map((v) => v.address)).toEqual([r.to_address]);
      expect(mail.subject?.replace(/\s+/g, ' ')).toBe('Hi X-Injected: yes');
    }
    transport.close();
  });
});

describe('retries and failures', () => {
  it('a temporary error leaves the row pending and retries it later with growing backoff, then sends it', async () => {
    await enqueueEmail(db, DOMAIN, request('flaky'));
    const transport = scriptedTransport((_r, call) =>
      call <= 2 ? new Error(`421 try again later (${call})`) : undefined,
    );

    expect(await deliverDueEmails(db, clock, transport, OPTIONS)).toBe(0);
    let r = await row('flaky');
    expect(r).toMatchObject({
      status: 'pending',
      attempts: 1,
      last_error: '421 try again later (1)',
      lease_until: null,
    });
    const firstRetry = new Date(clock.now().getTime() + retryDelaySeconds(1) * 1000);
    expect(r.next_attempt_at.toISOString()).toBe(firstRetry.toISOString());

    // Not due yet: nothing is tried.
    clock.advance(retryDelaySeconds(1) * 1000 - 1000);
    expect(await deliverDueEmails(db, clock, transport, OPTIONS)).toBe(0);
    expect(transport.calls).toHaveLength(1);

    // Due: tried again, fails again, waits longer.
    clock.set(firstRetry);
    expect(await deliverDueEmails(db, clock, transport, OPTIONS)).toBe(0);
    r = await row('flaky');
    expect(r).toMatchObject({ status: 'pending', attempts: 2, last_error: '421 try again later (2)' });
    expect(retryDelaySeconds(2)).toBeGreaterThan(retryDelaySeconds(1));
    expect(r.next_attempt_at.toISOString()).toBe(
      new Date(firstRetry.getTime() + retryDelaySeconds(2) * 1000).toISOString(),
    );

    clock.set(r.next_attempt_at);
    expect(await deliverDueEmails(db, clock, transport, OPTIONS)).toBe(1);
    expect(await row('flaky')).toMatchObject({ status: 'sent', attempts: 3, last_error: null });
    expect(transport.calls.map((c) => c.dedup_key)).toEqual(['flaky', 'flaky', 'flaky']);
  });

  it('a PermanentMailError marks the row failed, and it is not tried again', async () => {
    await enqueueEmail(db, DOMAIN, request('bounced'));
    await enqueueEmail(db, DOMAIN, request('fine'));
    const transport = scriptedTransport((r) =>
      r.dedup_key === 'bounced' ? new PermanentMailError('550 no such mailbox') : undefined,
    );
    expect(await deliverDueEmails(db, clock, transport, OPTIONS)).toBe(1);
    expect(await row('bounced')).toMatchObject({
      status: 'failed',
      attempts: 1,
      last_error: '550 no such mailbox',
      sent_at: null,
    });
    expect(await row('fine')).toMatchObject({ status: 'sent' });
    clock.advance(86_400_000);
    expect(await deliverDueEmails(db, clock, transport, OPTIONS)).toBe(0);
    expect(transport.calls).toHaveLength(2);
  });

  it('gives up after the maximum number of attempts', async () => {
    await enqueueEmail(db, DOMAIN, request('hopeless'));
    const transport = scriptedTransport(() => new Error('connection reset'));
    const options = { ...OPTIONS, maxAttempts: 3 };
    for (let i = 0; i < 5; i++) {
      await deliverDueEmails(db, clock, transport, options);
      clock.advance(3_600_000);
    }
    expect(transport.calls).toHaveLength(3);
    expect(await row('hopeless')).toMatchObject({ status: 'failed', attempts: 3, last_error: 'connection reset' });
  });

  it('a row claimed by a worker that died is delivered once its lease runs out, not before', async () => {
    await enqueueEmail(db, DOMAIN, request('orphan'));
    const claimed = await claimDueEmails(
      db,
      clock.now(),
      new Date(clock.now().getTime() + OPTIONS.leaseSeconds * 1000),
      10,
    );
    expect(claimed.map((c) => c.dedup_key)).toEqual(['orphan']);
    const transport = scriptedTransport(() => undefined);
    expect(await deliverDueEmails(db, clock, transport, OPTIONS)).toBe(0);
    clock.advance(OPTIONS.leaseSeconds * 1000 + 1000);
    expect(await deliverDueEmails(db, clock, transport, OPTIONS)).toBe(1);
    expect(transport.calls).toHaveLength(1);
  });

  it('a row held past half its lease is not sent but handed back, its attempt not counted', async () => {
    const keys = ['held-1', 'held-2', 'held-3'];
    for (const key of keys) await enqueueEmail(db, DOMAIN, request(key));
    // The first send takes longer than half the lease (a slow SMTP server): the rows still waiting are too close to the end of their lease.
    const transport = scriptedTransport((_, call) => {
      if (call === 1) clock.advance((OPTIONS.leaseSeconds / 2) * 1000 + 1000);
      return undefined;
    });
    expect(await deliverDueEmails(db, clock, transport, OPTIONS)).toBe(1);
    expect(transport.calls).toHaveLength(1);
    const first = transport.calls[0]!.dedup_key;
    expect(await row(first)).toMatchObject({ status: 'sent', attempts: 1 });
    const held = keys.filter((key) => key !== first);
    for (const key of held) expect(await row(key)).toMatchObject({ status: 'pending', attempts: 0, lease_until: null });
    // Due again at once, not only when the lease would have ended.
    expect(await deliverDueEmails(db, clock, transport, OPTIONS)).toBe(2);
    expect(transport.calls.map((c) => c.dedup_key).sort()).toEqual(keys);
    for (const key of held) expect(await row(key)).toMatchObject({ status: 'sent', attempts: 1 });
  });

  it('a stopped pass finishes the send under way and hands the rows it has not started back unsent', async () => {
    const keys = ['stop-1', 'stop-2', 'stop-3', 'stop-4'];
    for (const key of keys) await enqueueEmail(db, DOMAIN, request(key));
    const stopping = new AbortController();
    // The server is told to stop while the first email is being sent.
    const transport = scriptedTransport(() => {
      stopping.abort();
      return undefined;
    });
    expect(await deliverDueEmails(db, clock, transport, { ...OPTIONS, signal: stopping.signal })).toBe(1);
    expect(transport.calls).toHaveLength(1);
    const first = transport.calls[0]!.dedup_key;
    expect(await row(first)).toMatchObject({ status: 'sent', attempts: 1 });
    for (const key of keys.filter((k) => k !== first))
      expect(await row(key)).toMatchObject({ status: 'pending', attempts: 0, lease_until: null });
    // Due at once for the next pass (another process, or this one after a restart), not when a lease ends.
    expect(await deliverDueEmails(db, clock, transport, OPTIONS)).toBe(3);
  });

  it('a row is marked sent while the pass is still sending others, not only at its end', async () => {
    for (const key of ['quick', 'slow']) await enqueueEmail(db, DOMAIN, request(key));
    let release = () => {};
    const slow = new Promise<void>((resolve) => (release = resolve));
    const transport: MailTransport = {
      async send(r) {
        if (r.dedup_key === 'slow') await slow;
      },
      close() {},
      concurrency: 2,
    };
    const pass = deliverDueEmails(db, clock, transport, OPTIONS);
    try {
      let status = (await row('quick')).status;
      for (let i = 0; i < 200 && status !== 'sent'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        status = (await row('quick')).status;
      }
      expect(status).toBe('sent');
      expect(await row('slow')).toMatchObject({ status: 'pending', attempts: 1 });
    } finally {
      release();
    }
    expect(await pass).toBe(2);
    expect(await row('slow')).toMatchObject({ status: 'sent', attempts: 1 });
  });

  it('two workers delivering at once send each email once', async () => {
    for (let i = 0; i < 6; i++) await enqueueEmail(db, DOMAIN, request(`parallel-${i}`));
    const transport = scriptedTransport(() => undefined);
    const sent = await Promise.all(
      [1, 2].map(() => deliverDueEmails(db, clock, transport, { ...OPTIONS, batchSize: 4 })),
    );
    const again = await deliverDueEmails(db, clock, transport, OPTIONS);
    expect(sent[0]! + sent[1]! + again).toBe(6);
    expect(transport.calls.map((c) => c.dedup_key).sort()).toEqual([0, 1, 2, 3, 4, 5].map((i) => `parallel-${i}`));
  });
});

describe('vacuumOutbox (the embedded database has no autovacuum)', () => {
  it('leaves every email, sent or pending, as it was, and delivery goes on', async () => {
    for (let i = 0; i < 5; i++) await enqueueEmail(db, DOMAIN, request(`vacuum-${i}`));
    const transport = scriptedTransport(() => undefined);
    expect(await deliverDueEmails(db, clock, transport, { ...OPTIONS, batchSize: 3 })).toBe(5);
    await enqueueEmail(db, DOMAIN, request('vacuum-pending'));
    const before = await rows();
    await vacuumOutbox(db);
    expect(await rows()).toEqual(before);
    // Delivery goes on as before.
    clock.advance(1000);
    expect(await deliverDueEmails(db, clock, transport, OPTIONS)).toBe(1);
    expect(transport.calls.map((c) => c.dedup_key).sort()).toEqual([
      'vacuum-0',
      'vacuum-1',
      'vacuum-2',
      'vacuum-3',
      'vacuum-4',
      'vacuum-pending',
    ]);
  });
});
