import { Migrator, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely';
import { PRIVILEGES, USER_TYPES } from '../domain/privileges.ts';
import { TOPICS, topicName } from '../domain/topics.ts';
import type { Db } from './database.ts';
import * as m0001 from './migrations/0001-initial.ts';

/** Migrations are imported, not read from a folder, so they run the same under tsx and in tests. */
const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': m0001,
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

export class MigrationError extends Error {}

export async function migrateToLatest(db: Db, topicNames: Readonly<Record<string, string>> = {}): Promise<string[]> {
  const migrator = new Migrator({ db, provider });
  const result: MigrationResultSet = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    throw new MigrationError(`Migration ${failed?.migrationName ?? '?'} failed: ${String((result.error as Error).message ?? result.error)}`);
  }
  await syncCatalogue(db, topicNames);
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/**
 * Copies the catalogue of src/domain into its tables, so foreign keys refuse codes the program
 * does not know. Idempotent: a second run writes nothing at all (rows are only updated when a
 * label differs, defaults only inserted or removed when they changed), so starting the service
 * does not churn the catalogue rows. The upserts lock the rows they meet, which serialises
 * several processes starting at once on one PostgreSQL server.
 */
export async function syncCatalogue(db: Db, topicNames: Readonly<Record<string, string>> = {}): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (const [position, p] of PRIVILEGES.entries()) {
      await trx.insertInto('privileges').values({ code: p.code, label: p.label, position })
        .onConflict((oc) => oc.column('code').doUpdateSet({ label: p.label, position })
          .where((eb) => eb.or([eb('privileges.label', 'is distinct from', p.label), eb('privileges.position', 'is distinct from', position)])))
        .execute();
    }
    for (const [position, t] of USER_TYPES.entries()) {
      await trx.insertInto('user_types').values({ code: t.code, label: t.label, position })
        .onConflict((oc) => oc.column('code').doUpdateSet({ label: t.label, position })
          .where((eb) => eb.or([eb('user_types.label', 'is distinct from', t.label), eb('user_types.position', 'is distinct from', position)])))
        .execute();
      await trx.deleteFrom('user_type_defaults').where('user_type', '=', t.code).where('privilege', 'not in', [...t.defaults]).execute();
      await trx.insertInto('user_type_defaults').values(t.defaults.map((privilege) => ({ user_type: t.code, privilege })))
        .onConflict((oc) => oc.columns(['user_type', 'privilege']).doNothing()).execute();
    }
    for (const [position, t] of TOPICS.entries()) {
      const name = topicName(t.code, topicNames);
      await trx.insertInto('communication_topics').values({ code: t.code, name, recommended: t.recommended, position })
        .onConflict((oc) => oc.column('code').doUpdateSet({ name, recommended: t.recommended, position })
          .where((eb) => eb.or([
            eb('communication_topics.name', 'is distinct from', name),
            eb('communication_topics.recommended', 'is distinct from', t.recommended),
            eb('communication_topics.position', 'is distinct from', position),
          ])))
        .execute();
    }
  });
}
