import type { Executor } from '../database.ts';

export async function insertApiToken(
  db: Executor,
  row: {
    id: string;
    organisationId: number;
    createdBy: string;
    name: string;
    prefix: string;
    tokenHash: string;
    createdAt: Date;
    expiresAt: Date | null;
  },
): Promise<void> {
  await db
    .insertInto('api_tokens')
    .values({
      id: row.id,
      organisation_id: row.organisationId,
      created_by: row.createdBy,
      name: row.name,
      prefix: row.prefix,
      token_hash: row.tokenHash,
      created_at: row.createdAt,
      expires_at: row.expiresAt,
    })
    .execute();
}

export async function findApiTokenByHash(db: Executor, tokenHash: string) {
  return db.selectFrom('api_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

export async function findApiToken(db: Executor, id: string) {
  return db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listApiTokens(db: Executor, organisationId: number) {
  return db
    .selectFrom('api_tokens')
    .leftJoin('accounts', 'accounts.id', 'api_tokens.created_by')
    .select([
      'api_tokens.id',
      'api_tokens.name',
      'api_tokens.prefix',
      'api_tokens.created_at',
      'api_tokens.expires_at',
      'api_tokens.last_used_at',
      'api_tokens.revoked_at',
      'api_tokens.created_by',
      'accounts.first_name',
      'accounts.last_name',
      'accounts.username',
    ])
    .where('api_tokens.organisation_id', '=', organisationId)
    .orderBy('api_tokens.revoked_at', (o) => o.desc().nullsFirst())
    .orderBy('api_tokens.created_at', 'desc')
    .execute();
}

/** Revokes once: a second revoke (or a race of two) changes nothing and reports false. */
export async function revokeApiToken(db: Executor, id: string, by: string, now: Date): Promise<boolean> {
  const result = await db
    .updateTable('api_tokens')
    .set({ revoked_at: now, revoked_by: by })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function touchApiToken(db: Executor, id: string, now: Date): Promise<void> {
  await db.updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', id).execute();
}

/** Revokes every live token an account created (when it is archived): for good, a restore does not bring them back. */
export async function revokeApiTokensOf(
  db: Executor,
  createdBy: string,
  by: string | null,
  now: Date,
): Promise<number> {
  const result = await db
    .updateTable('api_tokens')
    .set({ revoked_at: now, revoked_by: by })
    .where('created_by', '=', createdBy)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
