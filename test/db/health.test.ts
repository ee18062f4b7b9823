import net from 'node:net';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { connect, type DatabaseHandle } from '../../src/data/connect.ts';
import { ManualClock } from '../../src/domain/clock.ts';
import type { HealthReport } from '../../src/services/support/health-service.ts';
import { createServices } from '../../src/services/index.ts';
import { buildServer } from '../../src/http/server.ts';
import { createTestApp, testConfig, type TestApp } from '../support/test-app.ts';

/** `/health` (issue 2, item 9): 200 with the database's state, 503 when it is unreachable. */

/** What `/health` sends: a status and the database's state (never the error). */
interface HealthBody {
  status: 'ok' | 'unavailable';
  database: HealthReport['database'];
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => {});
});

/** A port on this machine where nothing listens. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** An app whose services use the given database handle. */
async function appOn(handle: DatabaseHandle): Promise<FastifyInstance> {
  const services = createServices({
    db: handle.db,
    clock: new ManualClock('2026-11-02T10:00:00Z'),
    config: testConfig(),
    databaseKind: handle.kind,
  });
  const app = await buildServer(services);
  await app.ready();
  cleanups.push(
    () => app.close(),
    () => handle.close(),
  );
  return app;
}

function expectUnavailable(response: LightMyRequestResponse): void {
  expect(response.statusCode).toBe(503);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  expect(response.headers['cache-control']).toBe('no-store');
  expect(response.json()).toMatchObject({ status: 'unavailable', database: { status: 'down' } });
  // Plain JSON: no stack trace and no internal detail (hosts, ports, driver messages).
  expect(response.body).not.toMatch(/\bat .+:\d+:\d+|Error|ECONN|127\.0\.0\.1|timeout|destroyed/i);
  expect(Object.keys(response.json<HealthBody>().database).sort()).toEqual(['kind', 'status']);
}

describe('/health', () => {
  let t: TestApp | undefined;
  let handleClosed = false;
  afterAll(async () => (handleClosed ? t?.app.close() : t?.close()));

  it('answers 200 with the database up', async () => {
    t = await createTestApp();
    const response = await t.app.inject({ method: 'GET', url: '/health' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const body = response.json<HealthBody>();
    expect(body).toMatchObject({
      status: 'ok',
      database: { status: 'up', kind: process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite' },
    });
    expect(typeof body.database.latencyMs).toBe('number');
    // No session, no sign-in needed: a load balancer calls it without cookies.
    expect(response.headers['set-cookie']).toBeUndefined();
  });

  it('answers 503 when the PostgreSQL server refuses connections', async () => {
    const app = await appOn(
      await connect({ databaseUrl: `postgres://postgres@127.0.0.1:${await closedPort()}/nexus` }),
    );
    expectUnavailable(await app.inject({ method: 'GET', url: '/health' }));
  });

  it('answers 503 when the PostgreSQL server accepts connections but never answers', async () => {
    const sockets = new Set<net.Socket>();
    const blackHole = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    const { port } = blackHole.address() as net.AddressInfo;
    const app = await appOn(await connect({ databaseUrl: `postgres://postgres@127.0.0.1:${port}/nexus`, poolSize: 1 }));
    // Runs first (cleanups run last-in first-out): hang up, so the pool can close.
    cleanups.push(
      () =>
        new Promise((resolve) => {
          for (const socket of sockets) socket.destroy();
          blackHole.close(resolve);
        }),
    );
    const [first, second] = await Promise.all([
      app.inject({ method: 'GET', url: '/health' }),
      app.inject({ method: 'GET', url: '/health' }),
    ]);
    expectUnavailable(first);
    expectUnavailable(second);
  });
  it('answers 503 once its database handle is closed, never 500', async () => {
    // The app of the first test, whose database now goes away under it.
    await t!.handle.close();
    handleClosed = true;
    expectUnavailable(await t!.app.inject({ method: 'GET', url: '/health' }));
    // And keeps answering.
    expectUnavailable(await t!.app.inject({ method: 'GET', url: '/health' }));
  });
});
