import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

/**
 * Three projects: `unit` (pure rules, no I/O), `db` (everything that touches a database: PGlite
 * by default, the PostgreSQL server named by TEST_DATABASE_URL when set) and `e2e` (headless
 * Chromium). `npm test` runs all three; CI runs `db` again against PostgreSQL.
 */
export default defineConfig({
  test: {
    // Most of a database test's time is waiting (PGlite, child processes, sockets), so one worker
    // per core plus one keeps both cores of a small machine busy.
    maxWorkers: Math.max(2, availableParallelism() + 1),
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], environment: 'node' } },
      {
        test: {
          name: 'db', include: ['test/db/**/*.test.ts', 'test/demo/**/*.test.ts'], environment: 'node',
          testTimeout: 60_000, hookTimeout: 120_000, globalSetup: ['test/support/global-setup.ts', 'test/support/database-template.ts'],
        },
      },
      {
        test: {
          name: 'e2e', include: ['e2e/**/*.test.ts'], environment: 'node',
          testTimeout: 120_000, hookTimeout: 180_000, globalSetup: ['test/support/global-setup.ts', 'e2e/support/browser-server.ts'],
        },
      },
    ],
  },
});
