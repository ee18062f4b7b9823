import { sql } from 'kysely';
import type { Executor } from '../database.ts';

/** The smallest round trip: whether the database answers at all (`/health`). */
export async function pingDatabase(db: Executor): Promise<void> {
  await sql`SELECT 1`.execute(db);
}
