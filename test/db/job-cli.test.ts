import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireEmbeddedLock } from '../../src/data/connect.ts';
import type { Db } from '../../src/data/database.ts';
import { addDays } from '../../src/domain/calendar.ts';
import { cliEnv, runCli, STACK_TRACE, withEmbeddedDatabase, type CliRun } from '../support/cli-child.ts';
import { unpackMigratedDatabase } from '../support/migrated-data-dir.ts';

/**
 * `nexus-accounts lifecycle run|preview` and `digest send` (R41, R47) as child processes, on the
 * embedded PGlite database of a temporary DATA_DIR holding the demo (seed-demo). The tests run in
 * order and share the folder, as an operator's commands would; the database is opened in this
 * process between commands to see what they wrote.
 */

const STEP_TIMEOUT = 240_000; // child processes are slow on a busy 2-core machine

/** The Monday after today, 02:00 UTC: the demo (seeded relative to today) has warnings and deletions due then. */
const T = (() => {
  const today = new Date();
  const day = today.getUTCDay();
  return new Date(
    Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() + (day === 0 ? 1 : 8 - day), 2),
  );
})();
const T_ISO = T.toISOString();

let dataDir: string;
const children = new Set<ChildProcess>();

type Run = CliRun;
const run = (...args: string[]): Promise<Run> =>
  runCli(cliEnv(dataDir, 'job-cli-test-secret-key-at-least-32-characters'), args, children);
const withDatabase = <T>(read: (db: Db) => Promise<T>): Promise<T> => withEmbeddedDatabase(dataDir, read);

/** Everything a lifecycle run or a digest could write. */
async function snapshot(db: Db) {
  const count = async (table: 'email_outbox' | 'lifecycle_notices' | 'audit_events' | 'job_runs') =>
    Number(
      (
        await db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const statuses = await db
    .selectFrom('accounts')
    .select(['status', (eb) => eb.fn.countAll<string>().as('n')])
    .groupBy('status')
    .orderBy('status')
    .execute();
  return {
    outbox: await count('email_outbox'),
    notices: await count('lifecycle_notices'),
    audit: await count('audit_events'),
    jobRuns: await count('job_runs'),
    accounts: Object.fromEntries(statuses.map((s) => [s.status, Number(s.n)])),
  };
}

/** The rows of the first table in the output (columns separated by two or more spaces). */
function tableRows(stdout: string, header: RegExp): string[][] {
  const lines = stdout.split('\n');
  const start = lines.findIndex((l) => header.test(l));
  if (start < 0) return [];
  const rows: string[][] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === '') break;
    rows.push(line.trim().split(/\s{2,}/));
  }
  return rows;
}

function expectRefused(result: Run, message: RegExp, label: string): void {
  expect(result.code, `${label}\n${result.stdout}\n${result.stderr}`).toBe(2);
  expect(result.stderr, label).toMatch(message);
  expect(result.stderr, label).not.toMatch(STACK_TRACE);
  expect(result.stdout, label).toBe('');
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'nexus-job-cli-'));
  unpackMigratedDatabase(dataDir);
  const seeded = await run('seed-demo');
  expect(seeded.code, seeded.stderr).toBe(0);
}, STEP_TIMEOUT);

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await Promise.all(
    [...children].map(
      (child) =>
        new Promise((resolve) =>
          child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once('close', resolve),
        ),
    ),
  );
  await rm(dataDir, { recursive: true, force: true });
});

describe('lifecycle and digest commands (embedded PGlite)', { timeout: STEP_TIMEOUT }, () => {
  it('bad --now, --days or --la, and `worker` in embedded mode, exit 2 with a plain message', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['lifecycle', 'run', '--now', 'yesterday'],
        /--now must be a date or a date and time in ISO 8601.*got "yesterday"/,
      ],
      [
        ['lifecycle', 'run', '--dry-run', '--now', '2026-02-30T02:00:00Z'],
        /--now must be .*ISO 8601.*"2026-02-30T02:00:00Z"/,
      ],
      [['lifecycle', 'run', '--now', '2026-11-30T25:00Z'], /--now must be .*ISO 8601/],
      [['digest', 'send', '--now', '30/11/2026'], /--now must be .*ISO 8601.*"30\/11\/2026"/],
      [['lifecycle', 'preview', '--days', '0'], /--days must be a whole number of days from 1 to 366; got "0"/],
      [['lifecycle', 'preview', '--days', '367'], /--days must be .* from 1 to 366; got "367"/],
      [['lifecycle', 'preview', '--days', '7.5'], /--days must be .* from 1 to 366; got "7.5"/],
      [['lifecycle', 'preview', '--now', 'soon', '--days', '7'], /--now must be .*ISO 8601/],
      [['lifecycle', 'preview', '--la', 'Camden'], /"Camden" is not a Local Authority code/],
      [
        ['worker'],
        /No worker is needed in embedded mode: the server .* runs the nightly lifecycle job and the weekly digest itself/,
      ],
    ];
    const results = await Promise.all(cases.map(([args]) => run(...args)));
    cases.forEach(([args, message], i) => expectRefused(results[i]!, message, args.join(' ')));
  });

  it('while another process holds the embedded database, the job commands refuse with "database in use"', async () => {
    const release = acquireEmbeddedLock(dataDir); // as the running server does
    try {
      const commands = [
        ['lifecycle', 'run', '--now', T_ISO],
        ['lifecycle', 'preview'],
        ['digest', 'send'],
      ];
      const results = await Promise.all(commands.map((args) => run(...args)));
      results.forEach((result, i) =>
        expectRefused(
          result,
          new RegExp(`in use by another Nexus Accounts process \\(pid ${process.pid}\\).*stop that process`, 's'),
          commands[i]!.join(' '),
        ),
      );
    } finally {
      release();
    }
  });

  let planned: string[][];

  it('lifecycle run --dry-run lists what it would do, as a table, and writes nothing', async () => {
    const before = await withDatabase(snapshot);
    const result = await run('lifecycle', 'run', '--dry-run', '--now', T_ISO);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(
      `Lifecycle run as of ${T_ISO} (dry run: nothing was changed and no email was sent).`,
    );
    planned = tableRows(result.stdout, /^Date\s+LA\s+Username\s+Action$/);
    expect(planned.length).toBeGreaterThan(0);
    for (const row of planned) {
      expect(row).toEqual([
        T_ISO.slice(0, 10),
        expect.stringMatching(/^.+ \(\d{3}\)$/),
        expect.stringMatching(/^[a-z0-9._@-]+$/),
        expect.stringMatching(
          /^(first warning|second warning|final warning|archived for inactivity|archived: access end date reached|deleted: retention ended)$/,
        ),
      ]);
    }
    const warned = planned.filter((r) => r[3]!.endsWith('warning')).length;
    const deleted = planned.filter((r) => r[3]!.startsWith('deleted')).length;
    expect(result.stdout).toMatch(
      new RegExp(`^Would warn ${warned}, archive \\d+ for inactivity, end access for \\d+, delete ${deleted}\\.$`, 'm'),
    );
    expect(await withDatabase(snapshot)).toEqual(before);
  });

  it('lifecycle run does what the dry run listed and records the run; run again, it does nothing new', async () => {
    const before = await withDatabase(snapshot);
    const first = await run('lifecycle', 'run', '--now', T_ISO);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).not.toContain('dry run');
    expect(tableRows(first.stdout, /^Date\s+LA\s+Username\s+Action$/)).toEqual(planned);
    const tally =
      /^Warned (\d+), archived (\d+) for inactivity, ended access for (\d+), deleted (\d+); (\d+) emails? queued\.$/m.exec(
        first.stdout,
      );
    expect(tally, first.stdout).not.toBeNull();
    const [warned, archived, accessEnded, deleted, emails] = tally!.slice(1).map(Number) as [
      number,
      number,
      number,
      number,
      number,
    ];
    expect(warned + archived + accessEnded + deleted).toBe(planned.length);
    expect(emails).toBeGreaterThanOrEqual(warned + archived + accessEnded);

    const second = await run('lifecycle', 'run', '--now', T_ISO);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('Nothing was due.');

    const after = await withDatabase(async (db) => ({
      snapshot: await snapshot(db),
      runs: await db
        .selectFrom('job_runs')
        .select(['job', 'as_of', 'outcome', 'finished_at', 'summary'])
        .orderBy('id')
        .execute(),
      deletedStillThere: await db
        .selectFrom('accounts')
        .select('username')
        .where(
          'username',
          'in',
          planned
            .filter((r) => r[3]!.startsWith('deleted'))
            .map((r) => r[2]!)
            .concat(''),
        )
        .execute(),
    }));
    expect(after.snapshot.outbox - before.outbox).toBe(emails);
    expect(after.snapshot.notices - before.notices).toBeGreaterThanOrEqual(warned + archived);
    expect(after.snapshot.accounts.active).toBe(before.accounts.active! - archived - accessEnded);
    expect(after.deletedStillThere).toEqual([]);
    expect(after.runs).toEqual([
      {
        job: 'lifecycle',
        as_of: T,
        outcome: 'ok',
        finished_at: expect.any(Date),
        summary: expect.objectContaining({ warned, archived, accessEnded, deleted, emails, actions: planned.length }),
      },
      {
        job: 'lifecycle',
        as_of: T,
        outcome: 'ok',
        finished_at: expect.any(Date),
        summary: expect.objectContaining({ warned: 0, archived: 0, emails: 0, actions: 0 }),
      },
    ]);
  });

  it('lifecycle preview --days 30 lists the coming events by date; --la keeps to one LA', async () => {
    const [all, camden] = [
      await run('lifecycle', 'preview', '--days', '30', '--now', T_ISO),
      await run('lifecycle', 'preview', '--days', '30', '--now', T_ISO, '--la', '202'),
    ];
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toMatch(
      /^Lifecycle events from Monday \d+ \w+ \d{4} to \w+day \d+ \w+ \d{4} \(30 days\), all Local Authorities, if nobody signs in:$/m,
    );
    // Groups: a date heading, then a table of LA, username, name and action.
    const headings = all.stdout.split('\n').filter((l) => /^\w+day \d{1,2} \w+ \d{4}$/.test(l));
    expect(headings.length).toBeGreaterThan(0);
    const days = headings.map((h) => new Date(`${h.replace(/^\w+ /, '')} 12:00 UTC`));
    for (const day of days) {
      expect(day.getTime()).toBeGreaterThan(T.getTime()); // today's actions were done by the run above
      expect(day.getTime()).toBeLessThanOrEqual(addDays(T, 31).getTime());
    }
    expect(days).toEqual([...days].sort((a, b) => a.getTime() - b.getTime()));
    const events = all.stdout
      .split('\n')
      .filter((l) => /^ {2}\S/.test(l) && !/^ {2}LA\s/.test(l))
      .map((l) => l.trim().split(/\s{2,}/));
    const tally = /^In all: (\d+) warnings?, (\d+) archives?, (\d+) deletions?\.$/m.exec(all.stdout);
    expect(tally, all.stdout).not.toBeNull();
    expect(
      tally!
        .slice(1)
        .map(Number)
        .reduce((a, b) => a + b),
    ).toBe(events.length);

    // R37: an account given its final warning by the run is archived no sooner than 14 days later.
    const finalWarned = new Set(planned.filter((r) => r[3] === 'final warning').map((r) => r[2]));
    const lines = all.stdout.split('\n');
    let heading = '';
    for (const line of lines) {
      if (/^\w+day \d{1,2} \w+ \d{4}$/.test(line)) heading = line;
      const [, username, , action] = line.trim().split(/\s{2,}/);
      if (finalWarned.has(username) && action === 'archived for inactivity') {
        expect(new Date(`${heading.replace(/^\w+ /, '')} 12:00 UTC`).getTime()).toBeGreaterThanOrEqual(
          addDays(T, 14).getTime(),
        );
      }
    }

    expect(camden.code, camden.stderr).toBe(0);
    expect(camden.stdout).toContain('(30 days), Camden (202), if nobody signs in:');
    const camdenEvents = camden.stdout
      .split('\n')
      .filter((l) => /^ {2}\S/.test(l) && !/^ {2}LA\s/.test(l))
      .map((l) => l.trim().split(/\s{2,}/));
    expect(camdenEvents.length).toBeGreaterThan(0);
    expect(new Set(camdenEvents.map((e) => e[0]))).toEqual(new Set(['Camden (202)']));
    expect(camdenEvents).toEqual(events.filter((e) => e[0] === 'Camden (202)'));
  });

  it('digest send sends each administrator one digest a week: a second send in the same week sends none', async () => {
    const first = await run('digest', 'send', '--now', T_ISO);
    expect(first.code, first.stderr).toBe(0);
    const summary =
      /^Admin Digest for week (\d{4}-W\d{2}) \(as of .*\): (\d+) recipients?; (\d+) sent now, 0 already had this week's digest\.$/m.exec(
        first.stdout,
      );
    expect(summary, first.stdout).not.toBeNull();
    const [week, recipients, sent] = [summary![1]!, Number(summary![2]), Number(summary![3])];
    expect(recipients).toBeGreaterThan(0);
    expect(sent).toBe(recipients);
    const listed = tableRows(first.stdout, /^Recipient\s+Email\s+LA\s+Queued\s+Delivery$/);
    expect(listed).toHaveLength(recipients);
    expect(listed.map((r) => r[1])).toContain('priya.shah@camden.gov.uk');

    const wednesday = addDays(T, 2).toISOString();
    const second = await run('digest', 'send', '--now', wednesday);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain(
      `Admin Digest for week ${week} (as of ${wednesday}): ${recipients} recipients; 0 sent now, ${recipients} already had this week's digest.`,
    );
    expect(tableRows(second.stdout, /^Recipient\s+Email/)).toEqual(listed);

    const stored = await withDatabase(async (db) => ({
      digests: await db
        .selectFrom('email_outbox')
        .select('to_address')
        .where('template', '=', 'admin-digest')
        .execute(),
      runs: await db
        .selectFrom('job_runs')
        .select(['as_of', 'outcome', 'summary'])
        .where('job', '=', 'digest')
        .orderBy('id')
        .execute(),
    }));
    expect(stored.digests).toHaveLength(recipients);
    expect(new Set(stored.digests.map((d) => d.to_address)).size).toBe(recipients);
    expect(stored.runs).toEqual([
      { as_of: T, outcome: 'ok', summary: { week, recipients, sent: recipients } },
      { as_of: new Date(wednesday), outcome: 'ok', summary: { week, recipients, sent: 0 } },
    ]);
  });
});
