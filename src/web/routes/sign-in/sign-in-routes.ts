import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ArchivedAccountError, AuthenticationError, ThrottledError, ValidationError } from '../../../domain/errors.ts';
import { formatSecretForReading } from '../../../domain/totp.ts';
import type { Services } from '../../../services/index.ts';
import { archivedPage } from './archived-page.ts';
import { clearSessionCookie, setSessionCookie } from '../../../http/session.ts';
import { requestContext } from '../../../http/request-context.ts';
import { errorView } from '../../plugins/views.ts';
import { formBody, queryOf, text } from '../form.ts';
import { returnPath, withReturnTo } from '../../../domain/return-path.ts';
import {
  LA_CALLBACK_PATH,
  LaAccountNotLinkedError,
  LaAccountRefusedError,
  LaProviderUnavailable,
} from '../../../domain/la-sign-in.ts';
import { passkeySignInContext } from './passkey-sign-in-routes.ts';
import { finishingStepPath } from '../../../domain/interaction-path.ts';
import { finishingStep, type SignInWithinInteraction } from './within-interaction.ts';
import { allowFormActionTo, letFormsLeadToApplication } from './form-action.ts';

/**
 * Sign-in pages (§13): /sign-in → /sign-in/two-factor (a code, or a passkey: POST
 * /sign-in/two-factor/passkey) or /sign-in/two-factor/setup; POST /sign-out.
 * Failures render the same page with the same message and status, whatever the cause (R53).
 * Signing in to an application, the steps that sign the person in post below the provider's
 * interaction instead (/oidc/auth/:uid/interaction/two-factor…), which answers with the code.
 */
export function signInRoutes(services: Services, signInWithin: SignInWithinInteraction) {
  return async (app: FastifyInstance) => {
    async function failed(
      reply: FastifyReply,
      template: string,
      error: unknown,
      field: string,
      context: Record<string, unknown> = {},
    ) {
      if (error instanceof ValidationError) {
        reply.code(400);
        return reply.page(template, { ...context, errors: errorView(error.fields) });
      }
      if (error instanceof ThrottledError) {
        reply.code(429).header('retry-after', String(Math.ceil(error.retryAfterSeconds)));
        return reply.page(template, { ...context, errors: errorView({ [field]: error.message }) });
      }
      if (error instanceof AuthenticationError) {
        reply.code(401);
        return reply.page(template, { ...context, errors: errorView({ [field]: error.message }) });
      }
      throw error;
    }

    /** The page to land on once signed in: a path of this site carried through the steps, else Home. */
    const returnToOf = (source: Readonly<Record<string, unknown>>) => returnPath(source.returnTo);

    letFormsLeadToApplication(app, services);

    app.get('/sign-in', async (request, reply) => {
      const query = queryOf(request);
      const returnTo = returnToOf(query);
      // An application that needs the person to prove who they are again (prompt=login, max_age)
      // sends them here signed in: the password step of their own username, the rest as ever.
      if (request.signedIn && query.again === '1')
        return usernameStep(request, reply, request.signedIn.account.username, returnTo, { again: true });
      if (request.signedIn) return reply.redirect(returnTo ?? '/');
      return reply.page('sign-in/sign-in.njk', {
        pageTitle: 'Sign in',
        values: {},
        returnTo,
        timedOut: queryOf(request).timedOut === '1',
        sessionIdleMinutes: services.config.sessionIdleMinutes,
        passkeySignIn: await passkeySignInContext(services, returnTo),
      });
    });

    app.post('/sign-in', async (request, reply) => {
      const body = formBody(request.body);
      const values = { username: text(body, 'username', 200) };
      const returnTo = returnToOf(body);
      // The first step sends the username alone (R64): the way on depends on the account's LA.
      if (body.password === undefined) return usernameStep(request, reply, body.username, returnTo);
      try {
        const step = await services.signIn.signInWithPassword(
          { username: body.username ?? '', password: body.password ?? '' },
          requestContext(request),
        );
        setSessionCookie(reply, services, step.token);
        return reply.redirect(
          withReturnTo(step.next === 'two-factor' ? '/sign-in/two-factor' : '/sign-in/two-factor/setup', returnTo),
          303,
        );
      } catch (error) {
        if (error instanceof ArchivedAccountError) return archivedPage(reply, error);
        return failed(reply, 'sign-in/password.njk', error, 'username', { pageTitle: 'Sign in', values, returnTo });
      }
    });

    /**
     * The username step: the password step for an account that signs in with its password — and
     * for a username that does not exist, which therefore looks the same (R53) —, the same with
     * "Sign in with your LA account" first where the LA offers it, and straight to the LA's
     * provider where it requires it.
     */
    async function usernameStep(
      request: FastifyRequest,
      reply: FastifyReply,
      username: unknown,
      returnTo: string | undefined,
      extra: Record<string, unknown> = {},
    ) {
      const values = { username: text({ username: typeof username === 'string' ? username : '' }, 'username', 200) };
      try {
        const step = await services.signIn.signInWay(username, requestContext(request));
        if (step.providerOrigin) allowFormActionTo(reply, step.providerOrigin);
        return reply.page('sign-in/password.njk', {
          ...extra,
          pageTitle: 'Sign in',
          values,
          returnTo,
          laName: step.laName,
          laRequired: step.way === 'la-account-required',
        });
      } catch (error) {
        return failed(reply, 'sign-in/sign-in.njk', error, 'username', { pageTitle: 'Sign in', values, returnTo });
      }
    }

    /** Off to the LA's provider, the transaction kept on a new la_account session; its outage leaves the password step. */
    async function laAccountStart(
      request: FastifyRequest,
      reply: FastifyReply,
      username: unknown,
      returnTo: string | undefined,
    ) {
      const values = { username: text({ username: typeof username === 'string' ? username : '' }, 'username', 200) };
      try {
        // Signed in already, the person can only be here to sign in again (an application's
        // prompt=login or max_age, /sign-in?again=1): decided here, not by a field of the form.
        const started = await services.signIn.startLaSignIn(
          username,
          returnTo,
          requestContext(request),
          request.signedIn !== undefined,
        );
        if (!started) return reply.page('sign-in/password.njk', { pageTitle: 'Sign in', values, returnTo });
        setSessionCookie(reply, services, started.token);
        return reply.redirect(started.url, 303);
      } catch (error) {
        if (error instanceof LaProviderUnavailable) {
          if (error.providerOrigin) allowFormActionTo(reply, error.providerOrigin);
          reply.code(503);
          return reply.page('sign-in/password.njk', {
            pageTitle: 'Sign in',
            values,
            returnTo,
            laName: error.laName,
            errors: errorView({ laAccount: error.message }),
          });
        }
        return failed(reply, 'sign-in/password.njk', error, 'username', { pageTitle: 'Sign in', values, returnTo });
      }
    }

    app.post('/sign-in/la-account', async (request, reply) => {
      const body = formBody(request.body);
      return laAccountStart(request, reply, body.username, returnToOf(body));
    });

    app.get(LA_CALLBACK_PATH, async (request, reply) => {
      const currentUrl = new URL(request.url, `${services.config.baseUrl}/`);
      try {
        const step = await services.signIn.finishLaSignIn(request.sessionToken, currentUrl, requestContext(request));
        setSessionCookie(reply, services, step.token);
        const next =
          step.next === 'signed-in'
            ? (step.returnTo ?? '/')
            : withReturnTo(
                step.next === 'two-factor' ? '/sign-in/two-factor' : '/sign-in/two-factor/setup',
                step.returnTo,
              );
        return reply.redirect(next, 303);
      } catch (error) {
        if (error instanceof ArchivedAccountError) return archivedPage(reply, error);
        if (error instanceof LaAccountRefusedError) {
          reply.code(403);
          return reply.page('sign-in/la-account-refused.njk', {
            pageTitle: `Your ${error.laName} account was refused`,
            administrators: error.administrators,
            laName: error.laName,
          });
        }
        if (error instanceof LaAccountNotLinkedError) {
          reply.code(403);
          return reply.page('sign-in/la-account-not-linked.njk', {
            pageTitle: `Your ${error.laName} account has no ${services.config.platformName} account`,
            administrators: error.administrators,
            laName: error.laName,
            reason: error.reason,
          });
        }
        return failed(reply, 'sign-in/sign-in.njk', error, 'username', { pageTitle: 'Sign in', values: {} });
      }
    });

    app.get('/sign-in/two-factor', async (request, reply) => {
      const returnTo = returnToOf(queryOf(request));
      if (!(await services.signIn.pendingStep(request.sessionToken, 'two_factor')))
        return reply.redirect(withReturnTo('/sign-in', returnTo));
      return reply.page('sign-in/two-factor.njk', await twoFactorContext(request, returnTo));
    });

    finishingStep(app, signInWithin, 'two-factor', async (request, reply, returnTo) => {
      try {
        const signedIn = await services.signIn.verifyTwoFactor(
          request.sessionToken,
          formBody(request.body).code ?? '',
          requestContext(request),
        );
        setSessionCookie(reply, services, signedIn.token);
        return signedIn;
      } catch (error) {
        await failed(reply, 'sign-in/two-factor.njk', error, 'code', await twoFactorContext(request, returnTo));
        return undefined;
      }
    });

    /** The two-factor page's context: "Use a passkey", with a fresh challenge, when the account has one (R65). */
    async function twoFactorContext(request: FastifyRequest, returnTo: string | undefined) {
      const options = await services.signIn.passkeyOptions(request.sessionToken);
      return {
        pageTitle: 'Enter your security code',
        returnTo,
        actions: {
          code: finishingStepPath('two-factor', returnTo),
          passkey: finishingStepPath('two-factor/passkey', returnTo),
        },
        passkeyOptionsJson: options ? JSON.stringify(options) : undefined,
      };
    }

    finishingStep(app, signInWithin, 'two-factor/passkey', async (request, reply, returnTo) => {
      try {
        const signedIn = await services.signIn.verifyPasskey(
          request.sessionToken,
          formBody(request.body).response,
          requestContext(request),
        );
        setSessionCookie(reply, services, signedIn.token);
        return signedIn;
      } catch (error) {
        await failed(reply, 'sign-in/two-factor.njk', error, 'passkey', await twoFactorContext(request, returnTo));
        return undefined;
      }
    });

    async function setupPage(
      reply: FastifyReply,
      token: string | undefined,
      returnTo: string | undefined,
      extra: Record<string, unknown> = {},
    ) {
      const setup = await services.signIn.twoFactorSetup(token);
      if (!setup) return reply.redirect(withReturnTo('/sign-in', returnTo));
      // Loaded on the first set-up page rather than at start (issue 11's idle memory).
      const { default: QRCode } = await import('qrcode');
      const qrSvg = await QRCode.toString(setup.uri, { type: 'svg', margin: 2, errorCorrectionLevel: 'M' });
      return reply.page('sign-in/two-factor-setup.njk', {
        pageTitle: 'Set up two-factor authentication',
        qrSvg,
        secret: formatSecretForReading(setup.secret),
        username: setup.username,
        returnTo,
        action: finishingStepPath('two-factor/setup', returnTo),
        ...extra,
      });
    }

    app.get('/sign-in/two-factor/setup', async (request, reply) =>
      setupPage(reply, request.sessionToken, returnToOf(queryOf(request))),
    );

    finishingStep(app, signInWithin, 'two-factor/setup', async (request, reply, returnTo) => {
      try {
        const signedIn = await services.signIn.confirmTwoFactorSetup(
          request.sessionToken,
          formBody(request.body).code ?? '',
          requestContext(request),
        );
        setSessionCookie(reply, services, signedIn.token);
        reply.flash('Two-factor authentication is set up. You will need a code from your app each time you sign in.');
        return signedIn;
      } catch (error) {
        if (error instanceof ValidationError) {
          reply.code(400);
          await setupPage(reply, request.sessionToken, returnTo, { errors: errorView(error.fields) });
          return undefined;
        }
        if (error instanceof AuthenticationError || error instanceof ThrottledError) {
          await failed(reply, 'sign-in/sign-in.njk', error, 'username', { pageTitle: 'Sign in', values: {} });
          return undefined;
        }
        throw error;
      }
    });

    app.post('/sign-out', async (request, reply) => {
      await services.signIn.signOut(request.sessionToken, requestContext(request));
      clearSessionCookie(reply, services);
      reply.flash('You have signed out.');
      return reply.redirect('/sign-in', 303);
    });
  };
}
