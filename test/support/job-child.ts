/**
 * A worker process for the exactly-once tests, run as `node --import tsx test/support/job-child.ts`:
 * it runs the lifecycle job as of JOB_NOW, then delivers the outbox over SMTP until nothing is
 * pending (rows claimed by a killed process come back when their lease ends). The tests SIGKILL
 * it at random moments and start another.
 *
 * Environment: DATABASE_URL (PostgreSQL, already migrated), SMTP_URL, SECRET_KEY, JOB_NOW (ISO),
 * LEASE_SECONDS (may be fractional), BATCH_SIZE, and the usual configuration variables.
 * Progress goes to stdout one line at a time: `ready`, `job <counts as JSON>`, `sent <n>`, `done`.
 *
 * With WAIT_FOR_GO=1 it loads its modules, prints `loaded`, and does one round (job, then
 * delivery, then `done`) for each line read on standard input, like a long-running worker woken
 * by its schedule; it exits 0 when standard input ends. A test can so keep the next process
 * loaded while the current one works, and a restart after SIGKILL does not wait for loading.
 * Without it, the process does one round and exits.
 */
import { createInterface } from 'node:readline';
import { sql } from 'kysely';
// Loaded before the first round (connect() imports the driver lazily), so that a round starts at once.
import 'pg';
import { loadConfig } from '../../src/config.ts';
import { connect } from '../../src/data/connect.ts';
import { systemClock } from '../../src/domain/clock.ts';
import { createLifecycleService } from '../../src/services/lifecycle/lifecycle-service.ts';
import { lifecycleSchedule } from '../../src/services/lifecycle/schedule.ts';
import { DEFAULT_DELIVERY, deliverDueEmails } from '../../src/mail/deliver.ts';
import { smtpTransport } from '../../src/mail/transports.ts';
import { SecretBox } from '../../src/services/sign-in/secrets.ts';

const say = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<number> {
  const waitForGo = process.env.WAIT_FOR_GO === '1';
  const goes = waitForGo ? createInterface({ input: process.stdin })[Symbol.asyncIterator]() : undefined;
  const nextGo = async () => (goes ? !(await goes.next()).done : false);
  if (goes) {
    say('loaded');
    if (!(await nextGo())) return 0;
  }

  const config = loadConfig(process.env);
  if (!config.databaseUrl || !config.smtpUrl) throw new Error('job-child needs DATABASE_URL and SMTP_URL');
  const now = new Date(process.env.JOB_NOW ?? '');
  if (Number.isNaN(now.getTime())) throw new Error('job-child needs JOB_NOW');
  const options = {
    ...DEFAULT_DELIVERY,
    from: config.mailFrom,
    leaseSeconds: Number(process.env.LEASE_SECONDS ?? DEFAULT_DELIVERY.leaseSeconds),
    batchSize: Number(process.env.BATCH_SIZE ?? DEFAULT_DELIVERY.batchSize),
  };

  const handle = await connect({ databaseUrl: config.databaseUrl, poolSize: 3 });
  // Built as createServices builds it (without loading every other service: restarts stay quick).
  const lifecycle = createLifecycleService({
    db: handle.db,
    clock: systemClock,
    config,
    secretBox: new SecretBox(config.secretKey),
    schedule: lifecycleSchedule(config),
  });
  const transport = smtpTransport(config.smtpUrl);
  try {
    await sql`SELECT 1`.execute(handle.db);
    say('ready');
    do {
      const result = await lifecycle.run({ now });
      say(`job ${JSON.stringify(result.counts)}`);
      if (result.failures.length > 0) {
        process.stderr.write(`lifecycle failures: ${JSON.stringify(result.failures)}\n`);
        return 2;
      }
      for (;;) {
        const sent = await deliverDueEmails(handle.db, systemClock, transport, options);
        if (sent > 0) say(`sent ${sent}`);
        const { pending } = await handle.db
          .selectFrom('email_outbox')
          .select((eb) => eb.fn.countAll<string>().as('pending'))
          .where('status', '=', 'pending')
          .executeTakeFirstOrThrow();
        if (Number(pending) === 0) break;
        if (sent === 0) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      say('done');
    } while (await nextGo());
    return 0;
  } finally {
    transport.close();
    await handle.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`job-child failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
