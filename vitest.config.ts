import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { LongestFirstSequencer } from './test/support/longest-first-sequencer.ts';

/**
 * Projects: `unit` (pure rules, no I/O), `db` and `db-mocks` (everything that touches a database:
 * PGlite by default, the PostgreSQL server named by TEST_DATABASE_URL when set) and `e2e` (headless
 * Chromium). `npm test` runs them all; `npm run test:db` the two database ones, which CI runs again
 * against PostgreSQL. Test files run in parallel, journeys alongside database files.
 */

/**
 * PGlite's WebAssembly on V8's baseline compiler only, as `nexus-accounts serve` and every other
 * command on the embedded database run it (bin/nexus-accounts.js): each file opens a new PGlite,
 * and optimising its busy functions again cost the database files about a tenth more CPU than it saved.
 */
const execArgv = ['--liftoff-only'];

/** Database files that replace modules with vi.mock: each runs with modules of its own. */
const MOCKING = ['test/db/sign-in-security.test.ts', 'test/db/forgotten-password-timing.test.ts'];

export default defineConfig({
  test: {
    // Most of a database test's time is waiting (PGlite, child processes, sockets), so one worker
    // per core plus one keeps both cores of a small machine busy.
    maxWorkers: Math.max(2, availableParallelism() + 1),
    // Longest files first across the projects (test/support/longest-first-sequencer.ts).
    sequence: { sequencer: LongestFirstSequencer },
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], environment: 'node', isolate: false, execArgv } },
      {
        test: {
          name: 'db',
          include: ['test/db/**/*.test.ts', 'test/demo/**/*.test.ts'],
          exclude: MOCKING,
          environment: 'node',
          execArgv,
          testTimeout: 60_000,
          hookTimeout: 120_000,
          globalSetup: ['test/support/global-setup.ts', 'test/support/database-template.ts'],
          // Files share their worker's modules (loaded once per worker instead of once per file);
          // every file builds its own app, services and database.
          isolate: false,
        },
      },
      {
        test: {
          name: 'db-mocks',
          include: MOCKING,
          environment: 'node',
          execArgv,
          testTimeout: 60_000,
          hookTimeout: 120_000,
          globalSetup: ['test/support/global-setup.ts', 'test/support/database-template.ts'],
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['e2e/**/*.test.ts'],
          environment: 'node',
          execArgv,
          testTimeout: 120_000,
          hookTimeout: 180_000,
          globalSetup: [
            'test/support/global-setup.ts',
            'test/support/database-template.ts',
            'e2e/support/run-setup.ts',
          ],
          setupFiles: ['e2e/support/markup-setup.ts'],
          isolate: false,
        },
      },
    ],
  },
});
