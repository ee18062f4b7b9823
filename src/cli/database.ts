import type { Config } from '../config.ts';
import type { Runtime } from '../runtime.ts';

/** The actor the command line acts as, in the audit log. */
export const SYSTEM = { kind: 'system', label: 'command line' } as const;

/** Opens the database and the services for one command, and closes them after it. */
export async function withRuntime<T>(config: Config, run: (runtime: Runtime) => Promise<T>): Promise<T> {
  if (!config.databaseUrl) {
    // Refuse at once when the server holds the embedded database (connect() checks again, under the lock).
    const { DatabaseBusyError, embeddedLockOwner } = await import('../data/connect.ts');
    const owner = embeddedLockOwner(config.dataDir);
    if (owner !== undefined) throw new DatabaseBusyError(owner, config.dataDir);
  }
  const { openRuntime } = await import('../runtime.ts');
  const runtime = await openRuntime(config);
  try {
    return await run(runtime);
  } finally {
    await runtime.close();
  }
}

/** "Camden (202)" for each organisation id. */
export async function organisationLabels(runtime: Runtime): Promise<Map<number, string>> {
  const { listOrganisations } = await import('../data/queries/account-queries.ts');
  const rows = await listOrganisations(runtime.handle.db);
  return new Map(rows.map((o) => [o.id, o.la_code ? `${o.name} (${o.la_code})` : o.name]));
}
