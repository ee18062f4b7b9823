import type { FastifyInstance, FastifyReply } from 'fastify';
import { can } from '../../../domain/access.ts';
import { RuleError } from '../../../domain/errors.ts';
import type { Services } from '../../../services/index.ts';
import { formatDate } from '../../../services/deps.ts';
import { requestContext } from '../../../http/request-context.ts';
import { requireSignIn, signedIn } from '../../plugins/require-sign-in.ts';
import { ARCHIVE_REASON_TEXT } from '../../../domain/account-status.ts';
import { queryOf } from '../form.ts';
import { fullName } from '../../../domain/names.ts';

/** Archive, delete, restore, reset two-factor authentication (R28–R32) and Archived users (R23). */
export function adminStatusRoutes(services: Services) {
  return async (app: FastifyInstance) => {
    app.addHook('preHandler', requireSignIn);

    /** A rule refused it (R17, already archived): back to the user page, saying why. */
    const refused = (reply: FastifyReply, id: string, error: unknown) => {
      if (!(error instanceof RuleError)) throw error;
      reply.code(409);
      return reply.page('errors/problem.njk', {
        pageTitle: 'This change cannot be made',
        message: error.message,
        backLink: `/admin/users/${id}`,
      });
    };

    app.get<{ Params: { id: string } }>('/admin/users/:id/archive', async (request, reply) => {
      const user = await services.users.view(signedIn(request).actor, request.params.id, 'users.archive');
      if (user.account.status !== 'active')
        return refused(reply, request.params.id, new RuleError('This account is already archived.'));
      const name = fullName(user.account);
      return reply.page('admin/user/confirm.njk', {
        pageTitle: `Archive ${name} – Admin`,
        user,
        heading: `Archive ${name}'s account`,
        paragraphs: [
          `${name} will be signed out at once and will not be able to sign in. They will receive no communications.`,
          'You can restore the account from Archived users, with its privileges, schools, groups and preferences as they are now.',
        ],
        warning: `If it is not restored, the account will be deleted on ${formatDate(services.userStatus.deletionDateIfArchivedNow(), services.config.lifecycle.timezone)}.`,
        action: `/admin/users/${user.account.id}/archive`,
        button: 'Archive account',
        destructive: false,
      });
    });

    app.post<{ Params: { id: string } }>('/admin/users/:id/archive', async (request, reply) => {
      try {
        const due = await services.userStatus.archive(
          signedIn(request).actor,
          request.params.id,
          requestContext(request),
        );
        reply.flash(`Account archived. It will be deleted on ${formatDate(due, services.config.lifecycle.timezone)}.`);
        return reply.redirect(`/admin/users/${request.params.id}`, 303);
      } catch (error) {
        return refused(reply, request.params.id, error);
      }
    });

    app.get<{ Params: { id: string } }>('/admin/users/:id/delete', async (request, reply) => {
      const user = await services.users.view(signedIn(request).actor, request.params.id, 'users.delete');
      const name = fullName(user.account);
      return reply.page('admin/user/confirm.njk', {
        pageTitle: `Delete ${name} – Admin`,
        user,
        heading: `Delete ${name}'s account`,
        paragraphs: [
          `${name}'s account, details, privileges, schools and preferences will be erased now. The audit log keeps only a record that the account existed and was deleted.`,
          `The username ${user.account.username} can be used for a new account at once.`,
        ],
        warning: 'You cannot undo this. If you are not sure, archive the account instead.',
        action: `/admin/users/${user.account.id}/delete`,
        button: 'Delete account',
        destructive: true,
      });
    });

    app.post<{ Params: { id: string } }>('/admin/users/:id/delete', async (request, reply) => {
      try {
        const { username } = await services.userStatus.delete(
          signedIn(request).actor,
          request.params.id,
          requestContext(request),
        );
        reply.flash(`Account ${username} deleted.`);
        return reply.redirect('/admin/users', 303);
      } catch (error) {
        return refused(reply, request.params.id, error);
      }
    });

    app.get<{ Params: { id: string } }>('/admin/users/:id/reset-two-factor', async (request, reply) => {
      const user = await services.users.view(signedIn(request).actor, request.params.id, 'users.reset-two-factor');
      if (!user.account.totp_secret)
        return refused(
          reply,
          request.params.id,
          new RuleError('This account has not set up two-factor authentication, so there is nothing to reset.'),
        );
      const name = fullName(user.account);
      return reply.page('admin/user/confirm.njk', {
        pageTitle: `Reset two-factor authentication for ${name} – Admin`,
        user,
        heading: `Reset two-factor authentication for ${name}`,
        paragraphs: [
          `${name}'s authenticator app will stop working for ${services.config.platformName}${user.passkeys > 0 ? `, ${user.passkeys === 1 ? 'their passkey will be removed' : `their ${user.passkeys} passkeys will be removed`}` : ''}, and they will be signed out. The next time they sign in, they will set up their app again.`,
          'We will email them to say this happened.',
        ],
        warning: 'Only do this when you are sure who asked for it, for example after a call from a known number.',
        action: `/admin/users/${user.account.id}/reset-two-factor`,
        button: 'Reset two-factor authentication',
        destructive: false,
      });
    });

    app.post<{ Params: { id: string } }>('/admin/users/:id/reset-two-factor', async (request, reply) => {
      try {
        await services.userStatus.resetTwoFactor(signedIn(request).actor, request.params.id, requestContext(request));
        reply.flash('Two-factor authentication reset. The user has been emailed.');
        return reply.redirect(`/admin/users/${request.params.id}`, 303);
      } catch (error) {
        return refused(reply, request.params.id, error);
      }
    });

    app.post<{ Params: { id: string } }>('/admin/users/:id/resend-invitation', async (request, reply) => {
      try {
        const sent = await services.passwords.resendInvitation(
          signedIn(request).actor,
          request.params.id,
          requestContext(request),
        );
        reply.flash(
          `Invitation sent again to ${sent.email}. The new link works until ${formatDate(sent.expiresAt, services.config.lifecycle.timezone)}. Links in earlier emails no longer work.`,
        );
        return reply.redirect(`/admin/users/${request.params.id}`, 303);
      } catch (error) {
        return refused(reply, request.params.id, error);
      }
    });

    app.get('/admin/archived-users', async (request, reply) => {
      const actor = signedIn(request).actor;
      const { organisation, rows } = await services.directory.archived(
        actor,
        queryOf(request).la,
        requestContext(request),
      );
      return reply.page('admin/archived/list.njk', {
        pageTitle: 'Archived users – Admin',
        organisation,
        canRestore: can(actor, 'users.restore', { organisationId: organisation.id }),
        rows: rows.map((r) => ({
          ...r,
          reasonLabel: r.archive_reason ? ARCHIVE_REASON_TEXT[r.archive_reason].label : '',
          byLabel: r.archived_by_name ?? (r.archived_by ? 'A deleted account' : 'Automatic'),
        })),
      });
    });

    app.post<{ Params: { id: string } }>('/admin/archived-users/:id/restore', async (request, reply) => {
      try {
        await services.userStatus.restore(signedIn(request).actor, request.params.id, requestContext(request));
        reply.flash('Account restored. It can sign in again with its privileges, schools and preferences as before.');
        return reply.redirect(`/admin/users/${request.params.id}`, 303);
      } catch (error) {
        return refused(reply, request.params.id, error);
      }
    });
  };
}
