import { describe, expect, it } from 'vitest';
import { ScimError } from '../../src/api/scim/scim-errors.ts';
import { applyPatch } from '../../src/api/scim/scim-patch.ts';
import { SCIM_NEXUS } from '../../src/api/scim/scim-schemas.ts';
import { parseUserBody, type ScimUserState } from '../../src/api/scim/scim-user-mapping.ts';

const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const base: ScimUserState = {
  userName: 'bjensen',
  externalId: 'bjensen',
  givenName: 'Barbara',
  familyName: 'Jensen',
  email: 'bjensen@example.com',
  title: 'Tour Guide',
  phone: null,
  active: true,
  typeOfUser: 'read_only',
};
const patch = (...Operations: unknown[]) => applyPatch(base, { schemas: [PATCH], Operations });

describe('SCIM PATCH (RFC 7644 §3.5.2)', () => {
  it('adds emails as in §3.5.2.1: the work address stays the one kept unless the new one is primary', () => {
    expect(
      patch({ op: 'add', value: { emails: [{ value: 'babs@jensen.org', type: 'home' }], nickname: 'Babs' } }).email,
    ).toBe('bjensen@example.com');
    expect(
      patch({ op: 'add', path: 'emails', value: [{ value: 'babs@jensen.org', type: 'work', primary: true }] }).email,
    ).toBe('babs@jensen.org');
  });

  it('replaces as in §3.5.2.3, with and without a path, and sub-attributes of name', () => {
    expect(patch({ op: 'replace', path: 'name.familyName', value: 'Jensen-Smith' }).familyName).toBe('Jensen-Smith');
    expect(patch({ op: 'replace', path: 'emails[type eq "work"].value', value: 'b@example.org' }).email).toBe(
      'b@example.org',
    );
    expect(patch({ op: 'replace', value: { name: { givenName: 'Babs' }, title: 'Guide' } })).toMatchObject({
      givenName: 'Babs',
      familyName: 'Jensen',
      title: 'Guide',
    });
    expect(patch({ op: 'replace', path: 'emails', value: [{ value: 'new@example.org', type: 'work' }] }).email).toBe(
      'new@example.org',
    );
  });

  it('removes as in §3.5.2.2', () => {
    expect(patch({ op: 'remove', path: 'title' }).title).toBeNull();
    expect(patch({ op: 'remove', path: 'emails[type eq "home"]' }).email).toBe('bjensen@example.com');
    expect(patch({ op: 'remove', path: 'externalId' }).externalId).toBeNull();
    const withPhone = (op: unknown) =>
      applyPatch({ ...base, phone: '01632 960 001' }, { schemas: [PATCH], Operations: [op] }).phone;
    expect(withPhone({ op: 'remove', path: 'phoneNumbers' })).toBeNull();
    expect(withPhone({ op: 'Remove', path: 'phoneNumbers[type eq "work"].value' })).toBeNull();
    expect(withPhone({ op: 'remove', path: 'phoneNumbers[type eq "home"]' })).toBe('01632 960 001');
    // Unassigned, active is what a User created without it is: active.
    expect(patch({ op: 'replace', path: 'active', value: false }, { op: 'remove', path: 'active' }).active).toBe(true);
    // Attributes Nexus does not keep (the enterprise manager Entra ID removes) are accepted and ignored.
    expect(patch({ op: 'Remove', path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager' })).toEqual(
      base,
    );
    expect(patch({ op: 'remove', path: 'nickName' })).toEqual(base);
  });

  it.each([
    'userName',
    'name',
    'name.givenName',
    'name.familyName',
    'emails',
    'emails[type eq "work"]',
    'emails[type eq "work" and value eq "bjensen@example.com"]',
    'emails.value',
    'displayName',
    'name.formatted',
    'id',
    'meta',
  ])('refuses to remove %s, required or read-only: 400 mutability (RFC 7644 §3.5.2.2)', (path) => {
    expect(() => patch({ op: 'remove', path })).toThrow(
      expect.objectContaining({ status: 400, scimType: 'mutability' }),
    );
  });

  it('takes the Entra ID forms: capitalised ops, string booleans, no path', () => {
    expect(patch({ op: 'Replace', path: 'active', value: 'False' }).active).toBe(false);
    expect(patch({ op: 'replace', value: { active: false } }).active).toBe(false);
    expect(patch({ op: 'Add', path: 'active', value: 'True' }).active).toBe(true);
    expect(patch({ op: 'Add', path: 'phoneNumbers[type eq "work"].value', value: '01632 960 001' }).phone).toBe(
      '01632 960 001',
    );
    expect(
      patch({ op: 'Add', path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department', value: 'IT' }),
    ).toEqual(base);
    expect(patch({ op: 'replace', path: `${SCIM_NEXUS}:typeOfUser`, value: 'la_officer' }).typeOfUser).toBe(
      'la_officer',
    );
    expect(
      patch({
        op: 'replace',
        value: { id: 'x', displayName: 'Babs J', 'urn:ietf:params:scim:schemas:core:2.0:User:title': 'Lead' },
      }).title,
    ).toBe('Lead');
  });

  it.each([
    [{}, 'invalidSyntax'],
    [{ schemas: [PATCH] }, 'invalidSyntax'],
    [{ schemas: [PATCH], Operations: [{ op: 'move', path: 'title', value: 'x' }] }, 'invalidSyntax'],
    [{ schemas: [PATCH], Operations: [{ op: 'remove' }] }, 'noTarget'],
    [{ schemas: [PATCH], Operations: [{ op: 'replace', path: 'shoeSize', value: 'x' }] }, 'invalidPath'],
    [{ schemas: [PATCH], Operations: [{ op: 'replace', path: 'title[', value: 'x' }] }, 'invalidPath'],
    [{ schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: 'maybe' }] }, 'invalidValue'],
    [{ schemas: [PATCH], Operations: [{ op: 'replace', path: 'title', value: 42 }] }, 'invalidValue'],
    [
      { schemas: [PATCH], Operations: [{ op: 'replace', path: 'emails[type ne "work"].value', value: 'a@b.org' }] },
      'invalidFilter',
    ],
    [{ schemas: [PATCH], Operations: [{ op: 'replace', value: 'x' }] }, 'invalidValue'],
  ])('refuses %j with %s', (body, scimType) => {
    try {
      applyPatch(base, body);
      expect.fail('accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(ScimError);
      expect((error as ScimError).scimType).toBe(scimType);
      expect((error as ScimError).status).toBe(400);
    }
  });
});

describe('SCIM User bodies (RFC 7644 §3.3)', () => {
  it('maps the RFC example, keeping the work or primary email and defaulting to the least-privileged type', () => {
    const user = parseUserBody({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: 'bjensen',
      externalId: 'bjensen',
      name: { formatted: 'Ms. Barbara J Jensen III', familyName: 'Jensen', givenName: 'Barbara' },
      emails: [
        { value: 'b@home.org', type: 'home' },
        { value: 'bjensen@example.com', type: 'work' },
      ],
    });
    expect(user).toEqual({ ...base, title: null, email: 'bjensen@example.com' });
  });

  it.each([
    [null, 'invalidSyntax'],
    [[], 'invalidSyntax'],
    [{ userName: 'a' }, 'invalidSyntax'],
    [{ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'] }, 'invalidValue'],
    [{ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 7 }, 'invalidValue'],
    [{ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'a', name: 'A B' }, 'invalidValue'],
    [{ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'a', emails: 'a@b.org' }, 'invalidValue'],
    [{ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'a', active: 'yes' }, 'invalidValue'],
  ])('refuses %j with %s', (body, scimType) => {
    expect(() => parseUserBody(body)).toThrow(ScimError);
    try {
      parseUserBody(body);
    } catch (error) {
      expect((error as ScimError).scimType).toBe(scimType);
    }
  });
});
