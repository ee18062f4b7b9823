import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '../../src/config.ts';
import type { DatabaseHandle } from '../../src/data/connect.ts';
import { ManualClock } from '../../src/domain/clock.ts';
import { createServices, type Services } from '../../src/services/index.ts';
import { buildServer } from '../../src/http/server.ts';
import { createTestDatabase } from './test-db.ts';

export interface TestApp {
  app: FastifyInstance;
  services: Services;
  clock: ManualClock;
  config: Config;
  handle: DatabaseHandle;
  close(): Promise<void>;
}

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    SECRET_KEY: 'test-secret-key-that-is-at-least-32-characters',
    DATA_DIR: mkdtempSync(path.join(tmpdir(), 'nexus-test-')),
    BASE_URL: 'http://localhost:3000',
    LOG_LEVEL: 'silent',
    ...env,
  });
}

export async function createTestApp(options: { env?: Record<string, string>; now?: string } = {}): Promise<TestApp> {
  const handle = await createTestDatabase();
  const clock = new ManualClock(options.now ?? '2026-11-02T10:00:00Z');
  const config = testConfig(options.env);
  const services = createServices({ db: handle.db, clock, config, databaseKind: handle.kind });
  const app = await buildServer(services);
  await app.ready();
  return {
    app,
    services,
    clock,
    config,
    handle,
    async close() {
      await app.close();
      await handle.close();
    },
  };
}
