import { pingDatabase } from '../../data/queries/health-queries.ts';
import type { ServiceDeps } from '../deps.ts';

export interface HealthReport {
  ok: boolean;
  database: { kind: 'pglite' | 'postgres'; status: 'up' | 'down'; latencyMs?: number };
  /** Why the database is down: for the log only, never for the (public) response. */
  error?: string;
}

/** How long `/health` waits for the database before calling it down. */
export const HEALTH_TIMEOUT_MS = 2000;

/** `/health`: whether the database answers, and how fast. */
export function createHealthService({ db }: ServiceDeps, databaseKind: 'pglite' | 'postgres') {
  return {
    async check(): Promise<HealthReport> {
      const started = performance.now();
      let timer: NodeJS.Timeout | undefined;
      try {
        // A database that accepts connections but never answers must not hang the check.
        await Promise.race([
          pingDatabase(db),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${HEALTH_TIMEOUT_MS} ms`)), HEALTH_TIMEOUT_MS);
            timer.unref();
          }),
        ]);
        return {
          ok: true,
          database: {
            kind: databaseKind,
            status: 'up',
            latencyMs: Math.round((performance.now() - started) * 10) / 10,
          },
        };
      } catch (error) {
        return {
          ok: false,
          database: { kind: databaseKind, status: 'down' },
          error: error instanceof Error ? error.message.slice(0, 500) : String(error),
        };
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
