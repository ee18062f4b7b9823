import { laCallbackUrl } from '../../../domain/la-sign-in.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { StaleVersionError, ValidationError } from '../../../domain/errors.ts';
import {
  DEFAULT_IDENTIFYING_CLAIM,
  IDENTIFYING_CLAIMS,
  IDENTIFYING_CLAIM_TEXT,
  SIGN_IN_MODES,
  SIGN_IN_MODE_TEXT,
} from '../../../domain/identity-providers.ts';
import { requestContext } from '../../../http/request-context.ts';
import type { Services } from '../../../services/index.ts';
import { requireSignIn, signedIn } from '../../plugins/require-sign-in.ts';
import { errorView } from '../../plugins/views.ts';
import { formBody, formList, queryOf, text } from '../form.ts';

/** What the form shows: never a secret (a refused form asks for it again). */
interface SettingsForm {
  issuer: string;
  clientId: string;
  claim: string;
  signIn: string;
  archiveOnRefusal: boolean;
  breakGlass: string[];
  mfaAcr: string;
}

const FIELD_ORDER = [
  'issuer',
  'clientId',
  'clientSecret',
  'claim',
  'mfaAcr',
  'signIn',
  'breakGlass',
  'archiveOnRefusal',
];
const CLAIMS = IDENTIFYING_CLAIMS.map((code) => ({ value: code, ...IDENTIFYING_CLAIM_TEXT[code] }));
const MODES = SIGN_IN_MODES.map((code) => ({ value: code, ...SIGN_IN_MODE_TEXT[code] }));

/**
 * Admin > Sign-in settings (R64, issue 15 item 1): an LA's own OpenID Connect provider — save its
 * settings, test the connection, turn it on. Central support uses it in the LA it has chosen.
 */
export function signInSettingsRoutes(services: Services) {
  return async (app: FastifyInstance) => {
    app.addHook('preHandler', requireSignIn);
    const la = (request: FastifyRequest) => {
      const value = queryOf(request).la;
      return typeof value === 'string' ? value : undefined;
    };

    async function settingsPage(
      request: FastifyRequest,
      reply: FastifyReply,
      extra: {
        form?: SettingsForm;
        errors?: ReturnType<typeof errorView>;
        test?: { ok: boolean; problem?: string };
      } = {},
    ) {
      const data = await services.identityProviders.view(
        signedIn(request).actor,
        la(request),
        requestContext(request),
        {
          auditRead: request.method === 'GET',
        },
      );
      const saved = data.settings;
      const form: SettingsForm = extra.form ?? {
        issuer: saved?.issuer ?? '',
        clientId: saved?.clientId ?? '',
        claim: saved?.claim ?? DEFAULT_IDENTIFYING_CLAIM,
        signIn: saved?.mode ?? 'off',
        archiveOnRefusal: saved?.archiveOnRefusal ?? false,
        breakGlass: [...(saved?.breakGlass ?? [])],
        mfaAcr: saved?.mfaAcr ?? '',
      };
      // The settings page holds nothing secret, but what it says of a provider is nobody's to cache.
      reply.header('cache-control', 'no-store');
      return reply.page('admin/sign-in-settings/settings.njk', {
        pageTitle: 'Sign in with your LA account – Admin',
        ...data,
        laQuery: la(request) !== undefined && data.organisation.la_code ? `?la=${data.organisation.la_code}` : '',
        form,
        claims: CLAIMS,
        modes: MODES,
        modeText: SIGN_IN_MODE_TEXT,
        allowLoopbackHttp: services.identityProviders.allowLoopbackHttp,
        redirectUri: laCallbackUrl(services.config.baseUrl),
        errors: extra.errors ?? null,
        test: extra.test ?? null,
      });
    }

    app.get('/admin/sign-in-settings', async (request, reply) => settingsPage(request, reply));

    app.post('/admin/sign-in-settings', async (request, reply) => {
      const body = formBody(request.body);
      const breakGlass = formList(request.body, 'breakGlass').slice(0, 100);
      try {
        const { changed, tested } = await services.identityProviders.save(
          signedIn(request).actor,
          la(request),
          {
            issuer: body.issuer,
            clientId: body.clientId,
            clientSecret: body.clientSecret,
            claim: body.claim,
            signIn: body.signIn,
            archiveOnRefusal: body.archiveOnRefusal,
            breakGlass,
            mfaAcr: body.mfaAcr,
            version: body.version,
          },
          requestContext(request),
        );
        reply.flash(
          !changed
            ? 'Nothing was changed.'
            : tested
              ? 'Sign-in settings saved. The connection was tested and works.'
              : 'Sign-in settings saved.',
        );
        const code = la(request);
        return reply.redirect(`/admin/sign-in-settings${code && /^[0-9]{3}$/.test(code) ? `?la=${code}` : ''}`, 303);
      } catch (error) {
        if (error instanceof StaleVersionError) {
          reply.code(409);
          return settingsPage(request, reply, {
            errors: { summary: [{ text: error.message, href: '#issuer' }], fields: {} },
          });
        }
        if (!(error instanceof ValidationError)) throw error;
        reply.code(400);
        const fields = { ...error.fields };
        // A secret typed into a refused form is not sent back to the browser: it must be typed again.
        if (body.clientSecret && !fields.clientSecret)
          fields.clientSecret = 'Enter the client secret again: a secret is never shown on a page';
        return settingsPage(request, reply, {
          form: {
            issuer: text(body, 'issuer', 600),
            clientId: text(body, 'clientId', 300),
            claim: text(body, 'claim', 40),
            signIn: text(body, 'signIn', 20),
            archiveOnRefusal: body.archiveOnRefusal === 'yes',
            breakGlass,
            mfaAcr: text(body, 'mfaAcr', 300),
          },
          errors: errorView(fields, FIELD_ORDER),
        });
      }
    });

    app.post('/admin/sign-in-settings/test', async (request, reply) => {
      const result = await services.identityProviders.testConnection(
        signedIn(request).actor,
        la(request),
        requestContext(request),
      );
      return settingsPage(request, reply, { test: result.ok ? { ok: true } : { ok: false, problem: result.problem } });
    });
  };
}
