import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildServer } from '../../src/http/server.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/**
 * reply.page settles only once the response has ended (d7d1ad1). Before, with an async onSend hook
 * still running (the sign-in pages have one), a route's `return reply.page(…)` resolved early and
 * Fastify sent the route's `undefined` as a second answer on the same keep-alive connection.
 */

let t: TestApp;
let app: FastifyInstance;
const seen: { ended?: boolean } = {};
/** The server's log lines at warn and above. */
const logged: string[] = [];

beforeAll(async () => {
  t = await createTestApp();
  app = await buildServer(t.services, {
    logger: { level: 'warn', stream: { write: (line: string) => void logged.push(line) } },
  });
  app.register((scoped, _options, done) => {
    scoped.addHook('onSend', async (_request, _reply, payload) => {
      await sleep(50);
      return payload;
    });
    scoped.get('/slow-page', async (request, reply) => {
      await reply.page('errors/404.njk', { pageTitle: 'Page not found' });
      seen.ended = reply.raw.writableEnded;
      return reply;
    });
    scoped.get('/slow-page-returned', (_request, reply) => reply.page('errors/404.njk', { pageTitle: 'x' }));
    done();
  });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await t.close();
});

it('resolves after the response has ended, however long an onSend hook takes', async () => {
  const response = await app.inject('/slow-page');
  await sleep(20); // the route's own continuation, after the response
  expect(response.statusCode).toBe(200);
  expect(response.body).toContain('Page not found');
  expect(seen.ended).toBe(true);
});

it('answers once when the route returns it (no "Reply was already sent")', async () => {
  const response = await app.inject('/slow-page-returned');
  await sleep(100);
  expect(response.statusCode).toBe(200);
  expect(logged.join('')).not.toContain('already sent');
  expect(logged.join('')).not.toContain('ERR_HTTP_HEADERS_SENT');
});
