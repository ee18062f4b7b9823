import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { systemClock } from './domain/clock.ts';
import { DomainError, ValidationError } from './domain/errors.ts';
import { generateTotp, TOTP_PERIOD_SECONDS } from './domain/totp.ts';
import type { DemoAccount } from './demo/seed-demo.ts';
import type { JobSkipped } from './jobs/scheduler.ts';
import type { Runtime } from './runtime.ts';
import { SYSTEM_CONTEXT } from './services/request-context.ts';

/**
 * The `nexus-accounts` command line (R59). The database, the web server and the demo are
 * imported only by the commands that need them, so `demo-code` and the plain refusals
 * (database in use, bad input) answer quickly.
 */

const SYSTEM = { kind: 'system', label: 'command line' } as const;

/** A command that cannot do what was asked, for a reason the operator can fix: one line, exit 2. */
class CommandError extends DomainError {
  readonly status = 400;
}

const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/**
 * `--now`: an ISO 8601 date (midnight UTC) or date and time; a time without an offset is UTC,
 * like every date the lifecycle policy works in (R42). Impossible dates (31 February) are refused.
 */
export function parseNow(raw: string | undefined, fallback: () => Date = () => systemClock.now()): Date {
  if (raw === undefined) return fallback();
  const invalid = () =>
    new ValidationError({
      now: `--now must be a date or a date and time in ISO 8601, such as 2026-03-01 or 2026-03-01T02:00:00Z; got "${raw}"`,
    });
  const match = ISO_8601.exec(raw.trim());
  if (!match) throw invalid();
  const [, y, mo, d, h = '0', mi = '0', sec = '0', fraction = '0', zone = 'Z'] = match;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, sec].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > lastDay || hour > 23 || minute > 59 || second > 59) throw invalid();
  let offsetMinutes = 0;
  if (zone.toUpperCase() !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    const hours = Number(digits.slice(0, 2));
    const minutes = Number(digits.slice(2) || '0');
    if (hours > 14 || minutes > 59) throw invalid();
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
  }
  const ms = Number(fraction.slice(0, 3).padEnd(3, '0'));
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMinutes * 60_000);
}

/** `--days`: a whole number of days from 1 to 366. */
export function parseDays(raw: string | undefined, fallback = 30): number {
  if (raw === undefined) return fallback;
  const days = /^\s*\d{1,4}\s*$/.test(raw) ? Number(raw) : NaN;
  if (!(days >= 1 && days <= 366))
    throw new ValidationError({ days: `--days must be a whole number of days from 1 to 366; got "${raw}"` });
  return days;
}

function laCode(raw: string): string {
  if (!/^[0-9]{3}$/.test(raw.trim()))
    throw new ValidationError({
      la: `"${raw}" is not a Local Authority code: give the three-digit DfE code, e.g. 202.`,
    });
  return raw.trim();
}

/** Plain columns, padded to the widest cell. */
function table(headers: readonly string[], rows: readonly (readonly string[])[], indent = ''): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    indent + cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(headers), ...rows.map(line)].join('\n');
}

/** The FILE argument of an import, read whole (the import checks its size in rows). */
function readImportArgument(file: string): { name: string; bytes: Uint8Array } {
  try {
    return { name: path.basename(file), bytes: readFileSync(file) };
  } catch (error) {
    throw new CommandError(
      `Cannot read ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'there is no such file' : (error as Error).message}`,
    );
  }
}

/** Runs an import; a refused file prints every problem by line and column and exits 2. */
async function reportRejected<T>(run: () => Promise<T>): Promise<T | undefined> {
  const { ImportRejectedError } = await import('./domain/errors.ts');
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof ImportRejectedError)) throw error;
    console.error(`${error.message}. Nothing was imported.\n`);
    console.error(
      table(
        ['Line', 'Column', 'Problem'],
        error.problems.map((p) => [p.line === 0 ? '' : String(p.line), p.column, p.reason]),
      ),
    );
    process.exitCode = 2;
    return undefined;
  }
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "Camden (202)" for each organisation id. */
async function organisationLabels(runtime: Runtime): Promise<Map<number, string>> {
  const { listOrganisations } = await import('./data/queries/account-queries.ts');
  const rows = await listOrganisations(runtime.handle.db);
  return new Map(rows.map((o) => [o.id, o.la_code ? `${o.name} (${o.la_code})` : o.name]));
}

function refuseSkipped(job: string, skipped: JobSkipped): never {
  throw new CommandError(
    skipped.skipped === 'locked'
      ? `Another Nexus Accounts process is running the ${job} now, so this command did nothing. Try again when it has finished.`
      : `Another Nexus Accounts process has just run the ${job}, so this command did nothing.`,
  );
}

function demoFile(config: Config): string {
  return path.join(config.dataDir, 'demo-accounts.json');
}

function readDemoAccounts(config: Config): DemoAccount[] | undefined {
  const file = demoFile(config);
  if (!existsSync(file)) return undefined;
  try {
    const accounts: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (Array.isArray(accounts)) return accounts as DemoAccount[];
  } catch {
    // Reported below.
  }
  throw new ValidationError({
    file: `${file} is not a list of demo accounts. Delete it and run "nexus-accounts seed-demo" on an empty database.`,
  });
}

/** Seeds the demo on an empty database; returns the demo accounts when it did. */
async function seedIfEmpty(runtime: Runtime, config: Config): Promise<DemoAccount[] | undefined> {
  const { hasOrganisations } = await import('./data/queries/account-queries.ts');
  if (await hasOrganisations(runtime.handle.db)) return undefined;
  const [{ seedDemo, writeDemoAccountsFile }, { SecretBox }] = await Promise.all([
    import('./demo/seed-demo.ts'),
    import('./services/secrets.ts'),
  ]);
  const accounts = await seedDemo(runtime.handle.db, {
    now: runtime.services.clock.now(),
    secretBox: new SecretBox(config.secretKey),
    supportName: config.supportName,
    schedule: runtime.services.schedule,
  });
  await writeDemoAccountsFile(config.dataDir, accounts);
  return accounts;
}

async function withRuntime<T>(config: Config, run: (runtime: Runtime) => Promise<T>): Promise<T> {
  if (!config.databaseUrl) {
    // Refuse at once when the server holds the embedded database (connect() checks again, under the lock).
    const { DatabaseBusyError, embeddedLockOwner } = await import('./data/connect.ts');
    const owner = embeddedLockOwner(config.dataDir);
    if (owner !== undefined) throw new DatabaseBusyError(owner, config.dataDir);
  }
  const { openRuntime } = await import('./runtime.ts');
  const runtime = await openRuntime(config);
  try {
    return await run(runtime);
  } finally {
    await runtime.close();
  }
}

async function printDemoAccounts(accounts: readonly DemoAccount[]): Promise<void> {
  const { formatDemoAccounts } = await import('./demo/seed-demo.ts');
  console.log(formatDemoAccounts(accounts));
}

export function buildCli(): Command {
  const program = new Command('nexus-accounts')
    .description('Nexus Accounts: account administration for Local Authorities')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('serve')
    .description('migrate, seed the demo on an empty database, and serve the web pages')
    .action(async () => {
      const started = performance.now();
      const config = loadConfig();
      const { buildAssets } = await import('../scripts/build-assets.ts');
      await buildAssets();
      // One process, one database handle: the demo is seeded on the server's own runtime.
      let seeded: DemoAccount[] | undefined;
      let demo: DemoAccount[] | undefined;
      const { startServer } = await import('./runtime.ts');
      const server = await startServer(config, {
        prepare: async (runtime) => {
          if (config.seedDemo) seeded = await seedIfEmpty(runtime, config);
          // A damaged demo-accounts.json only costs the printed list, never the server.
          demo =
            seeded ??
            (() => {
              try {
                return readDemoAccounts(config);
              } catch {
                return undefined;
              }
            })();
          return { demo: demo !== undefined };
        },
      });
      if (demo) {
        console.log(`\nDemo accounts${seeded ? ' (just created)' : ''} — also in ${demoFile(config)}:\n`);
        await printDemoAccounts(demo);
        console.log('\nThe current two-factor code of a demo account: npx nexus-accounts demo-code USERNAME\n');
      }
      console.log(
        `Nexus Accounts is ready at ${config.baseUrl} (listening on ${server.url}; ${server.runtime.handle.kind}; started in ${Math.round(performance.now() - started)} ms)`,
      );
      let stopping = false;
      const stop = async () => {
        if (stopping) return;
        stopping = true;
        await server.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop());
      process.once('SIGTERM', () => void stop());
    });

  program
    .command('migrate')
    .description('bring the database schema up to date')
    .action(async () => {
      const config = loadConfig();
      await withRuntime(config, async () => {
        console.log('The database schema is up to date.');
      });
    });

  program
    .command('seed-demo')
    .description('create the demo data on an empty database and print the demo accounts')
    .action(async () => {
      const config = loadConfig();
      const seeded = await withRuntime(config, (runtime) => seedIfEmpty(runtime, config));
      if (!seeded) {
        console.log('The database already has data, so the demo was not created.');
        const known = readDemoAccounts(config);
        if (known) await printDemoAccounts(known);
        return;
      }
      await printDemoAccounts(seeded);
      console.log(`\nWritten to ${demoFile(config)}`);
    });

  program
    .command('create-admin')
    .description('create an LA administrator and email them an invitation (no password on the command line)')
    .requiredOption('--la <code>', 'three-digit DfE LA code, e.g. 202')
    .requiredOption('--username <username>')
    .requiredOption('--first-name <name>')
    .requiredOption('--last-name <name>')
    .requiredOption('--email <address>')
    .option('--job-title <title>')
    .action(
      async (options: {
        la: string;
        username: string;
        firstName: string;
        lastName: string;
        email: string;
        jobTitle?: string;
      }) => {
        const config = loadConfig();
        const input = {
          username: options.username,
          firstName: options.firstName,
          lastName: options.lastName,
          email: options.email,
          jobTitle: options.jobTitle,
          userType: 'la_admin',
        };
        // The fields are checked before the database is opened (the service checks them again).
        const { validateAccountFields } = await import('./domain/account-fields.ts');
        const { errors } = validateAccountFields(input, false);
        if (Object.keys(errors).length > 0) throw new ValidationError(errors);
        if (!/^[0-9]{3}$/.test(options.la))
          throw new ValidationError({
            la: `"${options.la}" is not a Local Authority code: give the three-digit DfE code, e.g. 202.`,
          });
        const [{ findOrganisationByCode }, { SYSTEM_CONTEXT }] = await Promise.all([
          import('./data/queries/account-queries.ts'),
          import('./services/request-context.ts'),
        ]);
        await withRuntime(config, async (runtime) => {
          const organisation = await findOrganisationByCode(runtime.handle.db, options.la);
          if (!organisation)
            throw new ValidationError({
              la: `No Local Authority has the code "${options.la}". Import the schools list first, or check the code.`,
            });
          const account = await runtime.services.accounts.createAccount(
            SYSTEM,
            { organisationId: organisation.id, ...input },
            SYSTEM_CONTEXT,
          );
          console.log(
            `Created ${account.username}, administrator of ${organisation.name}. An invitation has been emailed to ${account.email}.`,
          );
          if (!config.smtpUrl)
            console.log(
              `(No SMTP is configured: the email is written under ${path.join(config.dataDir, 'mail')} when the server next runs.)`,
            );
        });
      },
    );

  program
    .command('worker')
    .description(
      'PostgreSQL only: deliver email and run the nightly lifecycle job and the weekly digest (run one or more)',
    )
    .action(async () => {
      const config = loadConfig();
      if (!config.databaseUrl) {
        throw new CommandError(
          'No worker is needed in embedded mode: the server (nexus-accounts serve) delivers email and runs the nightly lifecycle job and the weekly digest itself. Workers are for PostgreSQL: set DATABASE_URL.',
        );
      }
      const [{ startWorker }, { scheduleOf }] = await Promise.all([
        import('./runtime.ts'),
        import('./jobs/scheduler.ts'),
      ]);
      const worker = await startWorker(config);
      const next = (job: 'lifecycle' | 'digest') => scheduleOf(config, job).nextRun()?.toISOString() ?? 'never';
      console.log(
        `Nexus Accounts worker started (pid ${process.pid}): delivering email ${config.smtpUrl ? 'by SMTP' : `as .eml files in ${path.join(config.dataDir, 'mail')}`}; ` +
          `lifecycle job "${config.lifecycle.schedule}" (next ${next('lifecycle')}), Admin Digest "${config.digest.schedule}" (next ${next('digest')}), in ${config.lifecycle.timezone}.`,
      );
      let stopping = false;
      const stop = async () => {
        if (stopping) return;
        stopping = true;
        await worker.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop());
      process.once('SIGTERM', () => void stop());
    });

  const lifecycle = program
    .command('lifecycle')
    .description('the automatic lifecycle: inactivity warnings, archiving, access end dates, deletion (R35–R41)');

  lifecycle
    .command('run')
    .description('run the lifecycle job now, as the nightly schedule does')
    .option('--now <iso>', 'run as of this time (ISO 8601; UTC unless an offset is given)')
    .option('--dry-run', 'only report what it would do; change nothing and send nothing')
    .action(async (options: { now?: string; dryRun?: boolean }) => {
      const now = parseNow(options.now);
      const config = loadConfig();
      const { runJobOnce, isSkipped } = await import('./jobs/scheduler.ts');
      await withRuntime(config, async (runtime) => {
        const result = await runJobOnce(runtime, 'lifecycle', { now, dryRun: options.dryRun ?? false });
        if (isSkipped(result)) refuseSkipped('lifecycle job', result);
        const labels = await organisationLabels(runtime);
        const { counts, items, failures, dryRun } = result;
        console.log(
          `Lifecycle run as of ${now.toISOString()}${dryRun ? ' (dry run: nothing was changed and no email was sent)' : ''}.\n`,
        );
        if (items.length === 0) {
          console.log(dryRun ? 'Nothing is due.' : 'Nothing was due.');
        } else {
          const date = now.toISOString().slice(0, 10);
          const rows = items
            .map((i) => [date, labels.get(i.organisationId) ?? String(i.organisationId), i.username, i.detail])
            .sort((a, b) => a[1]!.localeCompare(b[1]!) || a[2]!.localeCompare(b[2]!));
          console.log(table(['Date', 'LA', 'Username', 'Action'], rows));
          console.log('');
          const tally = dryRun
            ? `Would warn ${counts.warned}, archive ${counts.archived} for inactivity, end access for ${counts.accessEnded}, delete ${counts.deleted}.`
            : `Warned ${counts.warned}, archived ${counts.archived} for inactivity, ended access for ${counts.accessEnded}, deleted ${counts.deleted}; ${plural(counts.emails, 'email')} queued.`;
          console.log(tally);
        }
        if (failures.length > 0) {
          const usernames = new Map(items.map((i) => [i.accountId, i.username]));
          console.error(
            `\n${plural(failures.length, 'account')} failed and ${failures.length === 1 ? 'was' : 'were'} left unchanged; the next run tries again:`,
          );
          for (const f of failures) console.error(`  ${usernames.get(f.accountId) ?? f.accountId}: ${f.error}`);
          process.exitCode = 1;
        }
      });
    });

  lifecycle
    .command('preview')
    .description('list who will be warned, archived or deleted in the coming days, and when, if nobody signs in')
    .option('--days <n>', 'how many days ahead (1–366)', '30')
    .option('--now <iso>', 'start from this time instead of now (ISO 8601)')
    .option('--la <code>', 'only this Local Authority (three-digit DfE code)')
    .action(async (options: { days: string; now?: string; la?: string }) => {
      const now = parseNow(options.now);
      const days = parseDays(options.days);
      const code = options.la === undefined ? undefined : laCode(options.la);
      const config = loadConfig();
      const [{ findOrganisationByCode }, { addDays }] = await Promise.all([
        import('./data/queries/account-queries.ts'),
        import('./domain/calendar.ts'),
      ]);
      await withRuntime(config, async (runtime) => {
        const organisation = code === undefined ? undefined : await findOrganisationByCode(runtime.handle.db, code);
        if (code !== undefined && !organisation)
          throw new ValidationError({ la: `No Local Authority has the code "${code}".` });
        const events = await runtime.services.lifecycle.preview({ now, days, organisationId: organisation?.id });
        const labels = await organisationLabels(runtime);
        // "Monday 7 December 2026", in the schedule's time zone.
        const dayFormat = new Intl.DateTimeFormat('en-GB', {
          weekday: 'long',
          day: 'numeric',
          month: 'long',
          year: 'numeric',
          timeZone: config.lifecycle.timezone,
        });
        const day = { format: (date: Date) => dayFormat.format(date).replace(',', '') };
        const scope = organisation ? labels.get(organisation.id) : 'all Local Authorities';
        console.log(
          `Lifecycle events from ${day.format(now)} to ${day.format(addDays(now, days))} (${plural(days, 'day')}), ${scope}, if nobody signs in:\n`,
        );
        if (events.length === 0) {
          console.log(`Nothing is due in the next ${plural(days, 'day')}.`);
          return;
        }
        const groups = new Map<string, typeof events>();
        for (const event of events) {
          const key = day.format(event.date);
          groups.set(key, [...(groups.get(key) ?? []), event]);
        }
        for (const [date, group] of groups) {
          console.log(date);
          console.log(
            table(
              ['LA', 'Username', 'Name', 'Action'],
              group.map((e) => [
                labels.get(e.organisationId) ?? String(e.organisationId),
                e.username,
                e.name,
                e.detail,
              ]),
              '  ',
            ),
          );
          console.log('');
        }
        const count = (action: string) => events.filter((e) => e.action === action).length;
        console.log(
          `In all: ${plural(count('warn'), 'warning')}, ${plural(count('archive'), 'archive')}, ${plural(count('delete'), 'deletion')}.`,
        );
      });
    });

  program
    .command('digest')
    .description('the weekly Admin Digest (R47)')
    .command('send')
    .description("send this week's Admin Digest to every LA administrator who has not had it yet")
    .option('--now <iso>', 'send as of this time (ISO 8601): the digest of that week')
    .action(async (options: { now?: string }) => {
      const now = parseNow(options.now);
      const config = loadConfig();
      const { runJobOnce, isSkipped } = await import('./jobs/scheduler.ts');
      await withRuntime(config, async (runtime) => {
        const result = await runJobOnce(runtime, 'digest', { now });
        if (isSkipped(result)) refuseSkipped('Admin Digest', result);
        const { week, recipients, sent } = result;
        // This week's digests, read back from the outbox (its key ends with the ISO week).
        const { digestEmailsOfWeek } = await import('./data/queries/sent-email-queries.ts');
        const queued = await digestEmailsOfWeek(runtime.handle.db, week);
        const labels = await organisationLabels(runtime);
        console.log(
          `Admin Digest for week ${week} (as of ${now.toISOString()}): ${plural(recipients, 'recipient')}; ` +
            `${sent} sent now, ${recipients - sent} already had this week's digest.\n`,
        );
        if (queued.length > 0) {
          console.log(
            table(
              ['Recipient', 'Email', 'LA', 'Queued', 'Delivery'],
              queued.map((q) => [
                q.to_name ?? '',
                q.to_address,
                q.organisation_id === null ? '' : (labels.get(q.organisation_id) ?? ''),
                new Date(q.created_at).toISOString().slice(0, 16).replace('T', ' '),
                q.status,
              ]),
            ),
          );
        }
      });
    });

  program
    .command('schools')
    .description('schools and Local Authorities from Get Information about Schools (R58a)')
    .command('import')
    .argument('<file>', 'the GIAS establishment extract (CSV, as downloaded)')
    .description(
      'create or update LAs and schools from the GIAS establishment extract; importing the same file again changes nothing',
    )
    .action(async (file: string) => {
      const config = loadConfig();
      let bytes: Buffer;
      try {
        bytes = readFileSync(file);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw new ValidationError({
          file:
            code === 'ENOENT' ? `There is no file "${file}".` : `Cannot read "${file}" (${code ?? 'unknown error'}).`,
        });
      }
      const { SYSTEM_CONTEXT } = await import('./services/request-context.ts');
      await withRuntime(config, async (runtime) => {
        const r = await runtime.services.schoolImports.importFile(SYSTEM, { name: file, bytes }, SYSTEM_CONTEXT);
        console.log(`Imported ${r.fileName} (${plural(r.rowsRead, 'row')}, SHA-256 ${r.fileSha256}).`);
        console.log(`Local Authorities: ${r.organisationsCreated} created, ${r.organisationsUpdated} renamed.`);
        console.log(
          `Schools: ${r.schools.created} created, ${r.schools.updated} updated, ${r.schools.closed} closed, ${r.schools.unchanged} unchanged.`,
        );
        if (r.rowsSkipped > 0) {
          console.log(`${plural(r.rowsSkipped, 'row')} skipped:`);
          for (const p of r.problems) console.log(`  ${p.line === undefined ? '' : `Line ${p.line}: `}${p.message}`);
        }
      });
    });

  const users = program
    .command('users')
    .description('accounts of one Local Authority as CSV: import, import school assignments, export (R58, R26)');

  /** `users import` and `users import-schools`: read the file, import as the system, print what changed. */
  const importCommand = (
    name: string,
    file: string,
    description: string,
    run: (runtime: Runtime, la: string, upload: { name: string; bytes: Uint8Array }) => Promise<string>,
  ) =>
    users
      .command(name)
      .argument('<file>', file)
      .description(description)
      .requiredOption('--la <code>', 'three-digit DfE LA code, e.g. 202')
      .action(async (filePath: string, options: { la: string }) => {
        const code = laCode(options.la);
        const upload = readImportArgument(filePath);
        await withRuntime(loadConfig(), async (runtime) => {
          const report = await reportRejected(() => run(runtime, code, upload));
          if (report !== undefined) console.log(report);
        });
      });

  importCommand(
    'import',
    'CSV file: see the README for its columns, or download the template from Admin > Users > Import',
    'create every account of the file in one LA and email each an invitation; nothing is created unless every row is valid',
    async (runtime, la, upload) => {
      const { organisation, created } = await runtime.services.userImport.importAccounts(
        SYSTEM,
        la,
        upload,
        SYSTEM_CONTEXT,
      );
      return (
        `Imported ${plural(created.length, 'account')} into ${organisation.name}; each has been emailed an invitation.\n\n` +
        table(
          ['Username', 'Name', 'Email'],
          created.map((a) => [a.username, a.name, a.email]),
        )
      );
    },
  );

  importCommand(
    'import-schools',
    'CSV file with the columns username, urn, role',
    'termly re-assignment: every account named in the file gets exactly the schools the file lists for it',
    async (runtime, la, upload) => {
      const { organisation, accounts } = await runtime.services.userImport.importSchools(
        SYSTEM,
        la,
        upload,
        SYSTEM_CONTEXT,
      );
      return (
        `Replaced the schools of ${plural(accounts.length, 'account')} of ${organisation.name}.\n\n` +
        table(
          ['Username', 'Schools'],
          accounts.map((a) => [a.username, String(a.schools)]),
        )
      );
    },
  );

  users
    .command('export')
    .description('write the accounts of one LA to standard output as the CSV of Admin > Users > Export CSV')
    .requiredOption('--la <code>', 'three-digit DfE LA code, e.g. 202')
    .option('--status <status>', 'active (as the page shows by default), archived or all', 'active')
    .action(async (options: { la: string; status: string }) => {
      const code = laCode(options.la);
      const { parseUserListQuery } = await import('./domain/user-filters.ts');
      const { query, errors } = parseUserListQuery({ la: code, status: options.status });
      if (errors.status)
        throw new ValidationError({ status: `--status must be active, archived or all; got "${options.status}"` });
      if (Object.keys(errors).length > 0) throw new ValidationError(errors);
      const config = loadConfig();
      await withRuntime(config, async (runtime) => {
        // Written batch by batch as it is read, waiting when the pipe is full (memory stays flat).
        const { lines } = await runtime.services.directory.exportCsv(SYSTEM, query, SYSTEM_CONTEXT);
        for await (const chunk of lines) {
          if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
        }
      });
    });

  program
    .command('demo-code')
    .argument('<username>')
    .description('print the current two-factor code of a demo account (demo data only)')
    .action((username: string) => {
      const config = loadConfig();
      const accounts = readDemoAccounts(config);
      if (!accounts)
        throw new ValidationError({
          username: `There is no demo data in ${config.dataDir}. Run "npm start" on an empty database first.`,
        });
      const account = accounts.find((a) => a.username.toLowerCase() === username.trim().toLowerCase());
      if (!account)
        throw new ValidationError({
          username: `"${username}" is not a demo account. Demo accounts: ${accounts.map((a) => a.username).join(', ')}`,
        });
      const now = systemClock.now();
      const remaining = TOTP_PERIOD_SECONDS - (Math.floor(now.getTime() / 1000) % TOTP_PERIOD_SECONDS);
      console.log(generateTotp(account.totpSecret, now));
      console.error(`(valid for another ${remaining} s)`);
    });

  return program;
}

async function isDatabaseBusy(error: unknown): Promise<boolean> {
  const { DatabaseBusyError } = await import('./data/connect.ts');
  return error instanceof DatabaseBusyError;
}

/** Turns expected failures into one plain line and exit code 2; anything else is a bug (exit 1). */
export async function main(argv: string[]): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode;
      return;
    }
    if (error instanceof ValidationError) {
      console.error(Object.values(error.fields).join('\n') || error.message);
      process.exitCode = 2;
    } else if (error instanceof DomainError || error instanceof ConfigError || (await isDatabaseBusy(error))) {
      console.error((error as Error).message);
      process.exitCode = 2;
    } else {
      console.error(error);
      process.exitCode = 1;
    }
  }
}
