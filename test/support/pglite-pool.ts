import { sql } from 'kysely';
import { connect, type DatabaseHandle } from '../../src/data/connect.ts';
import { withQueryHook } from './query-hook.ts';

/**
 * A worker's in-memory PGlite databases, used again by the next test file instead of opened
 * afresh: opening one from the run's migrated template (test-db.ts) costs about half a CPU-second
 * (untarring the data directory into PGlite's in-memory file system, starting PostgreSQL), a
 * reset about a tenth of that, and the database files open one or more each.
 *
 * A database goes back to the pool only when it is provably the template again: when its user
 * closes it, an open transaction is rolled back, the session's settings are reset, every table
 * the template has empty is truncated (identities restarted), and then a fingerprint of the whole
 * database (schema objects, functions, triggers, sequences, roles, settings, and every table's
 * rows) must equal the template's, taken from a database fresh from the template. Anything else
 * (a test that changed the schema or a reference table, left a temporary table, or still holds
 * the connection) and the database is closed instead, as before, and the next file gets a fresh
 * one. The closed handle itself refuses queries from then on.
 */

/** At most this many idle databases per worker; a file rarely holds more than one at a time. */
const MAX_IDLE = 2;
/** A reset that has not finished by then (the connection is still held) gives the database up. */
const RESET_WITHIN_MS = 5_000;

const idle: DatabaseHandle[] = [];
let templateFingerprint: string[] | undefined;
/** What the pool did in this worker, for its test (test/db/pglite-pool.test.ts). */
export const poolCounts = { opened: 0, reused: 0, discarded: 0 };

/** A database in the template's state: an idle one of this worker's, or a new one from `template`. */
export async function pooledPgliteDatabase(template: Blob): Promise<DatabaseHandle> {
  let raw = idle.pop();
  if (raw) {
    poolCounts.reused++;
  } else {
    raw = await connect({ pgliteDir: 'memory://', loadDataDir: template });
    poolCounts.opened++;
    templateFingerprint ??= await fingerprint(raw);
  }
  const handle = raw;
  let closed: Promise<void> | undefined;
  return {
    // Its user's view of the database stops working at close(), as a closed database would, so
    // that nothing a file leaves running reaches the next file's data.
    db: withQueryHook(handle.db, () => {
      if (closed) throw new Error('This test database was closed.');
    }),
    kind: handle.kind,
    ...(handle.dumpDataDir ? { dumpDataDir: () => handle.dumpDataDir!() } : {}),
    close() {
      closed ??= giveBack(handle);
      return closed;
    },
  };
}

async function giveBack(handle: DatabaseHandle): Promise<void> {
  if (idle.length < MAX_IDLE && (await resetsToTemplate(handle))) {
    idle.push(handle);
    return;
  }
  poolCounts.discarded++;
  await handle.close();
}

async function resetsToTemplate(handle: DatabaseHandle): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), RESET_WITHIN_MS)));
  try {
    return await Promise.race([reset(handle).then(() => fingerprint(handle)), timedOut]).then(
      (result) => result !== false && sameLines(result, templateFingerprint!),
      () => false,
    );
  } finally {
    clearTimeout(timer);
  }
}

function sameLines(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((line, i) => line === b[i]);
}

async function reset(handle: DatabaseHandle): Promise<void> {
  const { db } = handle;
  // Outside a transaction block these only warn; inside one (left open by a test) they end it.
  await sql`ROLLBACK`.execute(db);
  await sql`RESET ALL`.execute(db);
  await sql`UNLISTEN *`.execute(db);
  await sql`CLOSE ALL`.execute(db);
  // Statements a test prepared itself (PREPARE) and its sequences' currval/lastval: the fingerprint sees neither.
  await sql`DEALLOCATE ALL`.execute(db);
  await sql`DISCARD SEQUENCES`.execute(db);
  await sql`SELECT pg_advisory_unlock_all()`.execute(db);
  const tables = await publicTables(handle);
  if (!referenceTables) throw new Error('the pool has no fingerprint of the template yet');
  const toTruncate = tables.filter((t) => !referenceTables!.has(t));
  if (toTruncate.length > 0) await sql.raw(`TRUNCATE ${toTruncate.join(', ')} RESTART IDENTITY CASCADE`).execute(db);
}

/** The tables of the public schema, quoted for SQL, in name order. */
async function publicTables({ db }: DatabaseHandle): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    SELECT quote_ident(c.relname) AS name FROM pg_class c
    WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
    ORDER BY 1`.execute(db);
  return rows.map((r) => r.name);
}

/** Tables holding rows in a database fresh from the template (reference data: user types, privileges…). */
let referenceTables: Set<string> | undefined;

/** One digest of everything a test could leave behind in the database. */
async function fingerprint(handle: DatabaseHandle): Promise<string[]> {
  const { db } = handle;
  const tables = await publicTables(handle);
  const rows = tables.map(
    (t) =>
      `SELECT 'rows ${t} ' || count(*) || ' ' || coalesce(md5(string_agg(x::text, ',' ORDER BY x::text)), '') FROM ${t} x`,
  );
  const parts = [
    `SELECT 'rel ' || n.nspname || '.' || c.relname || ' ' || c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'`,
    `SELECT 'col ' || a.attrelid::regclass::text || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull
       || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '') FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
       WHERE c.relnamespace = 'public'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped`,
    `SELECT 'con ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
       WHERE connamespace = 'public'::regnamespace`,
    `SELECT 'idx ' || pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
       WHERE c.relnamespace = 'public'::regnamespace`,
    `SELECT 'trg ' || tgrelid::regclass::text || ' ' || tgname || ' ' || tgenabled::text FROM pg_trigger WHERE NOT tgisinternal`,
    `SELECT 'pol ' || polrelid::regclass::text || ' ' || polname FROM pg_policy`,
    `SELECT 'fn ' || p.oid::regprocedure::text || ' ' || md5(p.prosrc) FROM pg_proc p
       WHERE p.pronamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)`,
    `SELECT 'type ' || t.oid::regtype::text FROM pg_type t WHERE t.typnamespace = 'public'::regnamespace`,
    `SELECT 'seq ' || schemaname || '.' || sequencename || ' ' || coalesce(last_value::text, 'unused') || ' ' || concat_ws(' ',
       data_type, start_value, min_value, max_value, increment_by, cycle, cache_size) FROM pg_sequences`,
    `SELECT 'ext ' || extname || ' ' || extversion FROM pg_extension`,
    `SELECT 'role ' || rolname || ' ' || rolsuper FROM pg_roles`,
    `SELECT 'dbset ' || setdatabase || ' ' || setrole || ' ' || array_to_string(setconfig, ',') FROM pg_db_role_setting`,
    `SELECT 'set ' || name || '=' || setting FROM pg_settings WHERE source NOT IN ('default', 'override', 'configuration file', 'command line', 'environment variable')`,
    `SELECT 'who ' || current_user || ' ' || session_user || ' ' || current_setting('search_path')`,
    ...rows,
  ];
  const { rows: result } = await sql<{ x: string }>`${sql.raw(
    `SELECT x FROM (${parts.map((p) => `(${p})`).join(' UNION ALL ')}) AS s(x) ORDER BY x`,
  )}`.execute(db);
  if (!referenceTables) {
    const counts = await Promise.all(
      tables.map(async (t) => ({
        t,
        n: (await sql.raw<{ n: number }>(`SELECT count(*)::int AS n FROM ${t}`).execute(db)).rows[0]!.n,
      })),
    );
    referenceTables = new Set(counts.filter((c) => c.n > 0).map((c) => c.t));
  }
  return result.map((r) => r.x);
}
