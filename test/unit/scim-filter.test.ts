import { describe, expect, it } from 'vitest';
import { parseScimFilter, ScimFilterError } from '../../src/domain/scim-filter.ts';

describe('SCIM filter parser (RFC 7644 §3.4.2.2)', () => {
  it('parses the RFC example userName eq "bjensen"', () => {
    expect(parseScimFilter('userName eq "bjensen"')).toEqual({
      kind: 'compare',
      attribute: 'userName',
      op: 'eq',
      value: 'bjensen',
    });
  });

  it('takes attribute names and operators in any case, and the core schema URN prefix', () => {
    expect(parseScimFilter('USERNAME EQ "a"')).toEqual({
      kind: 'compare',
      attribute: 'userName',
      op: 'eq',
      value: 'a',
    });
    expect(parseScimFilter('urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"')).toEqual({
      kind: 'compare',
      attribute: 'userName',
      op: 'sw',
      value: 'J',
    });
  });

  it('parses externalId, emails.value, value paths, and and or with and binding tighter', () => {
    expect(parseScimFilter('externalId eq "E-1" and emails.value eq "b@x.org" or active eq false')).toEqual({
      kind: 'or',
      left: {
        kind: 'and',
        left: { kind: 'compare', attribute: 'externalId', op: 'eq', value: 'E-1' },
        right: { kind: 'compare', attribute: 'emails.value', op: 'eq', value: 'b@x.org' },
      },
      right: { kind: 'compare', attribute: 'active', op: 'eq', value: false },
    });
    expect(parseScimFilter('emails[value eq "b@x.org"]')).toEqual({
      kind: 'compare',
      attribute: 'emails.value',
      op: 'eq',
      value: 'b@x.org',
    });
    expect(parseScimFilter('not (title pr)')).toEqual({ kind: 'not', filter: { kind: 'present', attribute: 'title' } });
    expect(parseScimFilter('(userName eq "a")')).toEqual({
      kind: 'compare',
      attribute: 'userName',
      op: 'eq',
      value: 'a',
    });
  });

  it('reads JSON string escapes, so quotes and backslashes can be searched for', () => {
    expect(parseScimFilter('name.familyName eq "O\\"Brien\\\\"')).toMatchObject({ value: 'O"Brien\\' });
    expect(parseScimFilter('name.givenName eq "Zoë 😀"')).toMatchObject({ value: 'Zoë 😀' });
  });

  it.each([
    ['userName eq', /Expected a value/],
    ['userName xx "a"', /not a filter operator/],
    ['userName eq "a', /no closing quote/],
    ['userName eq a', /double quotes/],
    ['nickName eq "a"', /not supported/],
    ['userName gt "a"', /not supported/],
    ['active eq "true"', /true or false/],
    ['(userName eq "a"', /Expected "\)"/],
    ['userName eq "a")', /Unexpected "\)"/],
    ['userName eq "a" and', /Expected an attribute name/],
    ['', /empty/],
    ['userName eq "a" ; DROP TABLE accounts', /Unexpected character/],
    ['userName eq "a\\u0000b"', /NUL/],
    ['userName eq "a\ud800"', /unpaired surrogate/],
    ['x'.repeat(10_000), /longer than/],
    [`${'('.repeat(50)}userName eq "a"${')'.repeat(50)}`, /nested too deeply/],
  ])('refuses %j', (filter, message) => {
    expect(() => parseScimFilter(filter)).toThrow(ScimFilterError);
    expect(() => parseScimFilter(filter)).toThrow(message);
  });
});
