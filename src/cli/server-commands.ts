import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config.ts';
import type { DemoAccount } from '../demo/seed-demo.ts';
import { withRuntime } from './database.ts';
import {
  demoFile,
  printDemoAccounts,
  readDemoAccounts,
  registerDemoApplications,
  seedIfEmpty,
} from './demo-accounts.ts';
import { CommandError } from './errors.ts';

/** Running the service: the web server, its schema, and the PostgreSQL workers. */

/** `serve`: migrate, seed the demo on an empty database, serve the pages until SIGINT or SIGTERM. */
export function addServeCommand(program: Command): void {
  program
    .command('serve')
    .description('migrate, seed the demo on an empty database, and serve the web pages')
    .action(async () => {
      const started = performance.now();
      const config = loadConfig();
      const { buildAssets } = await import('../../scripts/build-assets.ts');
      await buildAssets();
      // One process, one database handle: the demo is seeded on the server's own runtime.
      let seeded: DemoAccount[] | undefined;
      let demo: DemoAccount[] | undefined;
      let exampleClientFile: string | undefined;
      const { startServer } = await import('../runtime.ts');
      const server = await startServer(config, {
        prepare: async (runtime) => {
          if (config.seedDemo) seeded = await seedIfEmpty(runtime, config);
          // A damaged demo-accounts.json only costs the printed list, never the server.
          demo =
            seeded ??
            (() => {
              try {
                return readDemoAccounts(config);
              } catch {
                return undefined;
              }
            })();
          if (demo) exampleClientFile = await registerDemoApplications(runtime, config);
          return { demo: demo !== undefined };
        },
      });
      if (demo) {
        console.log(`\nDemo accounts${seeded ? ' (just created)' : ''} — also in ${demoFile(config)}:\n`);
        await printDemoAccounts(demo);
        console.log('\nThe current two-factor code of a demo account: npx nexus-accounts demo-code USERNAME');
        console.log(
          `The example application that signs in through Nexus: npm run example:reporting-app (its client is in ${exampleClientFile})\n`,
        );
      }
      console.log(
        `Nexus Accounts is ready at ${config.baseUrl} (listening on ${server.url}; ${server.runtime.handle.kind}; started in ${Math.round(performance.now() - started)} ms)`,
      );
      let stopping = false;
      const stop = async () => {
        if (stopping) return;
        stopping = true;
        await server.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop());
      process.once('SIGTERM', () => void stop());
    });
}

/** `migrate`: opening the database brings its schema up to date. */
export function addMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('bring the database schema up to date')
    .action(async () => {
      const config = loadConfig();
      await withRuntime(config, () => {
        console.log('The database schema is up to date.');
        return Promise.resolve();
      });
    });
}

/** `worker` (PostgreSQL only): email delivery and the scheduled jobs, until SIGINT or SIGTERM. */
export function addWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description(
      'PostgreSQL only: deliver email and run the nightly lifecycle job and the weekly digest (run one or more)',
    )
    .action(async () => {
      const config = loadConfig();
      if (!config.databaseUrl) {
        throw new CommandError(
          'No worker is needed in embedded mode: the server (nexus-accounts serve) delivers email and runs the nightly lifecycle job and the weekly digest itself. Workers are for PostgreSQL: set DATABASE_URL.',
        );
      }
      const [{ startWorker }, { scheduleOf }] = await Promise.all([
        import('../runtime.ts'),
        import('../jobs/scheduler.ts'),
      ]);
      const worker = await startWorker(config);
      const next = (job: 'lifecycle' | 'digest') => scheduleOf(config, job).nextRun()?.toISOString() ?? 'never';
      console.log(
        `Nexus Accounts worker started (pid ${process.pid}): delivering email ${config.smtpUrl ? 'by SMTP' : `as .eml files in ${path.join(config.dataDir, 'mail')}`}; ` +
          `lifecycle job "${config.lifecycle.schedule}" (next ${next('lifecycle')}), Admin Digest "${config.digest.schedule}" (next ${next('digest')}), in ${config.lifecycle.timezone}.`,
      );
      let stopping = false;
      const stop = async () => {
        if (stopping) return;
        stopping = true;
        await worker.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop());
      process.once('SIGTERM', () => void stop());
    });
}
