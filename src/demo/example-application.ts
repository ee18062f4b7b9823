import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.ts';
import type { Actor } from '../domain/access.ts';
import { NotFoundError } from '../domain/errors.ts';
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

/** The client id of the file, when it names an application that is still registered and enabled. */
async function registeredClientId(services: Pick<Services, 'applications'>, file: string): Promise<string | undefined> {
  let clientId: unknown;
  try {
    clientId = (JSON.parse(await readFile(file, 'utf8')) as { clientId?: unknown }).clientId;
  } catch {
    return undefined;
  }
  try {
    const application = await services.applications.view(DEMO_SEED, clientId);
    return application.disabledAt ? undefined : application.clientId;
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

/**
 * Registers the example unless the file already names its registration (a demo seeded earlier);
 * returns the file and whether it registered now.
 */
export async function registerExampleApplication(
  services: Pick<Services, 'applications'>,
  config: Pick<Config, 'dataDir' | 'baseUrl'>,
): Promise<{ file: string; registered: boolean }> {
  const file = exampleClientFile(config);
  if (await registeredClientId(services, file)) return { file, registered: false };
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
