import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.ts';
import { ValidationError } from '../domain/errors.ts';
import type { DemoAccount } from '../demo/seed-demo.ts';
import type { Runtime } from '../runtime.ts';

/** The demo accounts: seeded on an empty database, listed in DATA_DIR/demo-accounts.json. */

export function demoFile(config: Config): string {
  return path.join(config.dataDir, 'demo-accounts.json');
}

export function readDemoAccounts(config: Config): DemoAccount[] | undefined {
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
export async function seedIfEmpty(runtime: Runtime, config: Config): Promise<DemoAccount[] | undefined> {
  const { hasOrganisations } = await import('../data/queries/account-queries.ts');
  if (await hasOrganisations(runtime.handle.db)) return undefined;
  const [{ seedDemo, writeDemoAccountsFile }, { SecretBox }] = await Promise.all([
    import('../demo/seed-demo.ts'),
    import('../services/sign-in/secrets.ts'),
  ]);
  const accounts = await seedDemo(runtime.handle.db, {
    now: runtime.services.clock.now(),
    secretBox: new SecretBox(config.secretKey),
    supportName: config.supportName,
    schedule: runtime.services.schedule,
  });
  await writeDemoAccountsFile(config.dataDir, accounts);
  await registerDemoApplications(runtime, config);
  return accounts;
}

/**
 * The demo's example application (examples/reporting-app), registered unless DATA_DIR already
 * names its registration: also for a demo seeded before the example existed.
 */
export async function registerDemoApplications(runtime: Runtime, config: Config): Promise<string> {
  const { registerExampleApplication } = await import('../demo/example-application.ts');
  return (await registerExampleApplication(runtime.services, config)).file;
}

export async function printDemoAccounts(accounts: readonly DemoAccount[]): Promise<void> {
  const { formatDemoAccounts } = await import('../demo/seed-demo.ts');
  console.log(formatDemoAccounts(accounts));
}
