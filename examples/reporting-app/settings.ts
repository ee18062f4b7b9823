import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ReportingAppOptions } from './app.ts';

/**
 * Where the app finds its registration with Nexus Accounts, without a secret in the repository or
 * in a URL: NEXUS_ISSUER, NEXUS_CLIENT_ID and NEXUS_CLIENT_SECRET when set; otherwise the file the
 * demo writes when it registers this app (DATA_DIR/reporting-app-client.json, readable by its owner
 * only), or the file NEXUS_CLIENT_FILE names.
 */

/** The file's name in Nexus's DATA_DIR (the demo writes it: src/demo/example-application.ts). */
export const CLIENT_FILE_NAME = 'reporting-app-client.json';

export interface ClientFile {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
}

export class SettingsError extends Error {}

function readClientFile(file: string): ClientFile {
  let parsed: Partial<Record<keyof ClientFile, unknown>>;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as typeof parsed;
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new SettingsError(
      missing
        ? `${file} does not exist. Start Nexus Accounts with the demo first (npm start), or set NEXUS_ISSUER, NEXUS_CLIENT_ID and NEXUS_CLIENT_SECRET.`
        : `${file} could not be read as JSON.`,
    );
  }
  const { issuer, clientId, clientSecret } = parsed;
  if (typeof issuer !== 'string' || typeof clientId !== 'string' || typeof clientSecret !== 'string')
    throw new SettingsError(`${file} must name the issuer, clientId and clientSecret.`);
  return { issuer, clientId, clientSecret };
}

export function loadSettings(
  env: NodeJS.ProcessEnv = process.env,
): ReportingAppOptions & { port: number; host: string } {
  const port = Number(env.PORT || 4000);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new SettingsError(`PORT must be a port number; got "${env.PORT}"`);
  const fromEnv = env.NEXUS_CLIENT_ID && env.NEXUS_CLIENT_SECRET;
  const registration = fromEnv
    ? {
        issuer: env.NEXUS_ISSUER || 'http://localhost:3000/oidc',
        clientId: env.NEXUS_CLIENT_ID!,
        clientSecret: env.NEXUS_CLIENT_SECRET!,
      }
    : readClientFile(env.NEXUS_CLIENT_FILE || path.resolve(env.DATA_DIR || 'data', CLIENT_FILE_NAME));
  return {
    issuer: new URL(env.NEXUS_ISSUER || registration.issuer),
    clientId: registration.clientId,
    clientSecret: registration.clientSecret,
    appUrl: new URL(env.APP_URL || `http://localhost:${port}`),
    port,
    host: env.HOST || 'localhost',
    ...(env.COOKIE_SECRET ? { cookieSecret: env.COOKIE_SECRET } : {}),
    logger: true,
  };
}
