import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config.ts';
import { ValidationError } from '../domain/errors.ts';
import type { Runtime } from '../runtime.ts';
import { SYSTEM_CONTEXT } from '../services/request-context.ts';
import { laCode } from './arguments.ts';
import { SYSTEM, withRuntime } from './database.ts';
import { CommandError } from './errors.ts';
import { importProgress, plural, table } from './output.ts';
import type { ImportProgress } from '../services/imports/import-progress.ts';

/** Accounts from the command line: the first administrator of an LA, and an LA's accounts as CSV. */

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

/** What an import left out of the file (columns it does not know), a paragraph each. */
const noticeLines = (notices: readonly string[]) => notices.map((n) => `${n}\n\n`).join('');

/** Runs an import; a refused file prints every problem by line and column and exits 2. */
async function reportRejected<T>(run: () => Promise<T>): Promise<T | undefined> {
  const { ImportRejectedError } = await import('../domain/errors.ts');
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
    if (error.notices.length > 0) console.error(`\n${error.notices.join('\n')}`);
    process.exitCode = 2;
    return undefined;
  }
}

/** `create-admin`: an LA administrator, invited by email. */
export function addCreateAdminCommand(program: Command): void {
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
        const { validateAccountFields } = await import('../domain/account-fields.ts');
        const { errors } = validateAccountFields(input, false);
        if (Object.keys(errors).length > 0) throw new ValidationError(errors);
        if (!/^[0-9]{3}$/.test(options.la))
          throw new ValidationError({
            la: `"${options.la}" is not a Local Authority code: give the three-digit DfE code, e.g. 202.`,
          });
        const [{ findOrganisationByCode }, { SYSTEM_CONTEXT }] = await Promise.all([
          import('../data/queries/account-queries.ts'),
          import('../services/request-context.ts'),
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
}

/** `users import`, `users import-schools` and `users export` (R58, R26). */
export function addUsersCommands(program: Command): void {
  const users = program
    .command('users')
    .description('accounts of one Local Authority as CSV: import, import school assignments, export (R58, R26)');

  /** `users import` and `users import-schools`: read the file, import as the system, print what changed. */
  const importCommand = (
    name: string,
    file: string,
    description: string,
    run: (
      runtime: Runtime,
      la: string,
      upload: { name: string; bytes: Uint8Array },
      progress: ImportProgress,
    ) => Promise<string>,
    progressLabel: string,
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
          // On a terminal only (standard error); ended before the report or the problems are printed.
          const progress = importProgress(progressLabel);
          const report = await reportRejected(() => run(runtime, code, upload, progress.report).finally(progress.done));
          if (report !== undefined) console.log(report);
        });
      });

  importCommand(
    'import',
    'CSV file: see the README for its columns, or download the template from Admin > Users > Import',
    'create every account of the file in one LA and email each an invitation; nothing is created unless every row is valid',
    async (runtime, la, upload, progress) => {
      const { organisation, created, notices } = await runtime.services.userImport.importAccounts(
        SYSTEM,
        la,
        upload,
        SYSTEM_CONTEXT,
        progress,
      );
      return (
        `Imported ${plural(created.length, 'account')} into ${organisation.name}; each has been emailed an invitation.\n\n` +
        noticeLines(notices) +
        table(
          ['Username', 'Name', 'Email'],
          created.map((a) => [a.username, a.name, a.email]),
        )
      );
    },
    'Importing accounts',
  );

  importCommand(
    'import-schools',
    'CSV file with the columns username, urn, role',
    'termly re-assignment: every account named in the file gets exactly the schools the file lists for it',
    async (runtime, la, upload, progress) => {
      const { organisation, accounts, notices } = await runtime.services.userImport.importSchools(
        SYSTEM,
        la,
        upload,
        SYSTEM_CONTEXT,
        progress,
      );
      return (
        `Replaced the schools of ${plural(accounts.length, 'account')} of ${organisation.name}.\n\n` +
        noticeLines(notices) +
        table(
          ['Username', 'Schools'],
          accounts.map((a) => [a.username, String(a.schools)]),
        )
      );
    },
    'Importing school assignments',
  );

  users
    .command('export')
    .description('write the accounts of one LA to standard output as the CSV of Admin > Users > Export CSV')
    .requiredOption('--la <code>', 'three-digit DfE LA code, e.g. 202')
    .option('--status <status>', 'active (as the page shows by default), archived or all', 'active')
    .option(
      '--format <format>',
      'list: the columns of Admin > Users; import: the columns of the import file, as Export CSV for import',
      'list',
    )
    .action(async (options: { la: string; status: string; format: string }) => {
      const code = laCode(options.la);
      if (options.format !== 'list' && options.format !== 'import')
        throw new ValidationError({ format: `--format must be list or import; got "${options.format}"` });
      const format = options.format;
      const { parseUserListQuery } = await import('../domain/user-filters.ts');
      const { query, errors } = parseUserListQuery({ la: code, status: options.status });
      if (errors.status)
        throw new ValidationError({ status: `--status must be active, archived or all; got "${options.status}"` });
      if (Object.keys(errors).length > 0) throw new ValidationError(errors);
      const config = loadConfig();
      await withRuntime(config, async (runtime) => {
        // Written batch by batch as it is read, waiting when the pipe is full (memory stays flat).
        const { lines } = await runtime.services.directory.exportCsv(SYSTEM, query, SYSTEM_CONTEXT, format);
        for await (const chunk of lines) {
          if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
        }
      });
    });
}
