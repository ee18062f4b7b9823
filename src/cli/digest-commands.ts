import type { Command } from 'commander';
import { loadConfig } from '../config.ts';
import { parseNow } from './arguments.ts';
import { organisationLabels, withRuntime } from './database.ts';
import { refuseSkipped } from './errors.ts';
import { plural, table } from './output.ts';

/** `digest send`: the weekly Admin Digest (R47). */
export function addDigestCommands(program: Command): void {
  program
    .command('digest')
    .description('the weekly Admin Digest (R47)')
    .command('send')
    .description("send this week's Admin Digest to every LA administrator who has not had it yet")
    .option('--now <iso>', 'send as of this time (ISO 8601): the digest of that week')
    .action(async (options: { now?: string }) => {
      const now = parseNow(options.now);
      const config = loadConfig();
      const { runJobOnce, isSkipped } = await import('../jobs/scheduler.ts');
      await withRuntime(config, async (runtime) => {
        const result = await runJobOnce(runtime, 'digest', { now });
        if (isSkipped(result)) refuseSkipped('Admin Digest', result);
        const { week, recipients, sent } = result;
        // This week's digests, read back from the outbox (its key ends with the ISO week).
        const { digestEmailsOfWeek } = await import('../data/queries/sent-email-queries.ts');
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
}
