import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Transaction } from 'kysely';
import type { Database } from '../../data/database.ts';
import {
  insertSchoolImport,
  lockSchoolsForImport,
  recentSchoolImports,
  schoolsMovingLa,
  upsertLas,
  type SchoolMoveRow,
  upsertSchools,
  type SchoolCounts,
} from '../../data/queries/school-import-queries.ts';
import { authorise, type Actor } from '../../domain/access.ts';
import type { GiasExtract } from '../../domain/gias.ts';
import { readGiasDownload } from '../../domain/gias-download.ts';
import { schoolMoveText, type SchoolMove } from '../../domain/school-moves.ts';
import { audit, who, type Who } from '../audit.ts';
import type { ServiceDeps } from '../deps.ts';
import type { RequestContext } from '../request-context.ts';
import { NO_PROGRESS, type ImportProgress } from './import-progress.ts';

/** Problems kept with an import record; the real extract could otherwise store thousands. */
export const MAX_STORED_PROBLEMS = 200;
export const IMPORT_HISTORY_SIZE = 10;
/** Schools written a statement at a time: the command line shows progress between statements. */
export const SCHOOLS_PER_STATEMENT = 5000;

export interface SchoolImportProblem {
  /** Absent for a summary of many rows. */
  readonly line?: number;
  readonly message: string;
  /** Set on the stored record's notices of schools moved to another LA (not problems of the file). */
  readonly kind?: 'moved';
}

export interface SchoolImportResult {
  readonly id: number;
  readonly fileName: string;
  readonly fileSha256: string;
  readonly rowsRead: number;
  readonly organisationsCreated: number;
  readonly organisationsUpdated: number;
  readonly schools: SchoolCounts;
  readonly rowsSkipped: number;
  readonly problems: readonly SchoolImportProblem[];
  /** Schools this import moved to another LA, with the old LA's assignments to them (kept). */
  readonly moves: readonly SchoolMove[];
}

export interface GiasFile {
  /** Only the base name is recorded. The bytes are the extract's CSV or the zip GIAS serves it in. */
  readonly name: string;
  readonly bytes: Uint8Array;
}

function storedProblems(extract: GiasExtract): SchoolImportProblem[] {
  const out: SchoolImportProblem[] = [];
  if (extract.outsideLa > 0) {
    out.push({
      message: `${extract.outsideLa} ${extract.outsideLa === 1 ? 'row has' : 'rows have'} LA code 000 (not in a Local Authority) and ${extract.outsideLa === 1 ? 'was' : 'were'} skipped`,
    });
  }
  out.push(...extract.problems.slice(0, MAX_STORED_PROBLEMS));
  const more = extract.problems.length - MAX_STORED_PROBLEMS;
  if (more > 0) out.push({ message: `…and ${more} more ${more === 1 ? 'row' : 'rows'} with problems, not listed` });
  return out;
}

function groupMoves(rows: readonly SchoolMoveRow[]): SchoolMove[] {
  const byUrn = new Map<number, SchoolMove & { kept: SchoolMove['kept'][number][] }>();
  for (const r of rows) {
    let move = byUrn.get(r.urn);
    if (!move) {
      move = {
        urn: r.urn,
        name: r.school_name,
        from: { code: r.from_code, name: r.from_name },
        to: { code: r.to_code, name: r.to_name },
        kept: [],
      };
      byUrn.set(r.urn, move);
    }
    if (r.account_id !== null && r.username !== null && r.role !== null)
      move.kept.push({
        accountId: r.account_id,
        username: r.username,
        role: r.role,
        archived: r.status === 'archived',
      });
  }
  return [...byUrn.values()];
}

/** The record keeps a notice of each move after the problems, as many as it keeps problems. */
function storedMoves(moves: readonly SchoolMove[]): SchoolImportProblem[] {
  const out: SchoolImportProblem[] = moves
    .slice(0, MAX_STORED_PROBLEMS)
    .map((m) => ({ kind: 'moved', message: schoolMoveText(m) }));
  const more = moves.length - MAX_STORED_PROBLEMS;
  if (more > 0)
    out.push({ kind: 'moved', message: `…and ${more} more ${more === 1 ? 'school' : 'schools'} moved, not listed` });
  return out;
}

/**
 * Applies a GIAS extract inside the caller's transaction: LAs by code, schools by URN, one
 * `school_imports` record and one audit event. The demo seeds its schools through this too,
 * inside its own transaction.
 */
export async function applyGiasFile(
  trx: Transaction<Database>,
  file: GiasFile,
  by: Who,
  ctx: RequestContext,
  now: Date,
  progress: ImportProgress = NO_PROGRESS,
): Promise<SchoolImportResult> {
  const { extract, entryName } = readGiasDownload(file.bytes);
  progress({ stage: 'read', rows: extract.rowsRead });
  // Two imports at once would race on "does this URN exist yet"; the second waits for the first.
  await lockSchoolsForImport(trx);
  const las = await upsertLas(trx, extract.las, now);
  // Read before the schools are written: afterwards a moved school's old LA is gone from it.
  const moves = groupMoves(
    await schoolsMovingLa(
      trx,
      extract.schools.map((s) => ({ urn: s.urn, organisationId: las.ids.get(s.laCode)! })),
    ),
  );
  // URNs are unique in an extract (readGiasExtract keeps one row each), so the slices are
  // independent and their counts add up to those of one statement.
  const schools: SchoolCounts = { created: 0, updated: 0, closed: 0, unchanged: 0 };
  for (let i = 0; i < extract.schools.length; i += SCHOOLS_PER_STATEMENT) {
    const slice = extract.schools.slice(i, i + SCHOOLS_PER_STATEMENT);
    const counts = await upsertSchools(trx, slice, las.ids, now);
    for (const key of Object.keys(schools) as (keyof SchoolCounts)[]) schools[key] += counts[key];
    progress({ stage: 'written', rows: i + slice.length, of: extract.schools.length });
  }
  // A zip is recorded with the extract read out of it: "extract.zip/edubasealldata20261128.csv".
  const fileName = [path.basename(file.name) || 'unnamed', ...(entryName === undefined ? [] : [entryName])]
    .join('/')
    .slice(0, 255);
  const fileSha256 = createHash('sha256').update(file.bytes).digest('hex');
  const problems = storedProblems(extract);
  const rowsSkipped = extract.problems.length + extract.outsideLa;
  const record = {
    fileName,
    fileSha256,
    rowsRead: extract.rowsRead,
    organisationsCreated: las.created,
    organisationsUpdated: las.updated,
    schools,
    rowsSkipped,
  };
  const id = await insertSchoolImport(trx, {
    ...record,
    importedAt: now,
    importedBy: by.label.slice(0, 200) || 'unknown',
    problems: [...problems, ...storedMoves(moves)],
  });
  await audit(trx, by, ctx, now, {
    action: 'schools.imported',
    organisationId: null,
    subjectAccountId: null,
    details: {
      importId: id,
      ...record,
      problems: extract.problems.length,
      moved: moves.map((m) => ({ urn: m.urn, from: m.from.code, to: m.to.code, assignmentsKept: m.kept.length })),
    },
  });
  return { id, ...record, problems, moves };
}

/** Schools and LAs from the GIAS establishment extract (R58a), and the record of past imports. */
export function createSchoolImportService({ db, clock }: ServiceDeps) {
  return {
    /** Throws ValidationError (field `file`) for a file that is not the extract; then nothing is written. */
    async importFile(
      actor: Actor,
      file: GiasFile,
      ctx: RequestContext,
      progress: ImportProgress = NO_PROGRESS,
    ): Promise<SchoolImportResult> {
      authorise(actor, 'support.school-imports');
      const now = clock.now();
      return db.transaction().execute((trx) => applyGiasFile(trx, file, who(actor), ctx, now, progress));
    },

    /** The latest imports, newest first. */
    async history(actor: Actor) {
      authorise(actor, 'support.school-imports');
      const rows = await recentSchoolImports(db, IMPORT_HISTORY_SIZE);
      return rows.map((r) => {
        const stored = r.problems as unknown as SchoolImportProblem[];
        return {
          ...r,
          problems: stored.filter((p) => p.kind !== 'moved'),
          moved: stored.filter((p) => p.kind === 'moved').map((p) => p.message),
        };
      });
    },
  };
}
