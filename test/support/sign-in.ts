import type { FastifyInstance } from 'fastify';
import type { ManualClock } from '../../src/domain/clock.ts';
import { generateTotp } from '../../src/domain/totp.ts';
import { FormClient } from './browser.ts';
import { TEST_PASSWORD, type FixtureAccount } from './fixtures.ts';

/**
 * Signs an enrolled fixture account in through the pages (password, then TOTP) and returns its
 * browser. The clock then moves on one TOTP step, so the next sign-in gets a fresh code.
 */
export async function signInAs(
  t: { app: FastifyInstance; clock: ManualClock },
  account: FixtureAccount,
  options: { ip?: string } = {},
): Promise<FormClient> {
  const client = new FormClient(t.app, options);
  await client.get('/sign-in');
  await client.post('/sign-in', { username: account.username, password: TEST_PASSWORD });
  await client.get('/sign-in/two-factor');
  const done = await client.post('/sign-in/two-factor', { code: generateTotp(account.totpSecret!, t.clock.now()) });
  if (done.statusCode !== 303 || done.headers.location !== '/')
    throw new Error(`Sign-in of ${account.username} failed with ${done.statusCode}`);
  t.clock.advance(30_000);
  await client.get('/');
  return client;
}
