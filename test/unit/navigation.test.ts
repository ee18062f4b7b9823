import { describe, expect, it } from 'vitest';
import type { Actor } from '../../src/domain/access.ts';
import { typeDefaults, type Privilege } from '../../src/domain/privileges.ts';
import { navigationFor, navigationPages, sectionNavigationFor } from '../../src/web/navigation.ts';

const actor = (privileges: readonly Privilege[], organisationKind: 'la' | 'central' = 'la'): Actor => ({
  kind: 'account',
  accountId: 'a',
  organisationId: 1,
  organisationKind,
  privileges: new Set(privileges),
  label: 'someone',
});

const admin = actor(typeDefaults('la_admin'));
const officer = actor(typeDefaults('la_officer'));
const support = actor(typeDefaults('support'), 'central');
const texts = (links: { text: string }[]) => links.map((l) => l.text);

describe('the navigation, grouped (issue 13, item 7)', () => {
  it('shows groups in the header: six at most, so one row at 1280 px', () => {
    expect(texts(navigationFor(support, '/'))).toEqual([
      'Home',
      'Users',
      'Lifecycle',
      'Audit',
      'Support',
      'My account',
    ]);
    expect(texts(navigationFor(admin, '/'))).toEqual(['Home', 'Users', 'Lifecycle', 'Audit', 'My account']);
  });

  it('names a group with one page for this person by that page, and leaves out groups with none', () => {
    expect(navigationFor(officer, '/')).toEqual([
      { text: 'Home', href: '/', active: true },
      { text: 'Users', href: '/admin/users', active: false },
      { text: 'My account', href: '/my-account', active: false },
    ]);
    const groupsOnly = actor(['manage_school_groups']);
    expect(texts(navigationFor(groupsOnly, '/'))).toEqual(['Home', 'School groups', 'My account']);
  });

  it("marks the group of the page shown, its pages' sub-pages included", () => {
    const active = (path: string) => navigationFor(admin, path).find((l) => l.active)?.text;
    expect(active('/admin/archived-users')).toBe('Users');
    expect(active('/admin/users/3f8a')).toBe('Users');
    expect(active('/admin/reviews/1/items/2')).toBe('Lifecycle');
    expect(active('/admin/api-tokens')).toBe('Audit');
    expect(active('/admin/sign-in-settings')).toBe('Users');
    expect(active('/my-account/password')).toBe('My account');
    expect(active('/')).toBe('Home');
  });

  it("shows a group's pages under the header on its list pages only", () => {
    expect(sectionNavigationFor(admin, '/admin/archived-users')).toEqual({
      label: 'Users',
      items: [
        { text: 'Users', href: '/admin/users', active: false },
        { text: 'Archived users', href: '/admin/archived-users', active: true },
        { text: 'School groups', href: '/admin/school-groups', active: false },
        { text: 'Sign-in settings', href: '/admin/sign-in-settings', active: false },
      ],
    });
    expect(sectionNavigationFor(support, '/support/applications')).toEqual({
      label: 'Support',
      items: [
        { text: 'Sent email', href: '/support/sent-email', active: false },
        { text: 'Communications', href: '/support/communications', active: false },
        { text: 'School imports', href: '/support/school-imports', active: false },
        { text: 'Applications', href: '/support/applications', active: true },
      ],
    });
    expect(sectionNavigationFor(admin, '/admin/users/3f8a')).toBeNull();
    expect(sectionNavigationFor(officer, '/admin/users')).toBeNull();
    expect(sectionNavigationFor(undefined, '/admin/users')).toBeNull();
  });

  it('lists every page a person may open, for Home', () => {
    expect(texts(navigationPages(admin))).toEqual([
      'Home',
      'Users',
      'Archived users',
      'School groups',
      'Sign-in settings',
      'Lifecycle',
      'Access reviews',
      'Audit',
      'API tokens',
      'My account',
    ]);
  });
});
