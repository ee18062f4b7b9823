import { can, type Actor } from '../domain/access.ts';

/**
 * Primary navigation (DESIGN.md). Admin pages join this list, each gated by the access table
 * (`can(actor, …)`), as they are built.
 */
export function navigationFor(
  actor: Actor | undefined,
  path: string,
): { text: string; href: string; active: boolean }[] {
  if (!actor) return [];
  const items: { text: string; href: string; show: boolean }[] = [
    { text: 'Home', href: '/', show: true },
    { text: 'Users', href: '/admin/users', show: can(actor, 'users.list') },
    { text: 'Archived users', href: '/admin/archived-users', show: can(actor, 'users.restore') },
    { text: 'Lifecycle', href: '/admin/lifecycle', show: can(actor, 'lifecycle.view') },
    { text: 'Access reviews', href: '/admin/reviews', show: can(actor, 'reviews.manage') },
    { text: 'School groups', href: '/admin/school-groups', show: can(actor, 'school-groups.manage') },
    { text: 'Audit', href: '/admin/audit', show: can(actor, 'audit.view') },
    { text: 'API tokens', href: '/admin/api-tokens', show: can(actor, 'api-tokens.manage') },
    { text: 'Sent email', href: '/support/sent-email', show: can(actor, 'support.sent-email') },
    { text: 'Communications', href: '/support/communications', show: can(actor, 'support.topic-messages') },
    { text: 'School imports', href: '/support/school-imports', show: can(actor, 'support.school-imports') },
    { text: 'My account', href: '/my-account', show: true },
  ];
  return items
    .filter((i) => i.show)
    .map(({ text, href }) => ({
      text,
      href,
      active: href === '/' ? path === '/' : path === href || path.startsWith(href + '/'),
    }));
}
