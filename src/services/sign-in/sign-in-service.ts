import type { Account } from '../../data/database.ts';
import {
  administratorsOf,
  claimTotpStep,
  enrolTotp,
  findAccountById,
  findAccountByUsername,
  findOrganisation,
} from '../../data/queries/account-queries.ts';
import {
  deleteSession,
  endPendingSession,
  findSession,
  insertSession,
  setPendingTotpSecret,
} from '../../data/queries/session-queries.ts';
import { passkeysOf, recordPasskeyUse, setChallenge, takeChallenge } from '../../data/queries/passkey-queries.ts';
import { clearKey, countAttempt, lockKey, refundAttempts } from '../../data/queries/throttle-queries.ts';
import { ArchivedAccountError, AuthenticationError, ThrottledError, ValidationError } from '../../domain/errors.ts';
import { MAX_PASSWORD_LENGTH } from '../../domain/passwords.ts';
import { PASSKEY_CHALLENGE_MINUTES } from '../../domain/passkeys.ts';
import { matchTotp, newTotpSecret, normaliseCode, otpauthUri, totpStep } from '../../domain/totp.ts';
import { normaliseUsername } from '../../domain/usernames.ts';
import { audit, type Who } from '../audit.ts';
import type { ServiceDeps } from '../deps.ts';
import { recordSignInAt } from '../lifecycle/schedule.ts';
import { endProviderSessions } from './end-sessions.ts';
import { dummyHash, verifyPassword } from './password-hasher.ts';
import type { RequestContext } from '../request-context.ts';
import { hashToken, newToken } from './secrets.ts';
import { raiseSecurityAlert } from '../lifecycle/security-alert-service.ts';
import { authenticationOptions, readCredentialResponse, verifyAuthentication } from './webauthn.ts';
import { createLaSignIn } from './la-sign-in.ts';
import { checkPasskeySignIn, PASSKEY_SIGN_IN_REFUSED, passkeySignInOffer } from './passkey-sign-in.ts';

const PASSKEY_REFUSED = 'Your passkey could not be used. Try again, or enter the code from your authenticator app.';

export interface SignInStep {
  /** The new session's cookie value. */
  token: string;
  next: 'two-factor' | 'two-factor-setup';
}

/** A sign-in just completed: the new session's cookie value, whom it signs in and since when. */
export interface SignInCompleted {
  readonly token: string;
  /** Active when it signed in: the sign-in checked it. */
  readonly accountId: string;
  /** The new session's start, when the person last proved who they are. */
  readonly signedInAt: Date;
}

const anonymous = (label: string): Who => ({ accountId: null, label: label.slice(0, 80) || 'unknown' });
const self = (account: Account): Who => ({ accountId: account.id, label: account.username });

/**
 * Sign-in (R9, R30, R51–R54): password, then TOTP, each step throttled per account name and
 * per address. Every failure looks the same from outside: one message, one status, and one
 * argon2id verification's worth of time.
 */
export function createSignInService(deps: ServiceDeps) {
  const { db, clock, config, secretBox } = deps;
  const limits = config.throttle;

  /** Counts this attempt against the account name and the address; refuses when over the limit. */
  async function throttle(username: string, ctx: RequestContext): Promise<void> {
    const keys: [string, number][] = [[`account:${username}`, limits.accountLimit]];
    if (ctx.ip) keys.push([`address:${ctx.ip}`, limits.addressLimit]);
    await throttleKeys(keys, username, ctx);
  }

  /** Counts an attempt against each key, each with its limit; refuses (and audits) when any is over. */
  async function throttleKeys(
    keys: readonly (readonly [string, number])[],
    username: string,
    ctx: RequestContext,
  ): Promise<void> {
    const now = clock.now();
    const windowStart = new Date(now.getTime() - limits.windowMinutes * 60_000);
    let retryAfter = 0;
    for (const [key, limit] of keys) {
      const { attempts, lockedUntil } = await countAttempt(db, key, now, windowStart);
      if (lockedUntil && lockedUntil > now) {
        retryAfter = Math.max(retryAfter, (lockedUntil.getTime() - now.getTime()) / 1000);
      } else if (attempts > limit) {
        const until = new Date(now.getTime() + limits.lockMinutes * 60_000);
        await lockKey(db, key, until);
        retryAfter = Math.max(retryAfter, limits.lockMinutes * 60);
      }
    }
    if (retryAfter > 0) {
      await audit(db, anonymous(username), ctx, now, {
        action: 'sign-in.throttled',
        organisationId: null,
        subjectAccountId: null,
        details: { reason: 'throttled', username },
      });
      throw new ThrottledError(retryAfter);
    }
  }

  async function fail(
    account: Account | undefined,
    username: string,
    reason: string,
    ctx: RequestContext,
    message?: string,
  ): Promise<never> {
    if (account?.status === 'archived') {
      // R52: any attempt on an archived account is a possible breach.
      await db.transaction().execute((trx) =>
        raiseSecurityAlert(trx, deps, account, {
          by: anonymous(username),
          ctx,
          now: clock.now(),
          action: 'sign-in.failed',
          details: { reason },
        }),
      );
    } else {
      await audit(db, anonymous(username), ctx, clock.now(), {
        action: 'sign-in.failed',
        organisationId: account?.organisation_id ?? null,
        subjectAccountId: account?.id ?? null,
        details: { reason, username },
      });
    }
    throw new AuthenticationError(message);
  }

  async function newSession(
    accountId: string,
    stage: 'two_factor' | 'two_factor_setup' | 'signed_in',
    ctx: RequestContext,
    laConfirmedAt?: Date,
  ): Promise<string> {
    const now = clock.now();
    const token = newToken();
    await insertSession(db, {
      idHash: hashToken(token),
      accountId,
      stage,
      now,
      expiresAt: new Date(now.getTime() + config.sessionAbsoluteHours * 3_600_000),
      ip: ctx.ip,
      userAgent: ctx.userAgent,
      laConfirmedAt,
    });
    return token;
  }

  async function pendingSession(token: string, stage: 'two_factor' | 'two_factor_setup') {
    const idHash = hashToken(token);
    const session = await findSession(db, idHash);
    const now = clock.now();
    if (
      !session ||
      session.stage !== stage ||
      session.expires_at <= now ||
      session.last_seen_at.getTime() <= now.getTime() - config.sessionIdleMinutes * 60_000
    ) {
      return undefined;
    }
    const account = await findAccountById(db, session.account_id);
    if (!account || account.status !== 'active') return undefined;
    return { idHash, session, account };
  }

  /** Ends the half-signed-in session (if any) and starts a fully signed-in one under a new id (R54). */
  async function completeSignIn(
    idHash: string | undefined,
    account: Account,
    ctx: RequestContext,
    action: string,
    details?: Record<string, unknown>,
    laConfirmedAt?: Date,
  ): Promise<SignInCompleted> {
    const now = clock.now();
    const token = newToken();
    await db.transaction().execute(async (trx) => {
      // A sign-in through the LA's provider stays one: its session is re-checked with it (R64).
      const carried = idHash ? (await endPendingSession(trx, idHash)).laConfirmedAt : null;
      await insertSession(trx, {
        idHash: hashToken(token),
        accountId: account.id,
        stage: 'signed_in',
        now,
        expiresAt: new Date(now.getTime() + config.sessionAbsoluteHours * 3_600_000),
        ip: ctx.ip,
        userAgent: ctx.userAgent,
        laConfirmedAt: laConfirmedAt ?? carried,
      });
      await recordSignInAt(trx, deps.schedule, account.id, now);
      await clearKey(trx, `account:${account.username.toLowerCase()}`);
      // A complete sign-in gives its two counted attempts (password, code) back to the address:
      // that limit is for failures, and an LA's staff often share one outgoing address. Only a
      // complete sign-in refunds, so a password alone cannot buy extra guesses.
      if (ctx.ip) await refundAttempts(trx, `address:${ctx.ip}`, 2);
      if (ctx.ip) await refundAttempts(trx, `username-step:${ctx.ip}`, 1);
      await audit(trx, self(account), ctx, now, {
        action,
        organisationId: account.organisation_id,
        subjectAccountId: account.id,
        ...(details ? { details } : {}),
      });
    });
    return { token, accountId: account.id, signedInAt: now };
  }

  const laSignIn = createLaSignIn(deps, { throttle, throttleKeys, fail, newSession, completeSignIn });

  return {
    /** Signing in through the LA's own provider (R64): the username step, the start and the callback. */
    signInWay: (username: unknown, ctx: RequestContext) => laSignIn.signInWay(username, ctx),
    startLaSignIn: (username: unknown, returnTo: string | undefined, ctx: RequestContext, reauthenticate?: boolean) =>
      laSignIn.startLaSignIn(username, returnTo, ctx, reauthenticate),
    finishLaSignIn: (token: string | undefined, currentUrl: URL, ctx: RequestContext) =>
      laSignIn.finishLaSignIn(token, currentUrl, ctx),

    async signInWithPassword(input: { username: string; password: string }, ctx: RequestContext): Promise<SignInStep> {
      const username = normaliseUsername(input.username);
      const fields: Record<string, string> = {};
      if (!username) fields.username = 'Enter your username';
      else if (username.length > 64) fields.username = 'Username must be 64 characters or fewer';
      if (!input.password) fields.password = 'Enter your password';
      else if (input.password.length > MAX_PASSWORD_LENGTH)
        fields.password = `Password must be ${MAX_PASSWORD_LENGTH} characters or fewer`;
      if (Object.keys(fields).length > 0) throw new ValidationError(fields);

      await throttle(username, ctx);
      // Fetched for every name, not only unknown ones: the first call of a process computes it
      // (an argon2id hash), and that cost must not fall on unknown names alone (R53).
      const fallbackHash = await dummyHash();
      const account = await findAccountByUsername(db, username);
      const passwordOk = await verifyPassword(account?.password_hash ?? fallbackHash, input.password);
      if (!account) return fail(undefined, username, 'unknown-username', ctx);
      if (!account.password_hash || !passwordOk) return fail(account, username, 'wrong-password', ctx);

      if (account.status !== 'archived') {
        const la = await laSignIn.passwordRefusal(account);
        if (la) return fail(account, username, 'la-account-required', ctx, la);
      }

      if (account.status === 'archived') {
        const organisation = await findOrganisation(db, account.organisation_id);
        await db.transaction().execute((trx) =>
          raiseSecurityAlert(trx, deps, account, {
            by: anonymous(username),
            ctx,
            now: clock.now(),
            action: 'sign-in.archived-account',
            details: {},
          }),
        );
        throw new ArchivedAccountError(await administratorsOf(db, account.organisation_id), organisation?.name ?? '');
      }

      const next = account.totp_secret ? 'two-factor' : 'two-factor-setup';
      const token = await newSession(account.id, next === 'two-factor' ? 'two_factor' : 'two_factor_setup', ctx);
      await audit(db, anonymous(username), ctx, clock.now(), {
        action: 'sign-in.password-accepted',
        organisationId: account.organisation_id,
        subjectAccountId: account.id,
      });
      return { token, next };
    },

    /** Is this cookie value a session waiting for this step? Used by the pages to guard the flow. */
    async pendingStep(token: string | undefined, stage: 'two_factor' | 'two_factor_setup'): Promise<boolean> {
      return token !== undefined && (await pendingSession(token, stage)) !== undefined;
    },

    async verifyTwoFactor(token: string | undefined, codeInput: string, ctx: RequestContext): Promise<SignInCompleted> {
      const pending = token ? await pendingSession(token, 'two_factor') : undefined;
      if (!pending) throw new AuthenticationError('Your sign-in has expired. Sign in again.');
      const { account, idHash } = pending;
      const code = normaliseCode(codeInput ?? '');
      if (!codeInput?.trim())
        throw new ValidationError({ code: 'Enter the security code from your authenticator app' });

      await throttle(account.username.toLowerCase(), ctx);
      const now = clock.now();
      const secret = secretBox.open(account.totp_secret!);
      const lastStep = account.totp_last_step === null ? null : Number(account.totp_last_step);
      const step = code ? matchTotp(secret, code, now, lastStep) : undefined;
      // The conditional update, not the read above, is what refuses a code two sign-ins race with.
      if (step === undefined || !(await claimTotpStep(db, account.id, step))) {
        // Same cost as a password check, so a wrong code is indistinguishable by timing.
        await verifyPassword(await dummyHash(), codeInput);
        // For the audit log only: a valid code whose step was already used is a reuse, not a typo.
        const reused = step !== undefined || (code !== undefined && matchTotp(secret, code, now, null) !== undefined);
        return fail(account, account.username, reused ? 'reused-code' : 'wrong-code', ctx);
      }
      return completeSignIn(idHash, account, ctx, 'sign-in.succeeded');
    },

    /**
     * The passkey way through the two-factor step (R65), offered when the account has a passkey:
     * what the browser needs to ask for one, with the challenge kept on this pending session.
     */
    async passkeyOptions(token: string | undefined) {
      const pending = token ? await pendingSession(token, 'two_factor') : undefined;
      if (!pending) return undefined;
      const passkeys = await passkeysOf(db, pending.account.id);
      if (passkeys.length === 0) return undefined;
      const options = await authenticationOptions(config, passkeys);
      await setChallenge(db, pending.idHash, {
        value: options.challenge,
        purpose: 'authenticate',
        expiresAt: new Date(clock.now().getTime() + PASSKEY_CHALLENGE_MINUTES * 60_000),
      });
      return options;
    },

    /** A passkey instead of the code: throttled, audited and completed as the code is. */
    async verifyPasskey(
      token: string | undefined,
      responseInput: string | undefined,
      ctx: RequestContext,
    ): Promise<SignInCompleted> {
      const pending = token ? await pendingSession(token, 'two_factor') : undefined;
      if (!pending) throw new AuthenticationError('Your sign-in has expired. Sign in again.');
      const { account, idHash } = pending;
      if (!responseInput)
        throw new ValidationError({
          passkey: 'Signing in with a passkey needs JavaScript. Enter the code from your authenticator app instead.',
        });
      await throttle(account.username.toLowerCase(), ctx);
      const now = clock.now();
      const answer = readCredentialResponse(responseInput);
      // Taken whatever follows: a challenge is answered once, right or wrong.
      const challenge = await takeChallenge(db, idHash, 'authenticate', now);
      const passkey = answer
        ? (await passkeysOf(db, account.id)).find((p) => p.credential_id === answer.id)
        : undefined;
      const counter =
        answer && challenge && passkey ? await verifyAuthentication(config, answer, challenge, passkey) : undefined;
      if (
        !passkey ||
        counter === undefined ||
        !(await recordPasskeyUse(db, { id: passkey.id, previousCounter: Number(passkey.counter), counter, now }))
      )
        return fail(account, account.username, 'passkey-refused', ctx, PASSKEY_REFUSED);
      return completeSignIn(idHash, account, ctx, 'sign-in.succeeded', { passkey: passkey.name });
    },

    /** The sign-in page's "Sign in with a passkey", when any LA allows it (R65). */
    passkeySignInOffer: () => passkeySignInOffer(deps),

    /** A passkey alone, where the LA allows it: throttled and audited as a password and code are. */
    async signInWithPasskey(sealed: string | undefined, responseInput: string | undefined, ctx: RequestContext) {
      if (!responseInput)
        throw new ValidationError({
          passkey: 'Signing in with a passkey needs JavaScript. Sign in with your username and password instead.',
        });
      const check = await checkPasskeySignIn(deps, { sealed, response: responseInput }, (account, credentialId) =>
        throttle(account ? account.username.toLowerCase() : `passkey:${credentialId}`, ctx),
      );
      if ('archived' in check) {
        const account = check.archived;
        await db.transaction().execute((trx) =>
          raiseSecurityAlert(trx, deps, account, {
            by: anonymous(account.username),
            ctx,
            now: clock.now(),
            action: 'sign-in.archived-account',
            details: { passkey: true },
          }),
        );
        const organisation = await findOrganisation(db, account.organisation_id);
        throw new ArchivedAccountError(await administratorsOf(db, account.organisation_id), organisation?.name ?? '');
      }
      if (!check.ok) return fail(check.account, check.account?.username ?? 'unknown', check.reason, ctx, check.message);
      const { account, passkey, counter } = check;
      const now = clock.now();
      if (!(await recordPasskeyUse(db, { id: passkey.id, previousCounter: Number(passkey.counter), counter, now })))
        return fail(account, account.username, 'passkey-refused', ctx, PASSKEY_SIGN_IN_REFUSED);
      return completeSignIn(undefined, account, ctx, 'sign-in.succeeded', {
        passkey: passkey.name,
        passwordless: true,
      });
    },

    /** The key to enrol, kept (sealed) on the pending session until a code confirms it. */
    async twoFactorSetup(
      token: string | undefined,
    ): Promise<{ secret: string; uri: string; username: string } | undefined> {
      const pending = token ? await pendingSession(token, 'two_factor_setup') : undefined;
      if (!pending) return undefined;
      let secret: string;
      if (pending.session.pending_totp_secret) {
        secret = secretBox.open(pending.session.pending_totp_secret);
      } else {
        secret = newTotpSecret();
        await setPendingTotpSecret(db, pending.idHash, secretBox.seal(secret));
      }
      return {
        secret,
        uri: otpauthUri(secret, config.platformName, pending.account.username),
        username: pending.account.username,
      };
    },

    async confirmTwoFactorSetup(
      token: string | undefined,
      codeInput: string,
      ctx: RequestContext,
    ): Promise<SignInCompleted> {
      const pending = token ? await pendingSession(token, 'two_factor_setup') : undefined;
      if (!pending || !pending.session.pending_totp_secret)
        throw new AuthenticationError('Your sign-in has expired. Sign in again.');
      const { account, idHash } = pending;
      if (!codeInput?.trim())
        throw new ValidationError({ code: 'Enter the security code from your authenticator app' });
      const code = normaliseCode(codeInput);
      if (!code) throw new ValidationError({ code: 'Enter the 6-digit security code shown in your authenticator app' });
      await throttle(account.username.toLowerCase(), ctx);
      const secret = secretBox.open(pending.session.pending_totp_secret);
      const now = clock.now();
      const step = matchTotp(secret, code, now, null);
      if (step === undefined) {
        throw new ValidationError({
          code: 'The security code is not correct. Check the key or QR code, then enter the code your app shows now.',
        });
      }
      if (!(await enrolTotp(db, account.id, secretBox.seal(secret), step, now))) {
        throw new AuthenticationError('Your sign-in has expired. Sign in again.');
      }
      await audit(db, self(account), ctx, now, {
        action: 'two-factor.enrolled',
        organisationId: account.organisation_id,
        subjectAccountId: account.id,
      });
      return completeSignIn(idHash, account, ctx, 'sign-in.succeeded');
    },

    async signOut(token: string | undefined, ctx: RequestContext): Promise<void> {
      if (!token) return;
      const idHash = hashToken(token);
      const session = await findSession(db, idHash);
      if (!session) return;
      await db.transaction().execute(async (trx) => {
        await deleteSession(trx, idHash);
        // Signing out of Nexus signs the person out of every application it signed them in to (R63).
        await endProviderSessions(trx, session.account_id, clock.now());
        const account = await findAccountById(trx, session.account_id);
        await audit(trx, { accountId: session.account_id, label: account?.username ?? 'unknown' }, ctx, clock.now(), {
          action: 'sign-out',
          organisationId: account?.organisation_id ?? null,
          subjectAccountId: session.account_id,
        });
      });
    },

    /** For tests and tools: the TOTP step an account last used. */
    currentStep: () => totpStep(clock.now()),
  };
}
