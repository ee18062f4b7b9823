import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { DatabaseBusyError } from './data/connect.ts';
import { findOrganisationByCode } from './data/queries/account-queries.ts';
import { formatDemoAccounts, seedDemo, writeDemoAccountsFile, type DemoAccount } from './demo/seed-demo.ts';
import { systemClock } from './domain/clock.ts';
import { DomainError, ValidationError } from './domain/errors.ts';
import { generateTotp, TOTP_PERIOD_SECONDS } from './domain/totp.ts';
import { openRuntime, startServer, type Runtime } from './runtime.ts';
import { SecretBox } from './services/secrets.ts';
import { SYSTEM_CONTEXT } from './services/request-context.ts';

/** The `nexus-accounts` command line (R59). */

const SYSTEM = { kind: 'system', label: 'command line' } as const;

function demoFile(config: Config): string {
  return path.join(config.dataDir, 'demo-accounts.json');
}

function readDemoAccounts(config: Config): DemoAccount[] | undefined {
  const file = demoFile(config);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as DemoAccount[];
}

/** Seeds the demo on an empty database; returns whether it did. */
async function seedIfEmpty(runtime: Runtime, config: Config): Promise<DemoAccount[] | undefined> {
  const existing = await runtime.handle.db.selectFrom('organisations').select('id').limit(1).executeTakeFirst();
  if (existing) return undefined;
  const accounts = await seedDemo(runtime.handle.db, { now: systemClock.now(), secretBox: new SecretBox(config.secretKey), supportName: config.supportName });
  await writeDemoAccountsFile(config.dataDir, accounts);
  return accounts;
}

async function withRuntime<T>(config: Config, run: (runtime: Runtime) => Promise<T>): Promise<T> {
  const runtime = await openRuntime(config);
  try {
    return await run(runtime);
  } finally {
    await runtime.close();
  }
}

export function buildCli(): Command {
  const program = new Command('nexus-accounts')
    .description('Nexus Accounts: account administration for Local Authorities')
    .showHelpAfterError()
    .exitOverride();

  program.command('serve').description('migrate, seed the demo on an empty database, and serve the web pages').action(async () => {
    const started = performance.now();
    const config = loadConfig();
    const { buildAssets } = await import('../scripts/build-assets.ts');
    await buildAssets();
    // Seeding needs the database before the server opens it; one process, one handle.
    let seeded: DemoAccount[] | undefined;
    if (config.seedDemo) {
      seeded = await withRuntime(config, (runtime) => seedIfEmpty(runtime, config));
    }
    const demo = seeded ?? readDemoAccounts(config);
    const server = await startServer(config, { demo: demo !== undefined });
    if (demo) {
      console.log(`\nDemo accounts${seeded ? ' (just created)' : ''} — also in ${demoFile(config)}:\n`);
      console.log(formatDemoAccounts(demo));
      console.log('\nThe current two-factor code of a demo account: npx nexus-accounts demo-code USERNAME\n');
    }
    console.log(`Nexus Accounts is ready at ${config.baseUrl} (${server.runtime.handle.kind}; started in ${Math.round(performance.now() - started)} ms)`);
    const stop = async () => {
      await server.close();
      process.exit(0);
    };
    process.once('SIGINT', () => void stop());
    process.once('SIGTERM', () => void stop());
  });

  program.command('migrate').description('bring the database schema up to date').action(async () => {
    const config = loadConfig();
    await withRuntime(config, async () => {
      console.log('The database schema is up to date.');
    });
  });

  program.command('seed-demo').description('create the demo data on an empty database and print the demo accounts').action(async () => {
    const config = loadConfig();
    const seeded = await withRuntime(config, (runtime) => seedIfEmpty(runtime, config));
    if (!seeded) {
      console.log('The database already has data, so the demo was not created.');
      const known = readDemoAccounts(config);
      if (known) console.log(formatDemoAccounts(known));
      return;
    }
    console.log(formatDemoAccounts(seeded));
    console.log(`\nWritten to ${demoFile(config)}`);
  });

  program.command('create-admin')
    .description('create an LA administrator and email them an invitation (no password on the command line)')
    .requiredOption('--la <code>', 'three-digit DfE LA code, e.g. 202')
    .requiredOption('--username <username>')
    .requiredOption('--first-name <name>')
    .requiredOption('--last-name <name>')
    .requiredOption('--email <address>')
    .option('--job-title <title>')
    .action(async (options: { la: string; username: string; firstName: string; lastName: string; email: string; jobTitle?: string }) => {
      const config = loadConfig();
      await withRuntime(config, async (runtime) => {
        const organisation = await findOrganisationByCode(runtime.handle.db, options.la);
        if (!organisation) throw new ValidationError({ la: `No Local Authority has the code "${options.la}". Import the schools list first, or check the code.` });
        const account = await runtime.services.accounts.createAccount(SYSTEM, {
          organisationId: organisation.id,
          username: options.username,
          firstName: options.firstName,
          lastName: options.lastName,
          email: options.email,
          jobTitle: options.jobTitle,
          userType: 'la_admin',
        }, SYSTEM_CONTEXT);
        console.log(`Created ${account.username}, administrator of ${organisation.name}. An invitation has been emailed to ${account.email}.`);
        if (!config.smtpUrl) console.log(`(No SMTP is configured: the email is written under ${path.join(config.dataDir, 'mail')} when the server next runs.)`);
      });
    });

  program.command('demo-code').argument('<username>').description('print the current two-factor code of a demo account (demo data only)').action((username: string) => {
    const config = loadConfig();
    const accounts = readDemoAccounts(config);
    if (!accounts) throw new ValidationError({ username: `There is no demo data in ${config.dataDir}. Run "npm start" on an empty database first.` });
    const account = accounts.find((a) => a.username.toLowerCase() === username.trim().toLowerCase());
    if (!account) throw new ValidationError({ username: `"${username}" is not a demo account. Demo accounts: ${accounts.map((a) => a.username).join(', ')}` });
    const now = systemClock.now();
    const remaining = TOTP_PERIOD_SECONDS - Math.floor(now.getTime() / 1000) % TOTP_PERIOD_SECONDS;
    console.log(generateTotp(account.totpSecret, now));
    console.error(`(valid for another ${remaining} s)`);
  });

  return program;
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
    } else if (error instanceof DomainError || error instanceof ConfigError || error instanceof DatabaseBusyError) {
      console.error(error.message);
      process.exitCode = 2;
    } else {
      console.error(error);
      process.exitCode = 1;
    }
  }
}
