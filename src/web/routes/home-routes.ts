import type { FastifyInstance } from 'fastify';
import { privilegeLabel, userTypeLabel, isUserType, PRIVILEGES } from '../../domain/privileges.ts';
import type { Services } from '../../services/index.ts';
import { requireSignIn, signedIn } from '../plugins/require-sign-in.ts';
import { navigationFor } from '../navigation.ts';

/** The signed-in home page: who you are, your LA, your privileges, and where you can go. */
export function homeRoutes(services: Services) {
  return async (app: FastifyInstance) => {
    app.get('/accessibility', async (_request, reply) =>
      reply.page('static/accessibility.njk', {
        pageTitle: 'Accessibility statement',
        supportName: services.config.supportName,
      }),
    );

    app.get('/', { preHandler: requireSignIn }, async (request, reply) => {
      const actor = signedIn(request).actor;
      const [{ account, organisation, privileges, administrators }, attention] = await Promise.all([
        services.accounts.profile(actor),
        services.attention.forHome(actor),
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
        links: navigationFor(signedIn(request).actor, '/').filter((l) => l.href !== '/'),
      });
    });
  };
}
