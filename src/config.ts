import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Cron } from 'croner';
import { isTopic, TOPICS } from './domain/topics.ts';

/**
 * Every setting the service reads from the environment, in one typed object, validated here:
 * a bad value stops the start with a ConfigError naming the setting. The README's configuration
 * table lists the same settings; keep the two together.
 */
export interface Config {
  readonly port: number;
  readonly host: string;
  /** Public base URL used in emailed links (invitation, password reset). */
  readonly baseUrl: string;
  readonly dataDir: string;
  /** PostgreSQL server; when absent the embedded PGlite database in `dataDir` is used. */
  readonly databaseUrl: string | undefined;
  /** Secret for cookie signing and for encrypting TOTP keys at rest. */
  readonly secretKey: string;
  readonly trustProxy: boolean;
  readonly secureCookies: boolean;
  readonly sessionIdleMinutes: number;
  readonly sessionAbsoluteHours: number;
  /** R64: a session opened through an LA's provider is re-checked with it when the last check is this old. */
  readonly laSignInRecheckHours: number;
  readonly invitationDays: number;
  readonly passwordResetMinutes: number;
  readonly throttle: {
    readonly accountLimit: number;
    readonly addressLimit: number;
    readonly windowMinutes: number;
    readonly lockMinutes: number;
  };
  /** R33: days a manually archived account is kept before deletion. */
  readonly manualRetentionDays: number;
  /** R33: months an account archived for inactivity, access end or provisioning is kept. */
  readonly automaticRetentionMonths: number;
  /** R52: months a security alert keeps the username and address it was raised for, after the account is deleted. */
  readonly securityAlertRetentionMonths: number;
  /** R35–R37: warning months, archive month and minimum notice of the inactivity policy. */
  readonly lifecycle: {
    readonly warningMonths: readonly [number, number, number];
    readonly archiveMonths: number;
    readonly minimumNoticeDays: number;
    /** Cron pattern of the nightly run (R41), in `timezone`. */
    readonly schedule: string;
    readonly timezone: string;
  };
  /** R47: the weekly Admin Digest. */
  readonly digest: {
    readonly inactiveMonths: number;
    /** Cron pattern, in `lifecycle.timezone` (default Monday 07:00). */
    readonly schedule: string;
  };
  /** R56–R57: the JSON API and SCIM. */
  readonly api: {
    /** Requests a minute per API token (per address for requests without a valid token). */
    readonly rateLimitPerMinute: number;
    /** What SCIM DELETE does to an account: archive it (reason provisioning) or delete it. */
    readonly scimDelete: 'archive' | 'delete';
  };
  /** R61–R63: the OpenID Connect provider at BASE_URL/oidc. */
  readonly oidc: {
    /** R63: an access token's life; a change of privileges or an archive reaches applications by then. */
    readonly accessTokenMinutes: number;
    readonly idTokenMinutes: number;
    /** A refresh token's life; each use gives a new one (rotation). */
    readonly refreshTokenHours: number;
    /** A new signing key is published this long before it signs, so every process serves it first. */
    readonly keyPropagationSeconds: number;
  };
  readonly smtpUrl: string | undefined;
  readonly mailFrom: string;
  readonly platformName: string;
  /** R25: names of the communication topics, by code (COMMUNICATION_TOPIC_NAMES="news=…;training=…"). */
  readonly topicNames: Readonly<Record<string, string>>;
  readonly supportName: string;
  readonly supportEmail: string;
  readonly logLevel: string;
  readonly seedDemo: boolean;
}

type Env = Record<string, string | undefined>;

export class ConfigError extends Error {}

function int(env: Env, name: string, fallback: number, min = 1): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new ConfigError(`${name} must be a whole number of at least ${min}; got "${raw}"`);
  }
  return value;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false; got "${raw}"`);
}

/**
 * In embedded mode a secret is generated once and kept in the data folder, so sessions and
 * encrypted TOTP keys survive restarts without the newcomer setting anything. Production
 * (DATABASE_URL set) must provide SECRET_KEY: several processes have to share it.
 */
function resolveSecret(env: Env, dataDir: string, embedded: boolean): string {
  const given = env.SECRET_KEY;
  if (given) {
    if (given.length < 32) throw new ConfigError('SECRET_KEY must be at least 32 characters');
    return given;
  }
  if (!embedded) throw new ConfigError('SECRET_KEY is required when DATABASE_URL is set');
  const file = path.join(dataDir, 'secret-key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, secret + '\n', { mode: 0o600 });
  return secret;
}

function topicNames(raw: string | undefined): Record<string, string> {
  if (!raw) return {};
  const names: Record<string, string> = {};
  for (const pair of raw
    .split(';')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [code, ...rest] = pair.split('=');
    const name = rest.join('=').trim();
    if (!code || !isTopic(code.trim()) || !name || name.length > 100) {
      throw new ConfigError(
        `COMMUNICATION_TOPIC_NAMES must be "code=Name" pairs separated by ";" with codes ${TOPICS.map((t) => t.code).join(', ')}; got "${pair}"`,
      );
    }
    names[code.trim()] = name;
  }
  return names;
}

function timeZone(env: Env, name: string, fallback: string): string {
  const zone = env[name] || fallback;
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: zone });
  } catch {
    throw new ConfigError(`${name} must be an IANA time zone such as Europe/London; got "${zone}"`);
  }
  return zone;
}

/** A cron pattern croner accepts (5 or 6 fields, names of days and months), in `timezone`. */
function cronPattern(env: Env, name: string, fallback: string, timezone: string): string {
  const pattern = env[name] || fallback;
  try {
    new Cron(pattern, { timezone, paused: true });
  } catch (error) {
    throw new ConfigError(
      `${name} must be a cron pattern such as "${fallback}"; "${pattern}" is not: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return pattern;
}

function lifecycleSettings(env: Env): Config['lifecycle'] {
  const raw = env.LIFECYCLE_WARNING_MONTHS || '15,16,17';
  const months = raw.split(',').map((m) => Number(m.trim()));
  if (
    months.length !== 3 ||
    months.some((m) => !Number.isInteger(m) || m < 1) ||
    !(months[0]! < months[1]! && months[1]! < months[2]!)
  ) {
    throw new ConfigError(
      `LIFECYCLE_WARNING_MONTHS must be three ascending whole numbers, like 15,16,17; got "${raw}"`,
    );
  }
  const archiveMonths = int(env, 'LIFECYCLE_ARCHIVE_MONTHS', 18);
  if (archiveMonths <= months[2]!)
    throw new ConfigError('LIFECYCLE_ARCHIVE_MONTHS must be later than the last warning month');
  const timezone = timeZone(env, 'LIFECYCLE_TIMEZONE', 'Europe/London');
  return {
    warningMonths: months as [number, number, number],
    archiveMonths,
    minimumNoticeDays: int(env, 'LIFECYCLE_NOTICE_DAYS', 14),
    schedule: cronPattern(env, 'LIFECYCLE_SCHEDULE', '0 2 * * *', timezone),
    timezone,
  };
}

function scimDelete(raw: string | undefined): 'archive' | 'delete' {
  if (raw === undefined || raw === '' || raw === 'archive') return 'archive';
  if (raw === 'delete') return 'delete';
  throw new ConfigError(`SCIM_DELETE must be archive or delete; got "${raw}"`);
}

export function loadConfig(env: Env = process.env): Config {
  const port = int(env, 'PORT', 3000, 0);
  const host = env.HOST || '127.0.0.1';
  const dataDir = path.resolve(env.DATA_DIR || 'data');
  const databaseUrl = env.DATABASE_URL || undefined;
  const baseUrl = (env.BASE_URL || `http://localhost:${port}`).replace(/\/+$/, '');
  const secure = baseUrl.startsWith('https://');
  const lifecycle = lifecycleSettings(env);
  return {
    port,
    host,
    baseUrl,
    dataDir,
    databaseUrl,
    secretKey: resolveSecret(env, dataDir, databaseUrl === undefined),
    trustProxy: bool(env, 'TRUST_PROXY', false),
    secureCookies: bool(env, 'SECURE_COOKIES', secure),
    sessionIdleMinutes: int(env, 'SESSION_IDLE_MINUTES', 30),
    sessionAbsoluteHours: int(env, 'SESSION_ABSOLUTE_HOURS', 12),
    laSignInRecheckHours: int(env, 'LA_SIGN_IN_RECHECK_HOURS', 24),
    invitationDays: int(env, 'INVITATION_DAYS', 7),
    passwordResetMinutes: int(env, 'PASSWORD_RESET_MINUTES', 60),
    throttle: {
      accountLimit: int(env, 'THROTTLE_ACCOUNT_LIMIT', 5),
      addressLimit: int(env, 'THROTTLE_ADDRESS_LIMIT', 20),
      windowMinutes: int(env, 'THROTTLE_WINDOW_MINUTES', 15),
      lockMinutes: int(env, 'THROTTLE_LOCK_MINUTES', 15),
    },
    manualRetentionDays: int(env, 'RETENTION_MANUAL_DAYS', 30),
    automaticRetentionMonths: int(env, 'RETENTION_AUTOMATIC_MONTHS', 18),
    securityAlertRetentionMonths: int(env, 'SECURITY_ALERT_RETENTION_MONTHS', 24),
    lifecycle,
    digest: {
      inactiveMonths: int(env, 'DIGEST_INACTIVE_MONTHS', 12),
      schedule: cronPattern(env, 'DIGEST_SCHEDULE', '0 7 * * 1', lifecycle.timezone),
    },
    api: { rateLimitPerMinute: int(env, 'API_RATE_LIMIT_PER_MINUTE', 600), scimDelete: scimDelete(env.SCIM_DELETE) },
    oidc: {
      accessTokenMinutes: int(env, 'OIDC_ACCESS_TOKEN_MINUTES', 5),
      idTokenMinutes: int(env, 'OIDC_ID_TOKEN_MINUTES', 10),
      refreshTokenHours: int(env, 'OIDC_REFRESH_TOKEN_HOURS', 12),
      keyPropagationSeconds: int(env, 'OIDC_KEY_PROPAGATION_SECONDS', 60, 0),
    },
    smtpUrl: env.SMTP_URL || undefined,
    mailFrom: env.MAIL_FROM || 'Nexus <no-reply@nexus.invalid>',
    platformName: env.PLATFORM_NAME || 'Nexus',
    topicNames: topicNames(env.COMMUNICATION_TOPIC_NAMES),
    supportName: env.SUPPORT_NAME || 'NCER Support',
    supportEmail: env.SUPPORT_EMAIL || 'support@nexus.invalid',
    logLevel: env.LOG_LEVEL || 'info',
    seedDemo: bool(env, 'SEED_DEMO', true),
  };
}
