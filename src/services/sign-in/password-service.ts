import { randomUUID } from 'node:crypto';
import type { Account, Executor, TokenPurpose } from '../../data/database.ts';
import {
  findAccountById,
  findAccountByUsername,
  findOrganisation,
  setPasswordHash,
} from '../../data/queries/account-queries.ts';
import { countAttempt } from '../../data/queries/throttle-queries.ts';
import {
  consumeToken,
  findUsableToken,
  insertToken,
  replaceTokenIfAccountExists,
} from '../../data/queries/token-queries.ts';
import type { Actor } from '../../domain/access.ts';
import { decide } from '../../domain/access.ts';
import { LinkExpiredError, NotFoundError, RuleError, ThrottledError, ValidationError } from '../../domain/errors.ts';
import { MAX_PASSWORD_LENGTH, passwordProblem } from '../../domain/passwords.ts';
import { normaliseUsername, usernameProblem } from '../../domain/usernames.ts';
import { enqueueEmail, enqueueEmailIfAccountExists } from '../../mail/enqueue.ts';
import { passwordChangedEmail } from '../../mail/templates/account-emails.ts';
import { audit, who, type Who } from '../audit.ts';
import { accountFor } from '../accounts/account-operations.ts';
import { formatDateTime, mailDomain, type ServiceDeps } from '../deps.ts';
import { endSessionsOfAccount } from './end-sessions.ts';
import { dummyHash, hashPassword, verifyPassword } from './password-hasher.ts';
import { linkParts, type LinkAccount } from './link-parts.ts';
import type { RequestContext } from '../request-context.ts';
import { hashToken } from './secrets.ts';
import { fullName } from '../../domain/names.ts';

/** No organisation has this id (they count up from 1): looked up for a name without an account. */
const NO_ORGANISATION = 0;

/**
 * Whom the link of a name that gets no email is built for: shaped like the account it would be, with
 * an id no account has (a new random UUID), so nothing is written for it.
 */
function standIn(username: string, organisationId: number): LinkAccount {
  return {
    id: randomUUID(),
    organisation_id: organisationId,
    username,
    first_name: username,
    last_name: username,
    email: `${username}@invalid`,
  };
}

export interface NewPasswordInput {
  password: string;
  confirmPassword: string;
}

/**
 * Passwords outside sign-in: invitations (R9), forgotten-password links, and the change on My
 * Account. Links are random, stored hashed, single-use and expiring.
 */
export function createPasswordService(deps: ServiceDeps) {
  const { db, clock, config } = deps;
  const domain = mailDomain(config);

  /** "Your password was changed", after a reset or a change (not after accepting an invitation). */
  const enqueuePasswordChanged = (trx: Executor, account: Account, passwordHash: string, now: Date) =>
    enqueueEmail(trx, domain, {
      dedupKey: passwordChangedKey(account.id, passwordHash),
      template: 'password-changed',
      to: { address: account.email, name: fullName(account) },
      organisationId: account.organisation_id,
      accountId: account.id,
      content: passwordChangedEmail({
        platformName: config.platformName,
        firstName: account.first_name,
        username: account.username,
        when: formatDateTime(now, config.lifecycle.timezone),
      }),
      now,
    });

  /** Field errors for a new password and its confirmation (R51); empty when both are fine. */
  function newPasswordProblems(input: NewPasswordInput, account: Account): Record<string, string> {
    const errors: Record<string, string> = {};
    const problem = passwordProblem(input.password ?? '', [
      account.username,
      account.first_name,
      account.last_name,
      account.email,
    ]);
    if (problem) errors.password = problem;
    else if (!input.confirmPassword) errors.confirmPassword = 'Confirm your new password';
    else if (input.password !== input.confirmPassword) errors.confirmPassword = 'Enter the same password twice';
    return errors;
  }

  function checkNewPassword(input: NewPasswordInput, account: Account): void {
    const errors = newPasswordProblems(input, account);
    if (Object.keys(errors).length > 0) throw new ValidationError(errors);
  }

  /**
   * Counts an attempt against each key in the throttle table and refuses once any is over its
   * limit within the window (config.throttle). The count comes before the check, atomically, so
   * parallel requests cannot slip past it.
   */
  async function throttle(keys: readonly (readonly [string, number])[]): Promise<void> {
    const now = clock.now();
    const windowStart = new Date(now.getTime() - config.throttle.windowMinutes * 60_000);
    for (const [key, limit] of keys) {
      const { attempts } = await countAttempt(db, key, now, windowStart);
      if (attempts > limit) throw new ThrottledError(config.throttle.windowMinutes * 60);
    }
  }

  async function issueLink(
    trx: Executor,
    account: Account,
    purpose: TokenPurpose,
    by: Who,
    ctx: RequestContext,
    /** An invitation sent again is its own event in the audit log. */
    resent = false,
  ): Promise<{ token: string; expiresAt: Date }> {
    const organisation = await findOrganisation(trx, account.organisation_id);
    // The email names the person who invited; the system (command line, provisioning) is no person.
    const inviter = purpose === 'invitation' && by.accountId ? await findAccountById(trx, by.accountId) : undefined;
    const link = linkParts(config, {
      account,
      purpose,
      now: clock.now(),
      laName: organisation?.name ?? '',
      inviter: inviter ? { id: inviter.id, name: fullName(inviter) } : null,
      resent,
    });
    await insertToken(trx, link.tokenRow);
    await enqueueEmail(trx, domain, link.email);
    await audit(trx, by, ctx, link.tokenRow.now, link.audit);
    return { token: link.token, expiresAt: link.tokenRow.expiresAt };
  }

  async function usableLink(token: string, purpose: TokenPurpose) {
    if (!token || token.length > 200) throw new LinkExpiredError();
    const row = await findUsableToken(db, hashToken(token), purpose, clock.now());
    const account = row ? await findAccountById(db, row.account_id) : undefined;
    if (!row || !account || account.status !== 'active') throw new LinkExpiredError();
    return account;
  }

  async function setFromLink(
    token: string,
    purpose: TokenPurpose,
    input: NewPasswordInput,
    ctx: RequestContext,
  ): Promise<Account> {
    const account = await usableLink(token, purpose);
    checkNewPassword(input, account);
    const passwordHash = await hashPassword(input.password);
    const now = clock.now();
    await db.transaction().execute(async (trx) => {
      const accountId = await consumeToken(trx, hashToken(token), purpose, now);
      if (accountId !== account.id) throw new LinkExpiredError();
      await setPasswordHash(trx, account.id, passwordHash, now);
      // A reset is what someone does when they fear the password is known: end every session.
      await endSessionsOfAccount(trx, account.id, now);
      await audit(trx, { accountId: account.id, label: account.username }, ctx, now, {
        action: purpose === 'invitation' ? 'invitation.accepted' : 'password-reset.completed',
        organisationId: account.organisation_id,
        subjectAccountId: account.id,
      });
      if (purpose === 'password_reset') {
        await enqueuePasswordChanged(trx, account, passwordHash, now);
      }
    });
    return account;
  }

  return {
    /** Issues an invitation link in the caller's transaction (account creation, create-admin). */
    issueInvitation: async (trx: Executor, account: Account, by: Who, ctx: RequestContext) =>
      (await issueLink(trx, account, 'invitation', by, ctx)).token,

    /**
     * Resend invitation (R9): a new link, emailed, for an account whose holder never set a password.
     * Older links of the account stop working in the same transaction (they count as used), so a
     * lost or forwarded email cannot be used after its replacement was sent.
     */
    async resendInvitation(actor: Actor, id: string, ctx: RequestContext): Promise<{ email: string; expiresAt: Date }> {
      const found = await accountFor(deps, actor, 'users.resend-invitation', id);
      return db.transaction().execute(async (trx) => {
        // Read again inside the transaction: the invitation may have been taken up meanwhile.
        const account = (await findAccountById(trx, found.id)) ?? found;
        if (account.status !== 'active')
          throw new RuleError('This account is archived. Restore it before you send its holder a new invitation.');
        if (account.password_hash !== null)
          throw new RuleError(
            `${fullName(account)} has already set a password, so there is no invitation to send again. If they have forgotten it, they can reset it from the sign-in page.`,
          );
        const { expiresAt } = await issueLink(trx, account, 'invitation', who(actor), ctx, true);
        return { email: account.email, expiresAt };
      });
    },

    /**
     * Always answers the same way, whether or not the account exists (R53), and after the same
     * work: only an active account with a password gets the email, but every name goes through
     * the same steps — the same lookups, a link built (token, hash, email rendered), and one
     * transaction with the same statements. For a name that gets no email the link is built for a
     * stand-in whose id no account has, so the statements that write the token and the email
     * write nothing (`replaceTokenIfAccountExists`, `enqueueEmailIfAccountExists`).
     */
    async requestPasswordReset(usernameInput: string, ctx: RequestContext): Promise<void> {
      // The format of a username (R7) says nothing about whether an account has it.
      const formatProblem = usernameProblem(usernameInput ?? '');
      if (formatProblem) {
        throw new ValidationError({
          username: formatProblem === 'Enter a username' ? 'Enter your username' : formatProblem,
        });
      }
      const username = normaliseUsername(usernameInput);
      // Limits emails to one person and requests from one address; counted for unknown names
      // too, so that the limit says nothing about which accounts exist.
      const keys: [string, number][] = [[`reset-account:${username}`, config.throttle.accountLimit]];
      if (ctx.ip) keys.push([`reset-address:${ctx.ip}`, config.throttle.addressLimit]);
      await throttle(keys);
      const now = clock.now();
      const by: Who = { accountId: null, label: username };
      await db.transaction().execute(async (trx) => {
        const account = await findAccountByUsername(trx, username);
        const eligible = account && account.status === 'active' && account.password_hash ? account : undefined;
        const organisation = await findOrganisation(trx, account?.organisation_id ?? NO_ORGANISATION);
        const link = linkParts(config, {
          account: eligible ?? standIn(username, account?.organisation_id ?? NO_ORGANISATION),
          purpose: 'password_reset',
          now,
          laName: organisation?.name ?? '',
          inviter: null,
        });
        const written = await replaceTokenIfAccountExists(trx, link.tokenRow);
        await enqueueEmailIfAccountExists(trx, domain, { ...link.email, accountId: link.tokenRow.accountId });
        if (eligible && !written) throw new Error('The reset link of an active account was not written');
        await audit(
          trx,
          by,
          ctx,
          now,
          eligible
            ? link.audit
            : {
                action: 'password-reset.refused',
                organisationId: account?.organisation_id ?? null,
                subjectAccountId: account?.id ?? null,
                details: {
                  reason: account
                    ? account.status !== 'active'
                      ? `account-${account.status}`
                      : 'no-password-yet'
                    : 'unknown-username',
                },
              },
        );
      });
    },

    /** Who the link is for, or LinkExpiredError; the page shows the form only for a usable link. */
    async checkLink(token: string, purpose: TokenPurpose): Promise<{ username: string; firstName: string }> {
      const account = await usableLink(token, purpose);
      return { username: account.username, firstName: account.first_name };
    },

    resetPassword: (token: string, input: NewPasswordInput, ctx: RequestContext) =>
      setFromLink(token, 'password_reset', input, ctx),
    acceptInvitation: (token: string, input: NewPasswordInput, ctx: RequestContext) =>
      setFromLink(token, 'invitation', input, ctx),

    /**
     * My Account: needs the current password (a borrowed, unlocked screen is not enough), then
     * ends every other session of the account, keeps this one, and emails a notice.
     */
    async changePassword(
      actor: Actor,
      input: NewPasswordInput & { currentPassword: string },
      ctx: RequestContext & { sessionIdHash?: string },
    ): Promise<void> {
      if (
        actor.kind !== 'account' ||
        decide(actor, 'my-account.change-password', { accountId: actor.accountId }) !== 'allow'
      )
        throw new NotFoundError();
      const account = await findAccountById(db, actor.accountId);
      if (!account) throw new NotFoundError();
      const errors: Record<string, string> = {};
      const current = input.currentPassword ?? '';
      if (!current) errors.currentPassword = 'Enter your current password';
      else if (current.length > MAX_PASSWORD_LENGTH) errors.currentPassword = 'Your current password is not correct';
      else {
        // Guessing the password from a session someone left open is limited like sign-in (R53).
        await throttle([[`password-change:${account.id}`, config.throttle.accountLimit]]);
        if (!(await verifyPassword(account.password_hash ?? (await dummyHash()), current))) {
          await audit(db, { accountId: account.id, label: account.username }, ctx, clock.now(), {
            action: 'password.change-refused',
            organisationId: account.organisation_id,
            subjectAccountId: account.id,
          });
          errors.currentPassword = 'Your current password is not correct';
        }
      }
      Object.assign(errors, newPasswordProblems(input, account));
      if (Object.keys(errors).length > 0) throw new ValidationError(errors);
      const passwordHash = await hashPassword(input.password);
      const now = clock.now();
      await db.transaction().execute(async (trx) => {
        await setPasswordHash(trx, account.id, passwordHash, now);
        const ended = await endSessionsOfAccount(trx, account.id, now, ctx.sessionIdHash);
        await audit(trx, { accountId: account.id, label: account.username }, ctx, now, {
          action: 'password.changed',
          organisationId: account.organisation_id,
          subjectAccountId: account.id,
          details: { otherSessionsEnded: ended },
        });
        await enqueuePasswordChanged(trx, account, passwordHash, now);
      });
    },
  };
}

/** One notice per change: each new hash has its own salt, so the key is unique per change and stable on a retry. */
function passwordChangedKey(accountId: string, passwordHash: string): string {
  return `password-changed:${accountId}:${hashToken(passwordHash).slice(0, 32)}`;
}

export type PasswordService = ReturnType<typeof createPasswordService>;
