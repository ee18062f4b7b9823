import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { connect } from '../../src/data/connect.ts';
import { migrateToLatest } from '../../src/data/migrate.ts';

/**
 * Global setup of the database suites: migrates one database per run, which every test file then
 * clones (PGlite: a dumped data directory loaded into memory; PostgreSQL: CREATE DATABASE …
 * TEMPLATE), instead of each file running initdb and the migrations itself — the largest fixed
 * cost of a database test file. Built afresh each run, so it can never be stale.
 */
declare module 'vitest' {
  export interface ProvidedContext {
    /** File holding a migrated PGlite data directory (tar), when the suites run on PGlite. */
    pgliteTemplateFile: string | undefined;
    /** Name of a migrated template database on TEST_DATABASE_URL's server, when set. */
    postgresTemplateDatabase: string | undefined;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    const handle = await connect({ pgliteDir: 'memory://' });
    await migrateToLatest(handle.db);
    const dump = await handle.dumpDataDir!();
    await handle.close();
    const dir = mkdtempSync(path.join(tmpdir(), 'nexus-template-'));
    const file = path.join(dir, 'migrated.tar');
    writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
    project.provide('pgliteTemplateFile', file);
    project.provide('postgresTemplateDatabase', undefined);
    return () => rm(dir, { recursive: true, force: true });
  }

  const name = `nexus_template_${Date.now()}_${randomBytes(4).toString('hex')}`;
  await adminQuery(serverUrl, `CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const handle = await connect({ databaseUrl: url.toString(), poolSize: 1 });
  try {
    await migrateToLatest(handle.db);
  } finally {
    await handle.close();
  }
  project.provide('pgliteTemplateFile', undefined);
  project.provide('postgresTemplateDatabase', name);
  return async () => adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

export async function adminQuery(serverUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
