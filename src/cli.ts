import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { systemClock } from './domain/clock.ts';
import { DomainError, ValidationError } from './domain/errors.ts';
import { generateTotp, TOTP_PERIOD_SECONDS } from './domain/totp.ts';
import type { DemoAccount } from './demo/seed-demo.ts';
import type { Runtime } from './runtime.ts';

/**
 * The `nexus-accounts` command line (R59). The database, the web server and the demo are
 * imported only by the commands that need them, so `demo-code` and the plain refusals
 * (database in use, bad input) answer quickly.
 */

const SYSTEM = { kind: 'system', label: 'command line' } as const;

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
  throw new ValidationError({ file: `${file} is not a list of demo accounts. Delete it and run "nexus-accounts seed-demo" on an empty database.` });
}

/** Seeds the demo on an empty database; returns the demo accounts when it did. */
async function seedIfEmpty(runtime: Runtime, config: Config): Promise<DemoAccount[] | undefined> {
  const existing = await runtime.handle.db.selectFrom('organisations').select('id').limit(1).executeTakeFirst();
  if (existing) return undefined;
  const [{ seedDemo, writeDemoAccountsFile }, { SecretBox }] = await Promise.all([import('./demo/seed-demo.ts'), import('./services/secrets.ts')]);
  const accounts = await seedDemo(runtime.handle.db, { now: systemClock.now(), secretBox: new SecretBox(config.secretKey), supportName: config.supportName });
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

  program.command('serve').description('migrate, seed the demo on an empty database, and serve the web pages').action(async () => {
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
        demo = seeded ?? (() => {
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
    console.log(`Nexus Accounts is ready at ${config.baseUrl} (listening on ${server.url}; ${server.runtime.handle.kind}; started in ${Math.round(performance.now() - started)} ms)`);
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
      if (known) await printDemoAccounts(known);
      return;
    }
    await printDemoAccounts(seeded);
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
      if (!/^[0-9]{3}$/.test(options.la)) throw new ValidationError({ la: `"${options.la}" is not a Local Authority code: give the three-digit DfE code, e.g. 202.` });
      const [{ findOrganisationByCode }, { SYSTEM_CONTEXT }] = await Promise.all([import('./data/queries/account-queries.ts'), import('./services/request-context.ts')]);
      await withRuntime(config, async (runtime) => {
        const organisation = await findOrganisationByCode(runtime.handle.db, options.la);
        if (!organisation) throw new ValidationError({ la: `No Local Authority has the code "${options.la}". Import the schools list first, or check the code.` });
        const account = await runtime.services.accounts.createAccount(SYSTEM, { organisationId: organisation.id, ...input }, SYSTEM_CONTEXT);
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
