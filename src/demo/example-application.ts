import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.ts';
import type { Actor } from '../domain/access.ts';
import { SYSTEM_CONTEXT } from '../services/request-context.ts';
import type { Services } from '../services/index.ts';

/**
 * The demo's registration of examples/reporting-app (issue 16 item 8): an application like any
 * other, whose client id and secret go to a file in DATA_DIR that only its owner can read, where
 * the example finds them (examples/reporting-app/settings.ts): no secret in the repository, in a
 * URL or on the console.
 */

export const EXAMPLE_APPLICATION = {
  name: 'Reporting (example)',
  redirectUri: 'http://localhost:4000/callback',
  backchannelLogoutUri: 'http://localhost:4000/backchannel-logout',
} as const;

/** The example reads this name (examples/reporting-app/settings.ts CLIENT_FILE_NAME; a test compares them). */
export const EXAMPLE_CLIENT_FILE = 'reporting-app-client.json';

const DEMO_SEED: Actor = { kind: 'system', label: 'demo seed' };

export function exampleClientFile(config: Pick<Config, 'dataDir'>): string {
  return path.join(config.dataDir, EXAMPLE_CLIENT_FILE);
}

/**
 * Whether the example is registered already, enabled or not: an application with its name or its
 * return address, or the one the file names. Central support may have disabled it, and that must
 * stick: registering it again at the next start would undo the decision.
 */
async function alreadyRegistered(services: Pick<Services, 'applications'>, file: string): Promise<boolean> {
  const applications = await services.applications.list(DEMO_SEED);
  if (
    applications.some(
      (a) => a.name === EXAMPLE_APPLICATION.name || a.redirectUris.includes(EXAMPLE_APPLICATION.redirectUri),
    )
  )
    return true;
  let clientId: unknown;
  try {
    clientId = (JSON.parse(await readFile(file, 'utf8')) as { clientId?: unknown }).clientId;
  } catch {
    return false;
  }
  return applications.some((a) => a.clientId === clientId);
}

/**
 * Registers the example unless it is registered already (a demo seeded earlier), enabled or
 * disabled; returns the file and whether it registered now.
 */
export async function registerExampleApplication(
  services: Pick<Services, 'applications'>,
  config: Pick<Config, 'dataDir' | 'baseUrl'>,
): Promise<{ file: string; registered: boolean }> {
  const file = exampleClientFile(config);
  if (await alreadyRegistered(services, file)) return { file, registered: false };
  const { application, clientSecret } = await services.applications.register(
    DEMO_SEED,
    {
      name: EXAMPLE_APPLICATION.name,
      redirectUris: [EXAMPLE_APPLICATION.redirectUri],
      backchannelLogoutUri: EXAMPLE_APPLICATION.backchannelLogoutUri,
    },
    SYSTEM_CONTEXT,
  );
  const body = { issuer: `${config.baseUrl}/oidc`, clientId: application.clientId, clientSecret };
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, JSON.stringify(body, null, 2) + '\n', { mode: 0o600 });
  await rename(temporary, file);
  return { file, registered: true };
}
