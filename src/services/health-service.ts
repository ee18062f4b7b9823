import { sql } from 'kysely';
import type { ServiceDeps } from './deps.ts';

/** `/health`: whether the database answers, and how fast. */
export function createHealthService({ db, clock }: ServiceDeps, databaseKind: 'pglite' | 'postgres') {
  return {
    async check(): Promise<{ ok: boolean; database: { kind: string; status: 'up' | 'down'; latencyMs?: number; error?: string } }> {
      const started = performance.now();
      try {
        await Promise.race([
          sql`SELECT 1`.execute(db),
          new Promise((_, reject) => setTimeout(() => reject(new Error('timed out after 2 s')), 2000).unref()),
        ]);
        return { ok: true, database: { kind: databaseKind, status: 'up', latencyMs: Math.round((performance.now() - started) * 10) / 10 } };
      } catch (error) {
        void clock;
        return { ok: false, database: { kind: databaseKind, status: 'down', error: error instanceof Error ? error.message.slice(0, 200) : 'unreachable' } };
      }
    },
  };
}
