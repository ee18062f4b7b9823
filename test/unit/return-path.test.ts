import { describe, expect, it } from 'vitest';
import { returnPath, withReturnTo } from '../../src/domain/return-path.ts';

describe('the path to return to after sign-in', () => {
  it.each([
    '/admin/users/3f8a5e2c-1111-4222-8333-944445555666',
    '/admin/users?la=202&status=warned&inactiveMonths=12',
    '/admin/reviews/abc?page=2',
    '/',
  ])('keeps a path of this site: %s', (path) => {
    expect(returnPath(path)).toBe(path);
  });

  it.each([
    ['protocol-relative', '//evil.example/admin'],
    ['backslash host', '/\\evil.example'],
    ['absolute URL', 'https://evil.example/'],
    ['scheme', 'javascript:alert(1)'],
    ['relative', 'admin/users'],
    ['CR/LF', '/admin\r\nSet-Cookie: x=1'],
    ['NUL', '/admin\u0000'],
    ['space', '/admin users'],
    ['fragment', '/admin#x'],
    ['unicode', '/admin/ü'],
    ['markup', '/<script>'],
    ['sign-in page', '/sign-in'],
    ['two-factor page', '/sign-in/two-factor?returnTo=/x'],
    ['sign-out', '/sign-out'],
    ['empty', ''],
    ['over-long', `/${'a'.repeat(1000)}`],
  ])('refuses %s', (_name, path) => {
    expect(returnPath(path)).toBeUndefined();
  });

  it('refuses what is not a string', () => {
    for (const value of [undefined, null, 1, ['/admin'], { path: '/admin' }]) expect(returnPath(value)).toBeUndefined();
  });

  it('puts the path in the query, encoded, and leaves a path without one alone', () => {
    expect(withReturnTo('/sign-in', '/admin/users?la=202&q=a b')).toBe(
      '/sign-in?returnTo=%2Fadmin%2Fusers%3Fla%3D202%26q%3Da%20b',
    );
    expect(withReturnTo('/sign-in', undefined)).toBe('/sign-in');
  });
});
