import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { inject } from 'vitest';

/**
 * Puts the run's migrated database (test/support/database-template.ts) into an embedded DATA_DIR,
 * where connect() looks for it (`DATA_DIR/pglite`), so that the server or command that opens it
 * finds it migrated: initdb and every migration on disk cost several CPU-seconds a file, unpacking
 * the template a fraction of one. The opener still runs migrateToLatest, which then has nothing to
 * apply but the catalogue sync, as on any restart. Without a PGlite template (a run against
 * TEST_DATABASE_URL) it does nothing and the opener creates and migrates the database itself.
 */
export function unpackMigratedDatabase(dataDir: string): void {
  const file = inject('pgliteTemplateFile');
  if (!file) return;
  const target = path.join(dataDir, 'pglite');
  mkdirSync(target, { recursive: true });
  // The dump is a plain tar of PGlite's data directory (dumpDataDir('none')).
  const result = spawnSync('tar', ['-xf', file, '-C', target], { encoding: 'utf8' });
  if (result.status !== 0)
    throw new Error(`Could not unpack the migrated database into ${target}: ${result.stderr || result.error}`);
}
