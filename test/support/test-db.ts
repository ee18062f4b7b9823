import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { inject } from 'vitest';
import { connect, type DatabaseHandle } from '../../src/data/connect.ts';
import { migrateToLatest } from '../../src/data/migrate.ts';
import { adminQuery } from './database-template.ts';
import { pooledPgliteDatabase } from './pglite-pool.ts';

/** The migrated template of this run (test/support/database-template.ts), read once per worker. */
let pgliteTemplate: Blob | undefined;
function migratedPgliteTemplate(): Blob | undefined {
  const file = inject('pgliteTemplateFile');
  if (!file) return undefined;
  pgliteTemplate ??= new Blob([readFileSync(file)]);
  return pgliteTemplate;
}

/**
 * A fresh, migrated database for one test file: in-memory PGlite by default, or a new database
 * on the PostgreSQL server of TEST_DATABASE_URL, dropped again by `close()`. Both are copies of the
 * run's migrated template when there is one (on PGlite, possibly one a previous file of this worker
 * used, reset to the template and checked: test/support/pglite-pool.ts; NEXUS_TEST_DB_POOL=0 opens a
 * new copy of the template every time); `{ migrate: false }` gives an empty database.
 */
export async function createTestDatabase(
  options: { migrate?: boolean } = {},
): Promise<DatabaseHandle & { url?: string }> {
  const migrate = options.migrate !== false;
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) return pgliteTestDatabase(migrate ? migratedPgliteTemplate() : undefined, migrate);
  const name = `nexus_test_${Date.now()}_${randomBytes(4).toString('hex')}`;
  const template = migrate ? inject('postgresTemplateDatabase') : undefined;
  await createDatabase(serverUrl, name, template);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const handle = await connect({ databaseUrl: url.toString(), poolSize: 10 });
  if (migrate && !template) await migrateToLatest(handle.db);
  return {
    ...handle,
    url: url.toString(),
    async close() {
      await handle.close();
      await adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/**
 * An in-memory PGlite database: from the pool when there is a template and NEXUS_TEST_DB_POOL is not
 * 0, a new copy of the template otherwise, migrated from nothing only when there is no template.
 */
export async function pgliteTestDatabase(template: Blob | undefined, migrate: boolean): Promise<DatabaseHandle> {
  if (template && process.env.NEXUS_TEST_DB_POOL !== '0') return pooledPgliteDatabase(template);
  const handle = await connect({ pgliteDir: 'memory://', ...(template ? { loadDataDir: template } : {}) });
  if (migrate && !template) await migrateToLatest(handle.db);
  return handle;
}

/** CREATE DATABASE, from the template when given; retried while another copy of it is being made. */
async function createDatabase(serverUrl: string, name: string, template: string | undefined): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await adminQuery(
        serverUrl,
        template ? `CREATE DATABASE ${name} TEMPLATE ${template}` : `CREATE DATABASE ${name}`,
      );
      return;
    } catch (error) {
      // "source database is being accessed by other users": two files copying the template at once.
      if ((error as { code?: string }).code !== '55006' || attempt >= 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}
