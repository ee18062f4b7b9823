import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import type { FastifyInstance } from 'fastify';
import { isMachineInterface } from '../http/paths.ts';
import type { Services } from '../services/index.ts';
import { registerErrorHandling } from './plugins/error-handler.ts';
import { registerViews } from './plugins/views.ts';
import { adminAuditRoutes } from './routes/support/admin-audit-routes.ts';
import { adminReviewRoutes } from './routes/reviews/admin-review-routes.ts';
import { adminStatusRoutes } from './routes/accounts/admin-status-routes.ts';
import { adminUserRoutes } from './routes/accounts/admin-user-routes.ts';
import { adminUsersRoutes } from './routes/accounts/admin-users-routes.ts';
import { apiTokenRoutes } from './routes/accounts/api-token-routes.ts';
import { acceptFormsOnly } from './routes/form.ts';
import { healthRoutes } from './routes/support/health-routes.ts';
import { homeRoutes } from './routes/home-routes.ts';
import { lifecycleRoutes } from './routes/lifecycle/lifecycle-routes.ts';
import { myAccountRoutes } from './routes/accounts/my-account-routes.ts';
import { myCommunicationsRoutes } from './routes/accounts/my-communications-routes.ts';
import { passwordRoutes } from './routes/sign-in/password-routes.ts';
import { schoolGroupRoutes } from './routes/accounts/school-group-routes.ts';
import { securityAlertRoutes } from './routes/lifecycle/security-alert-routes.ts';
import { signInRoutes } from './routes/sign-in/sign-in-routes.ts';
import type { SignInWithinInteraction } from './routes/sign-in/within-interaction.ts';
import { passkeySignInRoutes } from './routes/sign-in/passkey-sign-in-routes.ts';
import { passkeySignInSettingsRoutes } from './routes/identity-providers/passkey-sign-in-settings-routes.ts';
import { signInSettingsRoutes } from './routes/identity-providers/sign-in-settings-routes.ts';
import { sessionRoutes } from './routes/sign-in/session-routes.ts';
import { registerLaContext } from './plugins/la-context.ts';
import { laContextRoutes } from './routes/support/la-context-routes.ts';
import { supportRoutes } from './routes/support/support-routes.ts';
import { schoolImportRoutes } from './routes/support/school-import-routes.ts';
import { applicationRoutes } from './routes/support/application-routes.ts';
import { userImportRoutes } from './routes/imports/user-import-routes.ts';

/**
 * The pages, on the server's root scope (they own the root's error and not-found pages; the API
 * and SCIM set their own in their scopes): browser forms only, CSRF on every state-changing form,
 * the GOV.UK views, then every page route.
 */
export async function registerWeb(
  app: FastifyInstance,
  services: Services,
  options: { demo: boolean; signInWithin: SignInWithinInteraction },
): Promise<void> {
  const { config } = services;
  await app.register(fastifyFormbody, { bodyLimit: 65_536 });
  // Pages take browser forms only; an API (its own plugin scope) adds JSON where it needs it.
  acceptFormsOnly(app);
  await app.register(fastifyCsrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: config.secureCookies ? '__Host-nexus_csrf' : 'nexus_csrf',
    cookieOpts: { signed: true, httpOnly: true, sameSite: 'lax', secure: config.secureCookies, path: '/' },
  });
  registerViews(app, services, { demo: options.demo });
  registerLaContext(app, services);
  registerErrorHandling(app);

  // Every state-changing form carries a CSRF token (R54); checked once, here, for all of them.
  // The machine interfaces take writes only with a bearer token, never the cookie, so a forged
  // cross-site request has no credentials there (src/api/bearer-auth.ts).
  app.addHook('preHandler', (request, reply, done) => {
    if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS') return done();
    if (isMachineInterface(request.url)) return done();
    app.csrfProtection(request, reply, done);
  });

  await app.register(healthRoutes(services));
  await app.register(signInRoutes(services, options.signInWithin));
  await app.register(passkeySignInRoutes(services, options.signInWithin));
  await app.register(sessionRoutes(services));
  await app.register(passwordRoutes(services));
  await app.register(homeRoutes(services));
  await app.register(myAccountRoutes(services));
  await app.register(myCommunicationsRoutes(services));
  await app.register(adminUsersRoutes(services));
  await app.register(userImportRoutes(services));
  await app.register(adminUserRoutes(services));
  await app.register(adminStatusRoutes(services));
  await app.register(adminAuditRoutes(services));
  await app.register(securityAlertRoutes(services));
  await app.register(adminReviewRoutes(services));
  await app.register(schoolGroupRoutes(services));
  await app.register(lifecycleRoutes(services));
  await app.register(apiTokenRoutes(services));
  await app.register(signInSettingsRoutes(services));
  await app.register(passkeySignInSettingsRoutes(services));
  await app.register(supportRoutes(services));
  await app.register(schoolImportRoutes(services));
  await app.register(applicationRoutes(services));
  await app.register(laContextRoutes(services));
}
