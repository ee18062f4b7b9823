import { describe, expect, it } from 'vitest';
import {
  privilegesAllowedFor,
  validateAccountFields,
  type AccountFieldsInput,
} from '../../src/domain/account-fields.ts';
import { normaliseUsername, usernameProblem } from '../../src/domain/usernames.ts';

const valid: AccountFieldsInput = {
  username: 'jo.bloggs',
  firstName: 'Jo',
  lastName: 'Bloggs',
  email: 'jo.bloggs@camden.gov.uk',
  userType: 'la_officer',
};

function errorsFor(change: Partial<AccountFieldsInput>, isCentral = false) {
  return validateAccountFields({ ...valid, ...change }, isCentral).errors;
}

describe('usernames (R7)', () => {
  it.each(['abc', 'jo.bloggs', 'j_bloggs-2', 'jo@camden.gov.uk', 'a'.repeat(64), '0.0', '...'])(
    'accepts %j',
    (username) => {
      expect(usernameProblem(username)).toBeUndefined();
    },
  );

  it('needs 3 to 64 characters', () => {
    expect(usernameProblem('')).toBe('Enter a username');
    expect(usernameProblem('   ')).toBe('Enter a username');
    expect(usernameProblem('ab')).toBe('Username must be 3 characters or more');
    expect(usernameProblem('a'.repeat(65))).toBe('Username must be 64 characters or fewer');
    expect(usernameProblem('x'.repeat(10_000))).toBe('Username must be 64 characters or fewer');
  });

  it.each([
    'jo bloggs',
    'jo+bloggs',
    "o'brien",
    'josé',
    'zoë.smith',
    'jo\u0000bloggs',
    'jo\nbloggs',
    '<script>',
    "' OR 1=1 --",
    'jo\u202ebloggs',
    'שלום123',
    '👩🏽‍💻abc',
    // The Kelvin sign lower-cases to an ASCII "k": it must not pass as one.
    '\u212Aate',
  ])('refuses characters outside a-z 0-9 . _ - @ in %j', (username) => {
    expect(usernameProblem(username)).toBe(
      'Username must only include letters a to z, numbers, full stops, underscores, hyphens and @',
    );
  });

  it('is case-folded and trimmed, so case variants are one username', () => {
    expect(usernameProblem('Jo.Bloggs')).toBeUndefined();
    expect(normaliseUsername('  Jo.BLOGGS ')).toBe('jo.bloggs');
    expect(validateAccountFields({ ...valid, username: ' JO.Bloggs ' }, false).fields?.username).toBe('jo.bloggs');
  });
});

describe('account fields (R6, R8)', () => {
  it('accepts a complete account and trims what it keeps', () => {
    const { fields, errors } = validateAccountFields(
      { ...valid, firstName: '  Jo ', jobTitle: ' Analyst ', phone: '01632 960 001' },
      false,
    );
    expect(errors).toEqual({});
    expect(fields).toEqual({
      username: 'jo.bloggs',
      firstName: 'Jo',
      lastName: 'Bloggs',
      email: 'jo.bloggs@camden.gov.uk',
      jobTitle: 'Analyst',
      phone: '01632 960 001',
      userType: 'la_officer',
    });
  });

  it('treats optional job title and phone left blank as absent', () => {
    const { fields } = validateAccountFields({ ...valid, jobTitle: '   ', phone: '' }, false);
    expect(fields?.jobTitle).toBeNull();
    expect(fields?.phone).toBeNull();
  });

  it('reports every missing required field at once, and returns no fields', () => {
    const result = validateAccountFields({}, false);
    expect(result.fields).toBeUndefined();
    expect(result.errors).toEqual({
      username: 'Enter a username',
      firstName: 'Enter first name',
      lastName: 'Enter last name',
      email: 'Enter email address',
      userType: 'Select a Type of User',
    });
  });

  it('limits lengths: names and job title 100, email 254 (64 before the @), phone 30', () => {
    expect(errorsFor({ firstName: 'a'.repeat(100), lastName: 'b'.repeat(100), jobTitle: 'c'.repeat(100) })).toEqual({});
    expect(errorsFor({ firstName: 'a'.repeat(101) }).firstName).toBe('First name must be 100 characters or fewer');
    expect(errorsFor({ lastName: 'x'.repeat(10_000) }).lastName).toBe('Last name must be 100 characters or fewer');
    expect(errorsFor({ jobTitle: 'c'.repeat(101) }).jobTitle).toBe('Job title must be 100 characters or fewer');
    const domain = `${'d'.repeat(50)}.${'e'.repeat(50)}.${'f'.repeat(50)}.gov.uk`;
    expect(errorsFor({ email: `${'a'.repeat(64)}@${domain}` }).email).toBeUndefined();
    expect(errorsFor({ email: `${'a'.repeat(65)}@${domain}` }).email).toBe(
      'Enter an email address in the correct format, like name@example.gov.uk',
    );
    expect(errorsFor({ email: `${'a'.repeat(64)}@${domain}${'.x'.repeat(30)}` }).email).toBe(
      'Email address must be 254 characters or fewer',
    );
    expect(errorsFor({ phone: '0'.repeat(31) }).phone).toBe('Phone number must be 30 characters or fewer');
  });

  it.each([
    'jo.bloggs@camden.gov.uk',
    'Jo.Bloggs+nexus@Camden.GOV.UK',
    "o'brien@example.org",
    'zoë@example.org',
    'a@b-c.example',
  ])('accepts the email address %j', (email) => {
    expect(errorsFor({ email }).email).toBeUndefined();
  });

  it.each([
    'jo.bloggs',
    'jo@',
    '@camden.gov.uk',
    'jo@camden',
    'jo@@camden.gov.uk',
    'jo bloggs@camden.gov.uk',
    'jo@camden..gov.uk',
    'jo@-camden.gov.uk',
    '<script>@x.com',
    'jo@camden.gov.uk>',
    '"jo"@camden.gov.uk',
    "' OR 1=1 --",
  ])('refuses the email address %j', (email) => {
    expect(errorsFor({ email }).email).toBe('Enter an email address in the correct format, like name@example.gov.uk');
  });

  it('allows the same email address on two accounts: nothing here makes it unique (R8)', () => {
    expect(errorsFor({ username: 'jo.camden' })).toEqual({});
    expect(errorsFor({ username: 'jo.islington' })).toEqual({});
  });

  it.each([
    ['NUL', '\u0000'],
    ['line feed', '\n'],
    ['tab', '\t'],
    ['DEL', '\u007f'],
    ['C1 control', '\u0085'],
    ['line separator', '\u2028'],
    ['right-to-left override', '\u202e'],
    ['left-to-right isolate', '\u2066'],
  ])('refuses a %s inside names, email and job title', (_name, char) => {
    const errors = errorsFor({
      firstName: `Jo${char}x`,
      lastName: `Blo${char}ggs`,
      jobTitle: `Ana${char}lyst`,
      email: `jo${char}b@camden.gov.uk`,
    });
    expect(errors.firstName).toBe('First name must not include line breaks or control characters');
    expect(errors.lastName).toBe('Last name must not include line breaks or control characters');
    expect(errors.jobTitle).toBe('Job title must not include line breaks or control characters');
    expect(errors.email).toBe('Email address must not include line breaks or control characters');
  });

  it("keeps names in any script, with accents, combining marks, emoji and markup: escaping is the pages' job", () => {
    const { fields, errors } = validateAccountFields(
      {
        ...valid,
        firstName: 'Zoë Renée',
        lastName: 'שלום-Nuñez\u0301 👩🏽‍💻',
        jobTitle: '<b>Head</b> of "Data" & \'Stats\'',
      },
      false,
    );
    expect(errors).toEqual({});
    expect(fields?.lastName).toBe('שלום-Nuñez\u0301 👩🏽‍💻');
    expect(fields?.jobTitle).toBe('<b>Head</b> of "Data" & \'Stats\'');
  });

  it('accepts telephone numbers in the usual formats only', () => {
    expect(errorsFor({ phone: '+44 (0)808 157-0192' }).phone).toBeUndefined();
    expect(errorsFor({ phone: '01632' }).phone).toBe(
      'Enter a telephone number, like 01632 960 001 or +44 808 157 0192',
    );
    expect(errorsFor({ phone: 'call me' }).phone).toBe(
      'Enter a telephone number, like 01632 960 001 or +44 808 157 0192',
    );
  });
});

describe('Types of User and privileges by organisation (R12, R13)', () => {
  it('refuses an unknown Type of User', () => {
    expect(errorsFor({ userType: 'superuser' }).userType).toBe('Select a Type of User');
    expect(errorsFor({ userType: 'LA_ADMIN' }).userType).toBe('Select a Type of User');
  });

  it('keeps the Central Support type to the central organisation, and central accounts to it', () => {
    expect(errorsFor({ userType: 'support' }, false).userType).toBe(
      'Select a Type of User for a Local Authority account',
    );
    expect(errorsFor({ userType: 'support' }, true)).toEqual({});
    expect(errorsFor({ userType: 'la_admin' }, true).userType).toBe(
      'Central support accounts must be of the type Central Support',
    );
  });

  it('keeps the support privilege to central accounts and refuses unknown privileges', () => {
    expect(privilegesAllowedFor(false, ['support', 'view_users'])).toEqual({
      privileges: [],
      error: 'Central support can only be held by central support accounts',
    });
    expect(privilegesAllowedFor(true, ['support', 'view_users']).privileges).toEqual(['support', 'view_users']);
    expect(privilegesAllowedFor(false, ['view_users', 'root']).error).toBe('Select privileges from the list');
    expect(privilegesAllowedFor(false, ['view_users', 'view_users', 'pupil_level'])).toEqual({
      privileges: ['view_users', 'pupil_level'],
    });
    expect(privilegesAllowedFor(false, [])).toEqual({ privileges: [] });
  });
});
