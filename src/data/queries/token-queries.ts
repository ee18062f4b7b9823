import type { Executor, TokenPurpose } from '../database.ts';
import { inChunks } from './chunks.ts';

/** A new link replaces the account's older unused ones of the same purpose: they count as used now. */
async function retireUnusedTokens(
  db: Executor,
  t: { accountId: string; purpose: TokenPurpose; now: Date },
): Promise<void> {
  await db
    .updateTable('account_tokens')
    .set({ used_at: t.now })
    .where('account_id', '=', t.accountId)
    .where('purpose', '=', t.purpose)
    .where('used_at', 'is', null)
    .execute();
}

export async function insertToken(
  db: Executor,
  t: { tokenHash: string; accountId: string; purpose: TokenPurpose; now: Date; expiresAt: Date },
): Promise<void> {
  await retireUnusedTokens(db, t);
  await db
    .insertInto('account_tokens')
    .values({
      token_hash: t.tokenHash,
      account_id: t.accountId,
      purpose: t.purpose,
      created_at: t.now,
      expires_at: t.expiresAt,
    })
    .execute();
}

/**
 * The same as `insertToken`, but the new row is written only if `accountId` names an account: the
 * row is selected from `accounts`, so the same two statements run whether or not it does. The
 * forgotten-password request runs them for every name, with a stand-in id for names it will not
 * answer, so that its work does not tell which accounts exist (R53). Returns whether it wrote.
 */
export async function replaceTokenIfAccountExists(
  db: Executor,
  t: { tokenHash: string; accountId: string; purpose: TokenPurpose; now: Date; expiresAt: Date },
): Promise<boolean> {
  await retireUnusedTokens(db, t);
  const result = await db
    .insertInto('account_tokens')
    .columns(['token_hash', 'account_id', 'purpose', 'created_at', 'expires_at'])
    .expression(
      db
        .selectFrom('accounts')
        .where('accounts.id', '=', t.accountId)
        .select((eb) => [
          eb.cast<string>(eb.val(t.tokenHash), 'text').as('token_hash'),
          'accounts.id as account_id',
          eb.cast<TokenPurpose>(eb.val(t.purpose), 'text').as('purpose'),
          eb.cast<Date>(eb.val(t.now), 'timestamptz').as('created_at'),
          eb.cast<Date>(eb.val(t.expiresAt), 'timestamptz').as('expires_at'),
        ]),
    )
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

/** Links of new accounts, which have no older link to replace. */
export async function insertNewAccountTokens(
  db: Executor,
  tokens: readonly { tokenHash: string; accountId: string; purpose: TokenPurpose; now: Date; expiresAt: Date }[],
): Promise<void> {
  await inChunks(tokens, (chunk) =>
    db
      .insertInto('account_tokens')
      .values(
        chunk.map((t) => ({
          token_hash: t.tokenHash,
          account_id: t.accountId,
          purpose: t.purpose,
          created_at: t.now,
          expires_at: t.expiresAt,
        })),
      )
      .execute(),
  );
}

export async function findUsableToken(db: Executor, tokenHash: string, purpose: TokenPurpose, now: Date) {
  return db
    .selectFrom('account_tokens')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
}

/** Marks the link used; only one caller can win (single use). */
export async function consumeToken(
  db: Executor,
  tokenHash: string,
  purpose: TokenPurpose,
  now: Date,
): Promise<string | undefined> {
  const row = await db
    .updateTable('account_tokens')
    .set({ used_at: now })
    .where('token_hash', '=', tokenHash)
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .returning('account_id')
    .executeTakeFirst();
  return row?.account_id;
}

/** The account's latest invitation link, used or not: what the user page says of an invited account. */
export async function latestInvitation(db: Executor, accountId: string) {
  return db
    .selectFrom('account_tokens')
    .select(['created_at', 'expires_at', 'used_at'])
    .where('account_id', '=', accountId)
    .where('purpose', '=', 'invitation')
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
}
