import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { connect, type DatabaseHandle } from '../../src/data/connect.ts';
import { migrateToLatest } from '../../src/data/migrate.ts';

/**
 * A fresh, migrated database for one test file: in-memory PGlite by default, or a new database
 * on the PostgreSQL server of TEST_DATABASE_URL, dropped again by `close()`.
 */
export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<DatabaseHandle & { url?: string }> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    const handle = await connect({ pgliteDir: 'memory://' });
    if (options.migrate !== false) await migrateToLatest(handle.db);
    return handle;
  }
  const name = `nexus_test_${Date.now()}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const handle = await connect({ databaseUrl: url.toString(), poolSize: 10 });
  if (options.migrate !== false) await migrateToLatest(handle.db);
  return {
    ...handle,
    url: url.toString(),
    async close() {
      await handle.close();
      const dropper = new pg.Client({ connectionString: serverUrl });
      await dropper.connect();
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await dropper.end();
    },
  };
}
