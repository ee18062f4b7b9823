import { CommanderError } from 'commander';
import { ConfigError } from '../config.ts';
import { DomainError, ValidationError } from '../domain/errors.ts';
import type { JobSkipped } from '../jobs/scheduler.ts';

/** A command that cannot do what was asked, for a reason the operator can fix: one line, exit 2. */
export class CommandError extends DomainError {
  readonly status = 400;
}

/** A scheduled job another process holds or has just run: the command did nothing (exit 2). */
export function refuseSkipped(job: string, skipped: JobSkipped): never {
  throw new CommandError(
    skipped.skipped === 'locked'
      ? `Another Nexus Accounts process is running the ${job} now, so this command did nothing. Try again when it has finished.`
      : `Another Nexus Accounts process has just run the ${job}, so this command did nothing.`,
  );
}

async function isDatabaseBusy(error: unknown): Promise<boolean> {
  const { DatabaseBusyError } = await import('../data/connect.ts');
  return error instanceof DatabaseBusyError;
}

/** Turns expected failures into one plain line and exit code 2; anything else is a bug (exit 1). */
export async function reportFailure(error: unknown): Promise<void> {
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
