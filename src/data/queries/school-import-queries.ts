import { sql } from 'kysely';
import type { GiasLa, GiasSchool } from '../../domain/gias.ts';
import type { Executor } from '../database.ts';

/**
 * Set-based writes for the GIAS import: each statement takes the whole extract as arrays
 * (`unnest`), so 50,000 schools cost a handful of round trips, not 50,000.
 */

export interface LaCounts {
  created: number;
  updated: number;
  /** organisation id by LA code, for every LA of the extract. */
  ids: Map<string, number>;
}

export async function upsertLas(db: Executor, las: readonly GiasLa[], now: Date): Promise<LaCounts> {
  if (las.length === 0) return { created: 0, updated: 0, ids: new Map() };
  const codes = las.map((l) => l.code);
  const names = las.map((l) => l.name);
  const { rows } = await sql<{ id: number; la_code: string; change: 'created' | 'updated' | 'unchanged' }>`
    WITH incoming AS (SELECT * FROM unnest(${codes}::text[], ${names}::text[]) AS t(la_code, name)),
    renamed AS (
      UPDATE organisations o SET name = i.name FROM incoming i
      WHERE o.kind = 'la' AND o.la_code = i.la_code AND o.name <> i.name
      RETURNING o.id, o.la_code),
    created AS (
      INSERT INTO organisations (kind, la_code, name, created_at)
      SELECT 'la', i.la_code, i.name, ${now} FROM incoming i
      WHERE NOT EXISTS (SELECT 1 FROM organisations o WHERE o.la_code = i.la_code)
      ORDER BY i.la_code
      RETURNING id, la_code)
    SELECT id, la_code, 'created' AS change FROM created
    UNION ALL SELECT id, la_code, 'updated' FROM renamed
    UNION ALL SELECT o.id, o.la_code, 'unchanged' FROM organisations o JOIN incoming i ON i.la_code = o.la_code AND o.name = i.name
  `.execute(db);
  return {
    created: rows.filter((r) => r.change === 'created').length,
    updated: rows.filter((r) => r.change === 'updated').length,
    ids: new Map(rows.map((r) => [r.la_code, Number(r.id)])),
  };
}

export interface SchoolCounts {
  created: number;
  /** Changed, other than newly closed. */
  updated: number;
  /** Existing schools that this import marked closed. */
  closed: number;
  unchanged: number;
}

/**
 * Creates and updates schools by URN. Unchanged rows are not written at all, so their
 * `updated_at` stays and a repeated import is a no-op. Schools absent from the extract are
 * left as they are (the extract lists closed schools too, so absence means "not from GIAS").
 */
export async function upsertSchools(
  db: Executor,
  schools: readonly GiasSchool[],
  organisationIds: ReadonlyMap<string, number>,
  now: Date,
): Promise<SchoolCounts> {
  if (schools.length === 0) return { created: 0, updated: 0, closed: 0, unchanged: 0 };
  const organisation = (code: string) => {
    const id = organisationIds.get(code);
    if (id === undefined) throw new Error(`No organisation for LA code ${code}`);
    return id;
  };
  const { rows } = await sql<{ created: string; updated: string; closed: string; unchanged: string }>`
    WITH incoming AS (
      SELECT * FROM unnest(${schools.map((s) => s.urn)}::integer[], ${schools.map((s) => organisation(s.laCode))}::integer[],
        ${schools.map((s) => s.name)}::text[], ${schools.map((s) => s.phase)}::text[], ${schools.map((s) => s.status)}::text[])
        AS t(urn, organisation_id, name, phase, status)),
    diff AS (
      SELECT i.*, s.id AS existing_id, s.status AS old_status,
        (s.name, s.phase, s.status, s.organisation_id) IS NOT DISTINCT FROM (i.name, i.phase, i.status, i.organisation_id) AS same
      FROM incoming i LEFT JOIN schools s ON s.urn = i.urn),
    changed AS (
      UPDATE schools s SET name = d.name, phase = d.phase, status = d.status, organisation_id = d.organisation_id, updated_at = ${now}
      FROM diff d WHERE s.id = d.existing_id AND NOT d.same
      RETURNING s.id),
    created AS (
      INSERT INTO schools (urn, organisation_id, name, phase, status, updated_at)
      SELECT urn, organisation_id, name, phase, status, ${now} FROM diff WHERE existing_id IS NULL ORDER BY urn
      RETURNING id)
    SELECT
      (SELECT count(*) FROM created) AS created,
      (SELECT count(*) FROM diff WHERE existing_id IS NOT NULL AND NOT same AND NOT (status = 'closed' AND old_status <> 'closed')) AS updated,
      (SELECT count(*) FROM diff WHERE existing_id IS NOT NULL AND status = 'closed' AND old_status <> 'closed') AS closed,
      (SELECT count(*) FROM diff WHERE same) AS unchanged
  `.execute(db);
  const r = rows[0]!;
  return {
    created: Number(r.created),
    updated: Number(r.updated),
    closed: Number(r.closed),
    unchanged: Number(r.unchanged),
  };
}

export interface SchoolImportRecord {
  fileName: string;
  fileSha256: string;
  importedAt: Date;
  importedBy: string;
  rowsRead: number;
  organisationsCreated: number;
  organisationsUpdated: number;
  schools: SchoolCounts;
  rowsSkipped: number;
  problems: readonly { line?: number; message: string }[];
}

export async function insertSchoolImport(db: Executor, r: SchoolImportRecord): Promise<number> {
  const row = await db
    .insertInto('school_imports')
    .values({
      file_name: r.fileName,
      file_sha256: r.fileSha256,
      imported_at: r.importedAt,
      imported_by: r.importedBy,
      rows_read: r.rowsRead,
      organisations_created: r.organisationsCreated,
      organisations_updated: r.organisationsUpdated,
      schools_created: r.schools.created,
      schools_updated: r.schools.updated,
      schools_closed: r.schools.closed,
      schools_unchanged: r.schools.unchanged,
      rows_skipped: r.rowsSkipped,
      problems: JSON.stringify(r.problems),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

export async function recentSchoolImports(db: Executor, limit: number) {
  return db
    .selectFrom('school_imports')
    .selectAll()
    .orderBy('imported_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

/** Two imports at once would race on "does this URN exist yet": the second waits for the first (the caller's transaction holds the lock). */
export async function lockSchoolsForImport(trx: Executor): Promise<void> {
  await sql`LOCK TABLE schools IN SHARE ROW EXCLUSIVE MODE`.execute(trx);
}

export interface SchoolMoveRow {
  urn: number;
  school_name: string;
  from_code: string | null;
  from_name: string;
  to_code: string | null;
  to_name: string;
  account_id: string | null;
  username: string | null;
  role: string | null;
  status: string | null;
}

/**
 * The schools of the extract that an import is about to move to another organisation, each with
 * the assignments of its present organisation's accounts (a row each; one row with no account
 * when there are none). Read before the schools are written.
 */
export async function schoolsMovingLa(
  db: Executor,
  schools: readonly { urn: number; organisationId: number }[],
): Promise<SchoolMoveRow[]> {
  if (schools.length === 0) return [];
  const { rows } = await sql<SchoolMoveRow>`
    WITH incoming AS (
      SELECT * FROM unnest(${schools.map((s) => s.urn)}::integer[], ${schools.map((s) => s.organisationId)}::integer[])
        AS t(urn, organisation_id))
    SELECT s.urn, s.name AS school_name, f.la_code AS from_code, f.name AS from_name, t.la_code AS to_code,
      t.name AS to_name, a.id AS account_id, a.username, sa.role, a.status
    FROM incoming i
    JOIN schools s ON s.urn = i.urn AND s.organisation_id <> i.organisation_id
    JOIN organisations f ON f.id = s.organisation_id
    JOIN organisations t ON t.id = i.organisation_id
    LEFT JOIN (school_assignments sa JOIN accounts a ON a.id = sa.account_id)
      ON sa.school_id = s.id AND a.organisation_id = s.organisation_id
    ORDER BY s.urn, a.username
  `.execute(db);
  return rows.map((r) => ({ ...r, urn: Number(r.urn) }));
}

/**
 * The assignments of an organisation's accounts to schools that now belong to another one: what
 * schools moved by GIAS leave behind until an administrator removes them.
 */
export async function assignmentsToOtherLasSchools(db: Executor, organisationId: number) {
  return db
    .selectFrom('school_assignments as sa')
    .innerJoin('accounts as a', 'a.id', 'sa.account_id')
    .innerJoin('schools as s', 's.id', 'sa.school_id')
    .innerJoin('organisations as o', 'o.id', 's.organisation_id')
    .select([
      'a.id',
      'a.username',
      'a.first_name',
      'a.last_name',
      'a.status',
      'sa.role',
      's.urn',
      's.name as school_name',
      'o.name as la_name',
    ])
    .where('a.organisation_id', '=', organisationId)
    .whereRef('s.organisation_id', '<>', 'a.organisation_id')
    .orderBy('s.name')
    .orderBy('s.urn')
    .orderBy('a.username')
    .execute();
}
