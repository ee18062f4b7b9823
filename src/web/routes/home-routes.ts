import type { FastifyInstance } from 'fastify';
import { can, type Actor } from '../../domain/access.ts';
import { barChartSvg, healthCharts } from '../../domain/account-health-chart.ts';
import { totalAccounts } from '../../domain/account-health.ts';
import { privilegeLabel, userTypeLabel, isUserType, PRIVILEGES } from '../../domain/privileges.ts';
import type { Services } from '../../services/index.ts';
import { requireSignIn, signedIn } from '../plugins/require-sign-in.ts';
import { navigationPages } from '../navigation.ts';
import { formBody } from './form.ts';

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

/** The signed-in home page: who you are, your LA, your privileges, and where you can go. */
export function homeRoutes(services: Services) {
  return async (app: FastifyInstance) => {
    app.get('/accessibility', async (_request, reply) =>
      reply.page('static/accessibility.njk', {
        pageTitle: 'Accessibility statement',
        supportName: services.config.supportName,
      }),
    );

    function healthView(
      actor: Actor,
      { organisation, health }: NonNullable<Awaited<ReturnType<Services['accountHealth']['forHome']>>>,
    ) {
      const charts = healthCharts(health, organisation.name, services.config.lifecycle.timezone);
      const la = actor.kind === 'account' && actor.organisationId !== organisation.id ? organisation.la_code : null;
      return {
        organisationName: organisation.name,
        days: health.days,
        buckets: health.buckets,
        total: totalAccounts(health),
        weeks: health.weeks,
        totals: {
          warnings: sum(health.weeks.map((w) => w.warnings)),
          archives: sum(health.weeks.map((w) => w.archives)),
          deletions: sum(health.weeks.map((w) => w.deletions)),
        },
        accountsSvg: barChartSvg(charts.accounts),
        lifecycleSvg: barChartSvg(charts.lifecycle),
        // The people behind the weekly numbers, for those who may see the preview.
        previewHref: can(actor, 'lifecycle.view', { organisationId: organisation.id })
          ? `/admin/lifecycle?days=${health.days}${la ? `&la=${la}` : ''}`
          : null,
      };
    }

    app.get('/', { preHandler: requireSignIn }, async (request, reply) => {
      const actor = signedIn(request).actor;
      const [{ account, organisation, privileges, administrators }, attention, health] = await Promise.all([
        services.accounts.profile(actor),
        services.attention.forHome(actor),
        // Central support names the LA with ?la= (as on Admin > Users); everyone else sees their own.
        services.accountHealth.forHome(actor, formBody(request.query).la),
      ]);
      return reply.page('home.njk', {
        pageTitle: 'Home',
        account,
        organisationName: organisation.name,
        laCode: organisation.la_code,
        userTypeLabel: isUserType(account.user_type) ? userTypeLabel(account.user_type) : account.user_type,
        privileges: privileges.map((p) => ({
          label: privilegeLabel(p),
          hint: PRIVILEGES.find((x) => x.code === p)!.hint,
        })),
        administrators,
        attention,
        health: health && healthView(actor, health),
        links: navigationPages(signedIn(request).actor).filter((l) => l.href !== '/'),
      });
    });
  };
}
