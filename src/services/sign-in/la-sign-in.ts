import type { SignInCompleted } from './sign-in-service.ts';
import * as oidc from 'openid-client';
import type { Account, LaIdentityProvider } from '../../data/database.ts';
import {
  administratorsOf,
  findAccountById,
  findAccountByUsername,
  findOrganisation,
} from '../../data/queries/account-queries.ts';
import { findAccountByExternalId } from '../../data/queries/account-queries.ts';
import {
  findIdentityProvider,
  isBreakGlassAccount as isBreakGlass,
} from '../../data/queries/identity-provider-queries.ts';
import {
  accountsOfLaByEmail,
  confirmLaAccountLink,
  dropLaRefreshToken,
  findLaAccountLink,
  insertLaTransaction,
  saveLaAccountLink,
  setSessionConfirmed,
  takeLaTransaction,
} from '../../data/queries/la-sign-in-queries.ts';
import { deleteSession } from '../../data/queries/session-queries.ts';
import { ArchivedAccountError, AuthenticationError, ValidationError } from '../../domain/errors.ts';
import { isLoopbackHttp } from '../../domain/identity-providers.ts';
import {
  identifyingValue,
  isRefusal,
  LA_SCOPE,
  LA_SIGN_IN_EXPIRED,
  LA_SIGN_IN_FAILED,
  LA_TRANSACTION_MINUTES,
  LaAccountNotLinkedError,
  LaAccountRefusedError,
  laCallbackUrl,
  laPasswordRefused,
  LaProviderUnavailable,
  laSignInNotFresh,
  providerAssertsMfa,
  recheckDue,
  signedInAtProviderSince,
  signInWay,
  type SignInWay,
} from '../../domain/la-sign-in.ts';
import { returnPath } from '../../domain/return-path.ts';
import { normaliseUsername } from '../../domain/usernames.ts';
import { archiveInTransaction } from '../accounts/account-operations.ts';
import { audit, type Who } from '../audit.ts';
import type { ServiceDeps } from '../deps.ts';
import { internalAddressProblem } from '../identity-providers/public-address.ts';
import { raiseSecurityAlert } from '../lifecycle/security-alert-service.ts';
import type { RequestContext } from '../request-context.ts';
import { hashToken, newToken } from './secrets.ts';
import { endProviderSessions } from './end-sessions.ts';

/**
 * Signing in through an LA's own OpenID Connect provider (R64, issue 15 items 2–4), with
 * openid-client: discovery, the authorization code flow with PKCE (S256), state and nonce; the
 * ID token's signature, issuer, audience, expiry and nonce are openid-client's checks, none here.
 *
 * The transaction lives on a session at stage la_account (its cookie in the browser), never in a
 * URL but for the state the provider echoes, and is spent by the callback whatever it brings.
 * The person is linked to an existing account of the provider's LA by the configured claim; no
 * account is ever created. The sign-in service's steps (throttle, failure, sessions) are passed in.
 */

const TIMEOUT_SECONDS = 10;

/** Why the provider could not be used, for the log of a failed sign-in only. */
class ProviderProblem extends Error {}

export interface SignInSteps {
  throttle(username: string, ctx: RequestContext): Promise<void>;
  throttleKeys(keys: readonly (readonly [string, number])[], label: string, ctx: RequestContext): Promise<void>;
  fail(
    account: Account | undefined,
    username: string,
    reason: string,
    ctx: RequestContext,
    message?: string,
  ): Promise<never>;
  newSession(
    accountId: string,
    stage: 'two_factor' | 'two_factor_setup',
    ctx: RequestContext,
    laConfirmedAt?: Date,
  ): Promise<string>;
  completeSignIn(
    idHash: string | undefined,
    account: Account,
    ctx: RequestContext,
    action: string,
    details?: Record<string, unknown>,
    laConfirmedAt?: Date,
  ): Promise<SignInCompleted>;
}

export type LaSignInResult =
  | { next: 'signed-in'; token: string; returnTo: string | undefined }
  | { next: 'two-factor' | 'two-factor-setup'; token: string; returnTo: string | undefined };

const anonymous = (label: string): Who => ({ accountId: null, label: label.slice(0, 80) || 'unknown' });
const self = (account: Account): Who => ({ accountId: account.id, label: account.username });

/** http:// providers only where this service itself runs on this machine (development and tests). */
function loopbackHttpAllowed(baseUrl: string): boolean {
  try {
    return isLoopbackHttp(new URL(baseUrl));
  } catch {
    return false;
  }
}

/** The provider as openid-client knows it, from its discovery document (the issuer must match). */
async function providerConfiguration(
  { config, secretBox }: Pick<ServiceDeps, 'config' | 'secretBox'>,
  provider: LaIdentityProvider,
): Promise<oidc.Configuration> {
  const allowLoopbackHttp = loopbackHttpAllowed(config.baseUrl);
  const server = new URL(provider.issuer);
  const insecure = allowLoopbackHttp && isLoopbackHttp(server);
  if (server.protocol !== 'https:' && !insecure) throw new ProviderProblem('not https');
  // Checked again at each sign-in: the name may point elsewhere than when the settings were saved.
  if (await internalAddressProblem(server, allowLoopbackHttp)) throw new ProviderProblem('internal address');
  const secret = secretBox.open(provider.client_secret_sealed);
  try {
    return await oidc.discovery(server, provider.client_id, { client_secret: secret }, oidc.ClientSecretBasic(secret), {
      timeout: TIMEOUT_SECONDS,
      ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}),
    });
  } catch (error) {
    throw new ProviderProblem(error instanceof Error ? error.message : 'discovery failed');
  }
}

/** A refresh token grant: the provider's answer (refused: it said no; otherwise it could not be asked). */
async function refreshWith(
  deps: Pick<ServiceDeps, 'config' | 'secretBox'>,
  provider: LaIdentityProvider,
  refreshToken: string,
): Promise<{ ok: true; refreshToken: string } | { ok: false; refused: boolean }> {
  try {
    const configuration = await providerConfiguration(deps, provider);
    const tokens = await oidc.refreshTokenGrant(configuration, refreshToken);
    return { ok: true, refreshToken: tokens.refresh_token ?? refreshToken };
  } catch (error) {
    // The provider answered with an error (invalid_grant: revoked, expired, the person disabled).
    if (error instanceof oidc.ResponseBodyError) return { ok: false, refused: true };
    return { ok: false, refused: false };
  }
}

export function createLaSignIn(deps: ServiceDeps, steps: SignInSteps) {
  const { db, clock, config, secretBox } = deps;
  const callbackUrl = laCallbackUrl(config.baseUrl);
  const configurationFor = (provider: LaIdentityProvider) => providerConfiguration(deps, provider);
  const refresh = (provider: LaIdentityProvider, refreshToken: string) => refreshWith(deps, provider, refreshToken);

  async function wayOf(
    account: Account | undefined,
  ): Promise<{ way: SignInWay; provider?: LaIdentityProvider; laName?: string }> {
    if (!account) return { way: 'password' };
    const [organisation, provider] = await Promise.all([
      findOrganisation(db, account.organisation_id),
      findIdentityProvider(db, account.organisation_id),
    ]);
    const breakGlass = provider?.required ? await isBreakGlass(db, account.organisation_id, account.id) : false;
    const way = signInWay({ provider, organisationKind: organisation?.kind, breakGlass });
    return way === 'password' ? { way } : { way, provider, laName: organisation?.name ?? '' };
  }

  /** The administrators to name on a refusal page, and the LA's name. */
  async function laContacts(organisationId: number) {
    const [organisation, administrators] = await Promise.all([
      findOrganisation(db, organisationId),
      administratorsOf(db, organisationId),
    ]);
    return { administrators, laName: organisation?.name ?? '' };
  }

  function validUsername(input: unknown): string {
    const username = normaliseUsername(typeof input === 'string' ? input : '');
    if (!username) throw new ValidationError({ username: 'Enter your username' });
    if (username.length > 64) throw new ValidationError({ username: 'Username must be 64 characters or fewer' });
    return username;
  }

  /** The account the claim names, in the provider's LA only; why not when none can be. */
  async function linkedAccount(
    provider: LaIdentityProvider,
    claims: Readonly<Record<string, unknown>>,
  ): Promise<
    | { account: Account }
    | { problem: 'not-linked' | 'ambiguous-email' | 'no-claim' | 'unverified-email'; value?: string }
  > {
    const value = identifyingValue(claims, provider.identifying_claim);
    if (!value) return { problem: 'no-claim' };
    // A provider that says the address is not verified (one a person may set themselves) names nobody.
    // Entra ID sends no email_verified at all: then the LA's choice of the email claim stands.
    if (provider.identifying_claim === 'email' && claims.email_verified === false)
      return { problem: 'unverified-email', value };
    let account: Account | undefined;
    if (provider.identifying_claim === 'preferred_username') {
      const found = value.length <= 64 ? await findAccountByUsername(db, value) : undefined;
      account = found?.organisation_id === provider.organisation_id ? found : undefined;
    } else if (provider.identifying_claim === 'email') {
      const found = await accountsOfLaByEmail(db, provider.organisation_id, value);
      if (found.length > 1) return { problem: 'ambiguous-email', value };
      account = found[0];
    } else {
      account = await findAccountByExternalId(db, provider.organisation_id, value);
    }
    return account ? { account } : { problem: 'not-linked', value };
  }

  /**
   * The provider refused the person. Nexus refuses too and raises a security alert (R52). The
   * refusal in the browser's URL proves nothing (anyone can type a username and cancel, or write
   * the URL), so the account is archived (when the LA chose so) only when the provider confirms
   * it over the back channel: the refresh token of the person's last sign-in through it is refused.
   */
  async function refused(
    provider: LaIdentityProvider,
    account: Account,
    error: string,
    ctx: RequestContext,
  ): Promise<never> {
    const now = clock.now();
    let archive = false;
    if (
      provider.archive_on_refusal &&
      account.status === 'active' &&
      !(await isBreakGlass(db, provider.organisation_id, account.id))
    ) {
      const link = await findLaAccountLink(db, account.id);
      // Only a token the provider honoured within the re-check period: an old one is refused for
      // harmless reasons (expiry, a password change), and that must not let a forged refusal archive.
      const recent = link && !recheckDue(link.confirmed_at, now, config.laSignInRecheckHours);
      if (link?.refresh_token_sealed && recent) {
        const answer = await refresh(provider, secretBox.open(link.refresh_token_sealed));
        if (answer.ok) await confirmLaAccountLink(db, account.id, secretBox.seal(answer.refreshToken), now);
        else if (answer.refused) {
          await dropLaRefreshToken(db, account.id);
          archive = true;
        }
      }
    }
    await db.transaction().execute(async (trx) => {
      if (archive)
        await archiveInTransaction(
          trx,
          account,
          'provisioning',
          { accountId: null, label: 'LA identity provider' },
          ctx,
          now,
          config,
          {
            refusedBy: provider.issuer,
          },
        );
      const current = archive ? ((await findAccountById(trx, account.id)) ?? account) : account;
      await raiseSecurityAlert(trx, deps, current, {
        by: anonymous(account.username),
        ctx,
        now,
        action: 'sign-in.la-account-refused',
        details: { error, issuer: provider.issuer, archived: archive },
      });
    });
    const contacts = await laContacts(provider.organisation_id);
    if (archive) throw new ArchivedAccountError(contacts.administrators, contacts.laName);
    throw new LaAccountRefusedError(contacts.administrators, contacts.laName);
  }

  return {
    /**
     * Why a right password does not sign this account in (its LA requires its provider, R64), or
     * undefined. Asked only once the password is right, so it says nothing to a guesser.
     */
    async passwordRefusal(account: Account): Promise<string | undefined> {
      const { way, laName } = await wayOf(account);
      return way === 'la-account-required' ? laPasswordRefused(laName ?? '') : undefined;
    },

    /**
     * The sign-in page's first step: the way on for this username. An unknown username gets the
     * password step, as an account that signs in with a password does (R53).
     */
    async signInWay(
      usernameInput: unknown,
      ctx: RequestContext,
    ): Promise<{ username: string; way: SignInWay; laName?: string; providerOrigin?: string }> {
      const username = validUsername(usernameInput);
      // Counted per address only: typing a name must not lock its holder out.
      if (ctx.ip) await steps.throttleKeys([[`username-step:${ctx.ip}`, config.throttle.addressLimit]], username, ctx);
      const { way, laName, provider } = await wayOf(await findAccountByUsername(db, username));
      return way === 'password' || !provider
        ? { username, way }
        : { username, way, laName: laName ?? '', providerOrigin: new URL(provider.issuer).origin };
    },

    /**
     * Sends the person to their LA's provider: a new la_account session holds the transaction;
     * returns its cookie value and the provider's address. Undefined when the account does not
     * sign in that way (an unknown username included): the page shows the password step.
     *
     * `reauthenticate`: the person is signing in again (an application asked for prompt=login or
     * max_age), so the provider is asked to check their credential afresh (prompt=login, max_age=0)
     * rather than sign them in from its own session, and the callback checks that it did.
     */
    async startLaSignIn(
      usernameInput: unknown,
      returnTo: string | undefined,
      ctx: RequestContext,
      reauthenticate = false,
    ): Promise<{ token: string; url: string } | undefined> {
      const username = validUsername(usernameInput);
      const account = await findAccountByUsername(db, username);
      const { way, provider, laName } = await wayOf(account);
      // Not counted here: the username step was, and the callback is (the attempt itself).
      if (way === 'password' || !provider || !account) return undefined;
      let configuration: oidc.Configuration;
      try {
        configuration = await configurationFor(provider);
      } catch (error) {
        if (error instanceof ProviderProblem)
          throw new LaProviderUnavailable(laName ?? '', new URL(provider.issuer).origin);
        throw error;
      }
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const url = oidc.buildAuthorizationUrl(configuration, {
        redirect_uri: callbackUrl,
        scope: LA_SCOPE,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
        login_hint: account.username,
        ...(reauthenticate ? { prompt: 'login', max_age: '0' } : {}),
      });
      const now = clock.now();
      const token = newToken();
      await insertLaTransaction(db, {
        idHash: hashToken(token),
        accountId: account.id,
        now,
        expiresAt: new Date(now.getTime() + LA_TRANSACTION_MINUTES * 60_000),
        ip: ctx.ip,
        userAgent: ctx.userAgent,
        state,
        nonce,
        codeVerifierSealed: secretBox.seal(verifier),
        returnTo: returnPath(returnTo),
        freshSince: reauthenticate ? now : undefined,
      });
      await audit(db, anonymous(username), ctx, now, {
        action: 'sign-in.la-account-started',
        organisationId: account.organisation_id,
        subjectAccountId: account.id,
        details: { issuer: provider.issuer, ...(reauthenticate ? { reauthenticate: true } : {}) },
      });
      return { token, url: url.href };
    },

    /**
     * The provider's answer at the callback. openid-client checks the state, exchanges the code
     * with the PKCE verifier and checks the ID token (signature, issuer, audience, expiry, nonce).
     */
    async finishLaSignIn(token: string | undefined, currentUrl: URL, ctx: RequestContext): Promise<LaSignInResult> {
      const transaction = token && token.length <= 200 ? await takeLaTransaction(db, hashToken(token)) : undefined;
      const now = clock.now();
      if (
        !transaction ||
        !transaction.la_state ||
        !transaction.la_nonce ||
        !transaction.la_code_verifier ||
        transaction.expires_at <= now
      ) {
        await audit(db, anonymous('unknown'), ctx, now, {
          action: 'sign-in.failed',
          organisationId: null,
          subjectAccountId: null,
          details: { reason: 'la-account-no-transaction' },
        });
        throw new AuthenticationError(LA_SIGN_IN_EXPIRED);
      }
      const started = await findAccountById(db, transaction.account_id);
      const provider = started ? await findIdentityProvider(db, started.organisation_id) : undefined;
      if (!started || !provider?.enabled) throw new AuthenticationError(LA_SIGN_IN_EXPIRED);
      await steps.throttle(started.username.toLowerCase(), ctx);
      const returnTo = returnPath(transaction.la_return_to ?? undefined);

      let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
      try {
        const configuration = await configurationFor(provider);
        tokens = await oidc.authorizationCodeGrant(configuration, currentUrl, {
          pkceCodeVerifier: secretBox.open(transaction.la_code_verifier),
          expectedState: transaction.la_state,
          expectedNonce: transaction.la_nonce,
          idTokenExpected: true,
        });
      } catch (error) {
        if (error instanceof oidc.AuthorizationResponseError && isRefusal(error.error))
          return refused(provider, started, error.error, ctx);
        const reason =
          error instanceof ProviderProblem
            ? 'la-account-unreachable'
            : error instanceof oidc.AuthorizationResponseError
              ? `la-account-error-${error.error}`
              : error instanceof oidc.ResponseBodyError
                ? `la-account-token-${error.error}`
                : error instanceof oidc.ClientError
                  ? `la-account-${error.code ?? 'check-failed'}`
                  : 'la-account-unreachable';
        return steps.fail(started, started.username, reason.slice(0, 80), ctx, LA_SIGN_IN_FAILED);
      }
      const claims: Readonly<Record<string, unknown>> = tokens.claims() ?? {};
      // A re-authentication the provider answered from its own older session proves nothing new:
      // the Nexus session it would open would make the application's auth_time "now".
      if (transaction.la_confirmed_at && !signedInAtProviderSince(claims, transaction.la_confirmed_at)) {
        const { laName } = await laContacts(provider.organisation_id);
        return steps.fail(started, started.username, 'la-account-not-fresh', ctx, laSignInNotFresh(laName));
      }
      const found = await linkedAccount(provider, claims);
      if ('problem' in found) {
        await audit(db, anonymous(found.value ?? started.username), ctx, now, {
          action: 'sign-in.failed',
          organisationId: provider.organisation_id,
          subjectAccountId: null,
          details: {
            reason: `la-account-${found.problem}`,
            username: found.value ?? started.username,
            claim: provider.identifying_claim,
          },
        });
        const contacts = await laContacts(provider.organisation_id);
        throw new LaAccountNotLinkedError(contacts.administrators, contacts.laName, found.problem);
      }
      const { account } = found;
      if (account.status === 'archived') {
        await db.transaction().execute((trx) =>
          raiseSecurityAlert(trx, deps, account, {
            by: anonymous(account.username),
            ctx,
            now,
            action: 'sign-in.archived-account',
            details: { laAccount: true },
          }),
        );
        const contacts = await laContacts(account.organisation_id);
        throw new ArchivedAccountError(contacts.administrators, contacts.laName);
      }
      const subject = String(claims.sub).slice(0, 255);
      // Once linked, the account is that person's at the provider (its sub), whatever the claim
      // says later: a leaver's UPN or email given to a new starter must not open the leaver's
      // account. An administrator's two-factor reset forgets the link, for a genuine change.
      const link = await findLaAccountLink(db, account.id);
      if (link && link.issuer === provider.issuer && link.subject !== subject) {
        await audit(db, anonymous(account.username), ctx, now, {
          action: 'sign-in.failed',
          organisationId: account.organisation_id,
          subjectAccountId: account.id,
          details: { reason: 'la-account-subject-changed', username: account.username },
        });
        const contacts = await laContacts(account.organisation_id);
        throw new LaAccountNotLinkedError(contacts.administrators, contacts.laName, 'subject-changed');
      }
      await saveLaAccountLink(db, {
        accountId: account.id,
        organisationId: provider.organisation_id,
        issuer: provider.issuer,
        subject,
        refreshTokenSealed: tokens.refresh_token ? secretBox.seal(tokens.refresh_token) : null,
        now,
      });
      if (providerAssertsMfa(claims, provider.mfa_acr)) {
        const signedIn = await steps.completeSignIn(
          undefined,
          account,
          ctx,
          'sign-in.succeeded',
          { laAccount: true, providerMfa: true },
          now,
        );
        return { next: 'signed-in', token: signedIn.token, returnTo };
      }
      const next = account.totp_secret ? 'two-factor' : 'two-factor-setup';
      const pending = await steps.newSession(
        account.id,
        next === 'two-factor' ? 'two_factor' : 'two_factor_setup',
        ctx,
        now,
      );
      await audit(db, self(account), ctx, now, {
        action: 'sign-in.la-account-accepted',
        organisationId: account.organisation_id,
        subjectAccountId: account.id,
      });
      return { next, token: pending, returnTo };
    },
  };
}

export type LaSignIn = ReturnType<typeof createLaSignIn>;

/**
 * At least daily (LA_SIGN_IN_RECHECK_HOURS), a session opened through the LA's provider is
 * checked with it again: the refresh token of the person's last sign-in must still be accepted.
 * False ends the session (refused, no refresh token to ask with, or the provider unreachable:
 * a session the provider cannot vouch for does not outlive the day).
 */
export async function recheckLaSession(
  deps: ServiceDeps,
  session: { id_hash: string; la_confirmed_at: Date | null },
  account: Account,
  ctx: RequestContext,
): Promise<boolean> {
  const { db, clock, config, secretBox } = deps;
  const now = clock.now();
  if (!session.la_confirmed_at || !recheckDue(session.la_confirmed_at, now, config.laSignInRecheckHours)) return true;
  const provider = await findIdentityProvider(db, account.organisation_id);
  if (!provider?.enabled) {
    // The LA went back to passwords: nothing to check with any more.
    await setSessionConfirmed(db, session.id_hash, null);
    return true;
  }
  const link = await findLaAccountLink(db, account.id);
  const answer = link?.refresh_token_sealed
    ? await refreshWith(deps, provider, secretBox.open(link.refresh_token_sealed))
    : ({ ok: false, refused: false } as const);
  if (answer.ok) {
    await confirmLaAccountLink(db, account.id, secretBox.seal(answer.refreshToken), now);
    await setSessionConfirmed(db, session.id_hash, now);
    return true;
  }
  await db.transaction().execute(async (trx) => {
    await deleteSession(trx, session.id_hash);
    // Refused, the LA no longer vouches for the person: every application they signed in to through
    // Nexus is told too (R63). Unreachable, only this session ends: an outage is no leaver.
    if (answer.refused) {
      await dropLaRefreshToken(trx, account.id);
      await endProviderSessions(trx, account.id, now);
    }
    await audit(trx, self(account), ctx, now, {
      action: 'sign-in.la-account-recheck-failed',
      organisationId: account.organisation_id,
      subjectAccountId: account.id,
      details: {
        outcome: answer.refused ? 'refused' : link?.refresh_token_sealed ? 'unreachable' : 'no-refresh-token',
      },
    });
  });
  return false;
}
