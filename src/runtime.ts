import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { ConfigError, type Config } from './config.ts';
import { connect, type DatabaseHandle } from './data/connect.ts';
import { migrateToLatest } from './data/migrate.ts';
import { systemClock, type Clock } from './domain/clock.ts';
import { startOidcCleanup } from './jobs/oidc-cleanup.ts';
import { startScheduler, type JobLog, type Scheduler } from './jobs/scheduler.ts';
import { vacuumOutbox } from './data/queries/outbox-queries.ts';
import { DEFAULT_DELIVERY, deliverDueEmails } from './mail/deliver.ts';
import { emlFileTransport, smtpTransport, type MailTransport } from './mail/transports.ts';
import { startLogoutDelivery } from './jobs/logout-delivery.ts';
import { createServices, type Services } from './services/index.ts';

export interface Runtime {
  readonly handle: DatabaseHandle;
  readonly services: Services;
  close(): Promise<void>;
}

/** Opens the database named by the configuration, migrates it and builds the services. */
export async function openRuntime(config: Config, clock: Clock = systemClock): Promise<Runtime> {
  const handle = await connect({ databaseUrl: config.databaseUrl, pgliteDir: config.dataDir });
  try {
    await migrateToLatest(handle.db, config.topicNames);
  } catch (error) {
    await handle.close();
    throw error;
  }
  const services = createServices({ db: handle.db, clock, config, databaseKind: handle.kind });
  return { handle, services, close: () => handle.close() };
}

export function mailTransportFor(config: Config): MailTransport {
  return config.smtpUrl ? smtpTransport(config.smtpUrl) : emlFileTransport(path.join(config.dataDir, 'mail'));
}

/**
 * Emails sent between two vacuums of the outbox on the embedded database: each leaves two dead row
 * versions, and a vacuum scans the outbox's indexes whole, so it is worth doing only every so often.
 */
const VACUUM_OUTBOX_AFTER = 1000;

/**
 * Runs the outbox delivery in this process every few seconds. With PostgreSQL, separate worker
 * processes may do the same: the lease in the outbox keeps them from sending a row twice.
 */
export function startMailLoop(runtime: Runtime, transport: MailTransport, intervalMs = 2000): () => Promise<void> {
  const { services, handle } = runtime;
  let running: Promise<unknown> | undefined;
  let stopped = false;
  // A pass drains the queue for up to half a minute: stopping tells it to claim nothing more.
  const stopping = new AbortController();
  let sentSinceVacuum = 0;
  const pass = async () => {
    sentSinceVacuum += await deliverDueEmails(handle.db, services.clock, transport, {
      ...DEFAULT_DELIVERY,
      from: services.config.mailFrom,
      signal: stopping.signal,
    });
    // PostgreSQL's autovacuum does this on a server; the embedded database has none.
    if (handle.kind === 'pglite' && sentSinceVacuum >= VACUUM_OUTBOX_AFTER) {
      sentSinceVacuum = 0;
      await vacuumOutbox(handle.db);
    }
  };
  const tick = () => {
    // One pass at a time: a slow pass (a slow SMTP server) is not overlapped by the next tick.
    if (stopped || running) return;
    running = pass()
      .catch((error) => console.error('mail delivery failed:', error instanceof Error ? error.message : error))
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  tick();
  return async () => {
    stopped = true;
    stopping.abort();
    clearInterval(timer);
    await running;
    transport.close();
  };
}

export interface Server {
  readonly app: FastifyInstance;
  readonly runtime: Runtime;
  readonly url: string;
  /** The scheduled jobs, when this server runs them (embedded mode). */
  readonly scheduler: Scheduler | undefined;
  close(): Promise<void>;
}

export interface ServerOptions {
  clock?: Clock;
  demo?: boolean;
  log?: boolean;
  assetsDir?: string;
  /** Runs on the open database before the app is built (e.g. seeding the demo); may turn on the demo tag. */
  prepare?: (runtime: Runtime) => Promise<{ demo: boolean }>;
  /**
   * Runs the scheduled jobs (nightly lifecycle, weekly digest) in the server: default true in
   * embedded mode, and never with PostgreSQL, where `worker` processes run them.
   */
  scheduler?: boolean;
}

export async function startServer(config: Config, options: ServerOptions = {}): Promise<Server> {
  const runtime = await openRuntime(config, options.clock);
  // Imported here so that commands without a web server do not load it.
  let app: FastifyInstance;
  try {
    const prepared = options.prepare ? await options.prepare(runtime) : { demo: false };
    const [{ buildServer }, { loggerOptions }] = await Promise.all([
      import('./http/server.ts'),
      import('./http/logging.ts'),
    ]);
    app = await buildServer(runtime.services, {
      logger: options.log === false ? false : loggerOptions(config.logLevel),
      demo: (options.demo ?? false) || prepared.demo,
      assetsDir: options.assetsDir,
    });
  } catch (error) {
    await runtime.close();
    throw error;
  }
  const stopMail = startMailLoop(runtime, mailTransportFor(config));
  const purge = setInterval(() => void runtime.services.sessions.purgeExpired().catch(() => {}), 10 * 60_000);
  purge.unref();
  const stopOidcCleanup = startOidcCleanup(runtime.services, app.log);
  const stopLogouts = startLogoutDelivery(
    runtime.handle.db,
    runtime.services.clock,
    () => app.oidc.provider(),
    app.log,
  );
  let scheduler: Scheduler | undefined;
  try {
    // Embedded mode: this process is the only one on the database, so it runs the schedule.
    if (runtime.handle.kind === 'pglite' && (options.scheduler ?? true))
      scheduler = startScheduler(runtime, { log: app.log });
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    clearInterval(purge);
    await stopOidcCleanup();
    await stopLogouts();
    await scheduler?.();
    await app.close();
    await stopMail();
    await runtime.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  return {
    app,
    runtime,
    url: `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`,
    scheduler,
    async close() {
      clearInterval(purge);
      await stopOidcCleanup();
      await stopLogouts();
      await app.close();
      await scheduler?.();
      await stopMail();
      await runtime.close();
    },
  };
}

export interface Worker {
  readonly runtime: Runtime;
  readonly scheduler: Scheduler;
  close(): Promise<void>;
}

/**
 * A `worker` process (PostgreSQL): delivers the outbox (SMTP, or .eml files without SMTP_URL) and
 * runs the schedule. Several workers may run: the outbox lease and the jobs' advisory locks keep
 * them from doing the same work twice.
 */
export async function startWorker(config: Config, options: { clock?: Clock; log?: JobLog } = {}): Promise<Worker> {
  if (!config.databaseUrl) {
    throw new ConfigError(
      'A worker needs a PostgreSQL server (DATABASE_URL). In embedded mode the server delivers email and runs the scheduled jobs itself.',
    );
  }
  const log = options.log ?? (await import('pino')).pino({ level: config.logLevel });
  const runtime = await openRuntime(config, options.clock);
  const stopMail = startMailLoop(runtime, mailTransportFor(config));
  let scheduler: Scheduler;
  const stopOidcCleanup = startOidcCleanup(runtime.services, log);
  // Back-channel logouts are signed with the provider's keys, so the worker keeps a provider of its own.
  const oidc = (await import('./oidc/provider-host.ts')).providerHost(runtime.services);
  const stopLogouts = startLogoutDelivery(runtime.handle.db, runtime.services.clock, () => oidc.provider(), log);
  try {
    scheduler = startScheduler(runtime, { log });
  } catch (error) {
    await stopOidcCleanup();
    await stopLogouts();
    await stopMail();
    await runtime.close();
    throw error;
  }
  return {
    runtime,
    scheduler,
    async close() {
      await scheduler();
      await stopOidcCleanup();
      await stopLogouts();
      await stopMail();
      await runtime.close();
    },
  };
}
