import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import type { Config } from '../config.ts';
import { createViewEnvironment } from '../web/plugins/views.ts';
import type { NexusRequest } from './provider.ts';

type RpLogout = NonNullable<NonNullable<Configuration['features']>['rpInitiatedLogout']>;

/**
 * The pages the provider itself shows (an error it cannot send back to the application, the
 * sign-out question and its answer), in the service's own GOV.UK layout and words. No script: the
 * provider's sign-out form is submitted by the person's own button.
 */
export function providerPages(config: Config) {
  const env = createViewEnvironment(config.lifecycle.timezone);
  const render = (ctx: KoaContextWithOIDC, template: string, context: Record<string, unknown>) => {
    ctx.type = 'html';
    ctx.set('cache-control', 'no-store');
    ctx.body = env.render(template, {
      platformName: config.platformName,
      serviceName: 'Account administration',
      cspNonce: (ctx.req as NexusRequest).cspNonce,
      ...context,
    });
  };
  const applicationName = (ctx: KoaContextWithOIDC) => ctx.oidc.client?.clientName ?? undefined;

  const renderError: NonNullable<Configuration['renderError']> = (ctx, out) => {
    render(ctx, 'oidc/error.njk', {
      pageTitle: 'There is a problem with this sign-in',
      applicationName: applicationName(ctx),
      description: typeof out.error_description === 'string' ? out.error_description : undefined,
      error: out.error,
    });
  };
  const logoutSource: NonNullable<RpLogout['logoutSource']> = (ctx, form) => {
    render(ctx, 'oidc/sign-out.njk', {
      pageTitle: 'Sign out',
      applicationName: applicationName(ctx),
      form,
    });
  };
  const postLogoutSuccessSource: NonNullable<RpLogout['postLogoutSuccessSource']> = (ctx) => {
    render(ctx, 'oidc/signed-out.njk', { pageTitle: 'You have signed out', applicationName: applicationName(ctx) });
  };
  return { renderError, logoutSource, postLogoutSuccessSource };
}
