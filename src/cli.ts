import { Command } from 'commander';
import { addDemoCodeCommand, addSeedDemoCommand } from './cli/demo-commands.ts';
import { addDigestCommands } from './cli/digest-commands.ts';
import { reportFailure } from './cli/errors.ts';
import { addLifecycleCommands } from './cli/lifecycle-commands.ts';
import { addSchoolsCommands } from './cli/schools-commands.ts';
import { addOidcCommands } from './cli/oidc-commands.ts';
import { addMigrateCommand, addServeCommand, addWorkerCommand } from './cli/server-commands.ts';
import { addCreateAdminCommand, addUsersCommands } from './cli/users-commands.ts';

/**
 * The `nexus-accounts` command line (R59); each command group is in src/cli/. The database, the
 * web server and the demo are imported only by the commands that need them (`await import(…)`
 * inside the actions), so `demo-code` and the plain refusals (database in use, bad input) answer
 * quickly: a module imported at the top of this file or of src/cli/ must stay light.
 */

export function buildCli(): Command {
  const program = new Command('nexus-accounts')
    .description('Nexus Accounts: account administration for Local Authorities')
    .showHelpAfterError()
    .exitOverride();
  // In the order `--help` lists them.
  addServeCommand(program);
  addMigrateCommand(program);
  addSeedDemoCommand(program);
  addCreateAdminCommand(program);
  addWorkerCommand(program);
  addLifecycleCommands(program);
  addDigestCommands(program);
  addSchoolsCommands(program);
  addUsersCommands(program);
  addOidcCommands(program);
  addDemoCodeCommand(program);
  return program;
}

/** Runs the command line: expected failures print one plain line and exit 2, anything else exits 1. */
export async function main(argv: string[]): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (error) {
    await reportFailure(error);
  }
}
