import type { Command } from 'commander';
import { loadConfig } from '../config.ts';
import { ValidationError } from '../domain/errors.ts';
import { laCode, parseDays, parseNow } from './arguments.ts';
import { organisationLabels, withRuntime } from './database.ts';
import { refuseSkipped } from './errors.ts';
import { plural, table } from './output.ts';

/** `lifecycle run` and `lifecycle preview` (R35–R41). */
export function addLifecycleCommands(program: Command): void {
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
      const { runJobOnce, isSkipped } = await import('../jobs/scheduler.ts');
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
        import('../data/queries/account-queries.ts'),
        import('../domain/calendar.ts'),
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
}
