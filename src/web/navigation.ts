import { can, type Action, type Actor } from '../domain/access.ts';

/**
 * Navigation (DESIGN.md), grouped so that the header holds one row at 1280 px (issue 13, item 7):
 * the header shows a group, and a group's list pages show its pages as a sub-navigation. Every
 * page is gated by the access table (`can(actor, …)`), never by the template.
 */

interface Page {
  readonly text: string;
  readonly href: string;
  /** Who sees the link: an action of the access table, or everyone signed in. */
  readonly action: Action | null;
}

interface Group {
  /** The header's text when the group shows more than one page (one page shows as itself). */
  readonly text: string;
  readonly pages: readonly Page[];
}

export const NAVIGATION: readonly Group[] = [
  { text: 'Home', pages: [{ text: 'Home', href: '/', action: null }] },
  {
    text: 'Users',
    pages: [
      { text: 'Users', href: '/admin/users', action: 'users.list' },
      { text: 'Archived users', href: '/admin/archived-users', action: 'users.restore' },
      { text: 'School groups', href: '/admin/school-groups', action: 'school-groups.manage' },
      { text: 'Sign-in settings', href: '/admin/sign-in-settings', action: 'identity-provider.manage' },
    ],
  },
  {
    text: 'Lifecycle',
    pages: [
      { text: 'Lifecycle', href: '/admin/lifecycle', action: 'lifecycle.view' },
      { text: 'Access reviews', href: '/admin/reviews', action: 'reviews.manage' },
    ],
  },
  {
    text: 'Audit',
    pages: [
      { text: 'Audit', href: '/admin/audit', action: 'audit.view' },
      { text: 'API tokens', href: '/admin/api-tokens', action: 'api-tokens.manage' },
    ],
  },
  {
    text: 'Support',
    pages: [
      { text: 'Sent email', href: '/support/sent-email', action: 'support.sent-email' },
      { text: 'Communications', href: '/support/communications', action: 'support.topic-messages' },
      { text: 'School imports', href: '/support/school-imports', action: 'support.school-imports' },
      { text: 'Applications', href: '/support/applications', action: 'applications.manage' },
    ],
  },
  { text: 'My account', pages: [{ text: 'My account', href: '/my-account', action: null }] },
];

export interface NavigationLink {
  text: string;
  href: string;
  active: boolean;
}

const within = (path: string, href: string) =>
  href === '/' ? path === '/' : path === href || path.startsWith(`${href}/`);

function visiblePages(actor: Actor, group: Group): Page[] {
  return group.pages.filter((p) => p.action === null || can(actor, p.action));
}

/** The header's links: one per group with a page the actor may open, leading to its first page. */
export function navigationFor(actor: Actor | undefined, path: string): NavigationLink[] {
  if (!actor) return [];
  return NAVIGATION.flatMap((group) => {
    const pages = visiblePages(actor, group);
    const first = pages[0];
    if (!first) return [];
    return [
      {
        text: pages.length === 1 ? first.text : group.text,
        href: first.href,
        active: pages.some((p) => within(path, p.href)),
      },
    ];
  });
}

/**
 * The pages of the group a list page belongs to, when it has more than one for this actor: shown
 * under the header on the group's own pages (not on the pages below them, which have their own
 * navigation, such as a user's tabs).
 */
export function sectionNavigationFor(
  actor: Actor | undefined,
  path: string,
): { label: string; items: NavigationLink[] } | null {
  if (!actor) return null;
  for (const group of NAVIGATION) {
    const pages = visiblePages(actor, group);
    if (pages.length < 2 || !pages.some((p) => p.href === path)) continue;
    return { label: group.text, items: pages.map((p) => ({ text: p.text, href: p.href, active: p.href === path })) };
  }
  return null;
}

/** Every page the actor may open from the navigation, in its order (Home's "What you can do"). */
export function navigationPages(actor: Actor): { text: string; href: string }[] {
  return NAVIGATION.flatMap((group) => visiblePages(actor, group).map(({ text, href }) => ({ text, href })));
}
