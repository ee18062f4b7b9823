import { Migrator, sql, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely';
import { PRIVILEGES, USER_TYPES } from '../domain/privileges.ts';
import { TOPICS, topicName } from '../domain/topics.ts';
import type { Db } from './database.ts';
import * as m0001 from './migrations/0001-initial.ts';
import * as m0002 from './migrations/0002-api-tokens-and-imports.ts';
import * as m0003 from './migrations/0003-access-review-details.ts';
import * as m0004 from './migrations/0004-lifecycle-schedule.ts';
import * as m0005 from './migrations/0005-admin-list-indexes.ts';
import * as m0006 from './migrations/0006-admin-list-search.ts';
import * as m0007 from './migrations/0007-review-bulk-decisions.ts';
import * as m0008 from './migrations/0008-scim-deprovisioned.ts';
import * as m0009 from './migrations/0009-passkeys.ts';
import * as m0010 from './migrations/0010-la-identity-providers.ts';
import * as m0011 from './migrations/0011-la-sign-in.ts';
import * as m0012 from './migrations/0012-passkey-sign-in.ts';
import * as m0013 from './migrations/0013-oidc-provider.ts';
import * as m0014 from './migrations/0014-oidc-backchannel-logout.ts';
import * as m0015 from './migrations/0015-oidc-client-keys.ts';

/** Migrations are imported, not read from a folder, so they run the same under tsx and in tests. */
const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': m0001,
  '0002-api-tokens-and-imports': m0002,
  '0003-access-review-details': m0003,
  '0004-lifecycle-schedule': m0004,
  '0005-admin-list-indexes': m0005,
  '0006-admin-list-search': m0006,
  '0007-review-bulk-decisions': m0007,
  '0008-scim-deprovisioned': m0008,
  '0009-passkeys': m0009,
  '0010-la-identity-providers': m0010,
  '0011-la-sign-in': m0011,
  '0012-passkey-sign-in': m0012,
  '0013-oidc-provider': m0013,
  '0014-oidc-backchannel-logout': m0014,
  '0015-oidc-client-keys': m0015,
};

/** In the order they run. */
export const MIGRATION_NAMES: readonly string[] = Object.keys(MIGRATIONS).sort();

const provider: MigrationProvider = { getMigrations: () => Promise.resolve(MIGRATIONS) };

export class MigrationError extends Error {}

/**
 * Whether the database has run exactly the migrations this program knows, no more, no fewer: one
 * cheap query, where Kysely's Migrator would introspect every table and take its lock (a few hundred
 * milliseconds of each start on PGlite).
 */
async function upToDate(db: Db): Promise<boolean> {
  const {
    rows: [table],
  } = await sql<{ name: string | null }>`select to_regclass('kysely_migration')::text as name`.execute(db);
  if (!table?.name) return false;
  const { rows } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db);
  return rows.length === MIGRATION_NAMES.length && rows.every((row, i) => row.name === MIGRATION_NAMES[i]);
}

export async function migrateToLatest(db: Db, topicNames: Readonly<Record<string, string>> = {}): Promise<string[]> {
  if (await upToDate(db)) {
    await syncCatalogue(db, topicNames);
    return [];
  }
  const migrator = new Migrator({ db, provider });
  const result: MigrationResultSet = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    throw new MigrationError(
      `Migration ${failed?.migrationName ?? '?'} failed: ${String((result.error as Error).message ?? result.error)}`,
    );
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
  const privileges = PRIVILEGES.map((p, position) => ({ code: p.code, label: p.label, position }));
  const types = USER_TYPES.map((t, position) => ({ code: t.code, label: t.label, position }));
  const defaults = USER_TYPES.flatMap((t) => t.defaults.map((privilege) => ({ user_type: t.code, privilege })));
  const topics = TOPICS.map((t, position) => ({
    code: t.code,
    name: topicName(t.code, topicNames),
    recommended: t.recommended,
    position,
  }));
  // One statement per table: every process start runs this.
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('privileges')
      .values(privileges)
      .onConflict((oc) =>
        oc
          .column('code')
          .doUpdateSet((eb) => ({ label: eb.ref('excluded.label'), position: eb.ref('excluded.position') }))
          .where((eb) =>
            eb.or([
              eb('privileges.label', 'is distinct from', eb.ref('excluded.label')),
              eb('privileges.position', 'is distinct from', eb.ref('excluded.position')),
            ]),
          ),
      )
      .execute();
    await trx
      .insertInto('user_types')
      .values(types)
      .onConflict((oc) =>
        oc
          .column('code')
          .doUpdateSet((eb) => ({ label: eb.ref('excluded.label'), position: eb.ref('excluded.position') }))
          .where((eb) =>
            eb.or([
              eb('user_types.label', 'is distinct from', eb.ref('excluded.label')),
              eb('user_types.position', 'is distinct from', eb.ref('excluded.position')),
            ]),
          ),
      )
      .execute();
    // Defaults the code no longer gives a type it knows are removed; new ones are added.
    await trx
      .deleteFrom('user_type_defaults')
      .where(
        'user_type',
        'in',
        types.map((t) => t.code),
      )
      .where((eb) =>
        eb.not(
          eb.or(defaults.map((d) => eb.and([eb('user_type', '=', d.user_type), eb('privilege', '=', d.privilege)]))),
        ),
      )
      .execute();
    await trx
      .insertInto('user_type_defaults')
      .values(defaults)
      .onConflict((oc) => oc.columns(['user_type', 'privilege']).doNothing())
      .execute();
    await trx
      .insertInto('communication_topics')
      .values(topics)
      .onConflict((oc) =>
        oc
          .column('code')
          .doUpdateSet((eb) => ({
            name: eb.ref('excluded.name'),
            recommended: eb.ref('excluded.recommended'),
            position: eb.ref('excluded.position'),
          }))
          .where((eb) =>
            eb.or([
              eb('communication_topics.name', 'is distinct from', eb.ref('excluded.name')),
              eb('communication_topics.recommended', 'is distinct from', eb.ref('excluded.recommended')),
              eb('communication_topics.position', 'is distinct from', eb.ref('excluded.position')),
            ]),
          ),
      )
      .execute();
  });
}
