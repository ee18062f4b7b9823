import { randomUUID } from 'node:crypto';
import type { Db } from '../../src/data/database.ts';
import { newTotpSecret } from '../../src/domain/totp.ts';
import { typeDefaults, type Privilege, type UserType } from '../../src/domain/privileges.ts';
import { hashPassword } from '../../src/services/sign-in/password-hasher.ts';
import { SecretBox } from '../../src/services/sign-in/secrets.ts';

export const TEST_PASSWORD = 'Lantern-Orbit-Pickle-42';
let cachedHash: Promise<string> | undefined;

export async function createOrganisation(db: Db, laCode: string, name: string): Promise<number> {
  const row = await db
    .insertInto('organisations')
    .values({
      kind: laCode === 'central' ? 'central' : 'la',
      la_code: laCode === 'central' ? null : laCode,
      name,
      created_at: new Date('2020-01-01T00:00:00Z'),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Camden with its administrator, and the central support organisation with a support account. */
export async function supportAndCamdenAdmin(db: Db, secretKey: string, camdenName = 'Camden') {
  const camden = await createOrganisation(db, '202', camdenName);
  const central = await createOrganisation(db, 'central', 'NCER Support');
  const support = await createAccount(db, secretKey, {
    organisationId: central,
    username: 'support',
    userType: 'support',
  });
  const admin = await createAccount(db, secretKey, {
    organisationId: camden,
    username: 'camden.admin',
    userType: 'la_admin',
  });
  return { camden, central, support, admin };
}

export interface FixtureAccount {
  id: string;
  username: string;
  password: string;
  totpSecret: string | null;
}

/** Inserts an account directly (bypassing the services) for tests that need one quickly. */
export async function createAccount(
  db: Db,
  secretKey: string,
  options: {
    organisationId: number;
    username: string;
    userType?: UserType;
    privileges?: readonly Privilege[];
    status?: 'active' | 'archived';
    enrolled?: boolean;
    password?: string | null;
    createdAt?: Date;
    lastSignInAt?: Date | null;
    firstName?: string;
    lastName?: string;
    email?: string;
  },
): Promise<FixtureAccount> {
  const id = randomUUID();
  const password = options.password === undefined ? TEST_PASSWORD : options.password;
  const passwordHash =
    password === null
      ? null
      : password === TEST_PASSWORD
        ? await (cachedHash ??= hashPassword(TEST_PASSWORD))
        : await hashPassword(password);
  const totpSecret = options.enrolled === false ? null : newTotpSecret();
  const userType = options.userType ?? 'la_officer';
  const createdAt = options.createdAt ?? new Date('2025-01-01T00:00:00Z');
  await db
    .insertInto('accounts')
    .values({
      id,
      organisation_id: options.organisationId,
      username: options.username,
      first_name: options.firstName ?? 'Test',
      last_name: options.lastName ?? options.username,
      email: options.email ?? `${options.username}@example.gov.uk`,
      user_type: userType,
      status: options.status ?? 'active',
      archived_at: options.status === 'archived' ? createdAt : null,
      archive_reason: options.status === 'archived' ? 'manual' : null,
      password_hash: passwordHash,
      totp_secret: totpSecret ? new SecretBox(secretKey).seal(totpSecret) : null,
      totp_enrolled_at: totpSecret ? createdAt : null,
      created_at: createdAt,
      last_sign_in_at: options.lastSignInAt ?? null,
      updated_at: createdAt,
    })
    .execute();
  const privileges = options.privileges ?? typeDefaults(userType);
  if (privileges.length > 0) {
    await db
      .insertInto('account_privileges')
      .values(privileges.map((privilege) => ({ account_id: id, privilege })))
      .execute();
  }
  return { id, username: options.username, password: password ?? '', totpSecret };
}
