import { randomBytes } from 'node:crypto';
import {
  closeSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import type { Kysely } from 'kysely';
import type { Database } from './database.ts';

/*
 * The drivers are imported by connect() itself, so that the lock functions below (used by the
 * command line to refuse at once when the server holds the embedded database) load quickly.
 */
async function drivers() {
  const [{ Kysely, PostgresDialect }, { default: pg }] = await Promise.all([import('kysely'), import('pg')]);
  // `date` columns stay strings (YYYY-MM-DD): a calendar date has no time zone to shift.
  pg.types.setTypeParser(1082, (value: string) => value);
  return { Kysely, PostgresDialect, pg };
}

export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  readonly kind: 'pglite' | 'postgres';
  close(): Promise<void>;
  /** PGlite only: its data directory as a tarball, which `loadDataDir` can start from. */
  dumpDataDir?(): Promise<Blob>;
}

export class DatabaseBusyError extends Error {
  constructor(
    readonly pid: number,
    dataDir: string,
  ) {
    super(
      `The embedded database in ${dataDir} is in use by another Nexus Accounts process (pid ${pid}). ` +
        'Only one process can open it at a time: stop that process (e.g. the server) and try again, ' +
        'or use a PostgreSQL server with DATABASE_URL.',
    );
  }
}

const LOCK_FILE = 'database.lock';

/** Lock files this process holds: a second open in the same process is refused as well. */
const heldLocks = new Set<string>();

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The pid written in a lock file; undefined when the file is missing, empty or not a pid. */
function readOwner(file: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const pid = Number(text);
  return text !== '' && Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Whether `pid` holds the lock now: alive, and (when it is this process) really holding it. */
function holds(pid: number | undefined, lockFile: string): pid is number {
  if (pid === undefined) return false;
  // A file naming this process that this process did not take is left from an earlier process
  // that had the same pid (containers reuse pids).
  if (pid === process.pid) return heldLocks.has(lockFile);
  return isRunning(pid);
}

/** Creates the lock file with our pid in it, atomically; false when it exists. */
function createLock(lockFile: string): boolean {
  // Written aside and hard-linked into place, so nobody ever reads a lock file without a pid.
  const aside = `${lockFile}.${process.pid}.${randomBytes(6).toString('hex')}`;
  writeFileSync(aside, String(process.pid), { flag: 'wx' });
  try {
    linkSync(aside, lockFile);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // A file system without hard links: exclusive create, then write.
    try {
      const fd = openSync(lockFile, 'wx');
      try {
        writeSync(fd, String(process.pid));
      } finally {
        closeSync(fd);
      }
      return true;
    } catch (fallbackError) {
      if ((fallbackError as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw fallbackError;
    }
  } finally {
    rmSync(aside, { force: true });
  }
}

/**
 * PGlite is a single-process database: a second process (or a second handle in the same
 * process) opening the same folder would corrupt it. A lock file holding the owner's pid guards
 * it; a lock left by a dead process is taken over.
 *
 * The take-over moves the stale file aside with an atomic rename and checks what it moved: if
 * another process took the lock over in between, its fresh lock is put back and we are refused.
 */
export function acquireEmbeddedLock(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const lockFile = path.resolve(dataDir, LOCK_FILE);
  if (heldLocks.has(lockFile)) throw new DatabaseBusyError(process.pid, dataDir);
  for (let attempt = 0; attempt < 5; attempt++) {
    if (createLock(lockFile)) {
      heldLocks.add(lockFile);
      return () => {
        heldLocks.delete(lockFile);
        if (readOwner(lockFile) === process.pid) rmSync(lockFile, { force: true });
      };
    }
    let owner = readOwner(lockFile);
    // An empty file may be one being written by the fallback path: look again shortly.
    if (owner === undefined) {
      sleepSync(100);
      owner = readOwner(lockFile);
    }
    if (holds(owner, lockFile)) throw new DatabaseBusyError(owner, dataDir);

    const stale = `${lockFile}.stale.${process.pid}.${randomBytes(6).toString('hex')}`;
    try {
      renameSync(lockFile, stale);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // someone else removed it
      throw error;
    }
    const moved = readOwner(stale);
    if (moved !== owner && holds(moved, lockFile)) {
      // We moved a lock another process has just taken: give it back.
      try {
        linkSync(stale, lockFile);
      } finally {
        rmSync(stale, { force: true });
      }
      throw new DatabaseBusyError(moved, dataDir);
    }
    rmSync(stale, { force: true });
  }
  throw new Error(`Could not lock the embedded database in ${dataDir}: its lock file ${lockFile} keeps changing`);
}

/** Reads who holds the embedded database, if anyone alive does. */
export function embeddedLockOwner(dataDir: string): number | undefined {
  const lockFile = path.resolve(dataDir, LOCK_FILE);
  const owner = readOwner(lockFile);
  return holds(owner, lockFile) ? owner : undefined;
}

export interface ConnectOptions {
  /** PostgreSQL connection string; when absent, PGlite. */
  databaseUrl?: string | undefined;
  /** Folder for PGlite files; `memory://` for an in-memory database (tests). */
  pgliteDir?: string;
  /**
   * A PGlite data directory (a `dumpDataDir()` tarball) to start an in-memory database from:
   * tests clone one migrated database instead of running initdb and the migrations per file.
   */
  loadDataDir?: Blob;
  poolSize?: number;
}

/** PGlite's shared_buffers (PostgreSQL's default is 128MB); see connect(). */
const PGLITE_SHARED_BUFFERS = '32MB';

export async function connect(options: ConnectOptions): Promise<DatabaseHandle> {
  const { Kysely, PostgresDialect, pg } = await drivers();
  if (options.databaseUrl) {
    // A server that accepts connections but never answers (or a pool exhausted for that long)
    // fails the request instead of parking it forever.
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: 15_000,
    });
    // A dropped idle connection must not crash the process; the next query reconnects.
    pool.on('error', () => {});
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, kind: 'postgres', close: () => db.destroy() };
  }

  const dir = options.pgliteDir ?? 'memory://';
  const inMemory = dir.startsWith('memory://');
  const release = inMemory ? () => {} : acquireEmbeddedLock(dir);
  try {
    const [{ PGlite }, { citext }, { PgliteSocket }, { PreparedStatements }] = await Promise.all([
      import('@electric-sql/pglite'),
      import('@electric-sql/pglite/contrib/citext'),
      import('./pglite-socket.ts'),
      import('./pglite-prepared.ts'),
    ]);
    if (options.loadDataDir && !inMemory) throw new Error('loadDataDir is for in-memory databases only');
    const pglite = await PGlite.create(inMemory ? dir : path.join(dir, 'pglite'), {
      extensions: { citext },
      ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
      // PostgreSQL's default 128 MB of shared buffers is touched at start inside PGlite's WebAssembly
      // memory and stays resident: idle RSS about 130 MB higher. The data is read through the
      // operating system's file cache (or PGlite's in-memory file system) when it is not in them.
      startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${PGLITE_SHARED_BUFFERS}`],
    });
    // pg reads and writes its stream only through the socket methods PgliteSocket has.
    const prepared = new PreparedStatements();
    const stream = () => new PgliteSocket(pglite, !inMemory, prepared) as unknown as Duplex;
    const pool = new pg.Pool({ stream, max: 1 });
    pool.on('error', () => {});
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return {
      db,
      kind: 'pglite',
      dumpDataDir: () => pglite.dumpDataDir('none'),
      async close() {
        try {
          await db.destroy();
          await pglite.close();
        } finally {
          release();
        }
      },
    };
  } catch (error) {
    release();
    throw error;
  }
}
