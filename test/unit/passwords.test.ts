import { describe, expect, it } from 'vitest';
import { contextWords, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, passwordProblem } from '../../src/domain/passwords.ts';

/** R51 (NIST SP 800-63B): length 12–256, no composition rules, common and guessable passwords refused. */

const WEAK = /harder to guess/;

describe('password rules (R51)', () => {
  it('asks for a password when none is given', () => {
    expect(passwordProblem('')).toBe('Enter a password');
  });

  it('needs at least 12 characters, counting characters, not UTF-16 units', () => {
    expect(MIN_PASSWORD_LENGTH).toBe(12);
    expect(passwordProblem('Vq7#mZ2!pL9')).toBe('Password must be 12 characters or more');
    // 11 emoji are 22 UTF-16 units but 11 characters: still too short.
    expect(passwordProblem('🦊🐢🌵🎻🚲🧲🪁🥨🦉🧭🪴')).toBe('Password must be 12 characters or more');
    expect(passwordProblem('🦊🐢🌵🎻🚲🧲🪁🥨🦉🧭🪴🎲')).toBeUndefined();
  });

  it('accepts 256 characters and refuses 257', () => {
    expect(MAX_PASSWORD_LENGTH).toBe(256);
    const words = 'lantern orbit pickle walrus tuba quill marmalade kestrel ';
    const at256 = words.repeat(10).slice(0, 256);
    expect(at256).toHaveLength(256);
    expect(passwordProblem(at256)).toBeUndefined();
    expect(passwordProblem(at256 + 'x')).toBe('Password must be 256 characters or fewer');
    expect(passwordProblem('x'.repeat(10_000))).toBe('Password must be 256 characters or fewer');
  });

  it.each([
    'password1234',
    'Password123!',
    'qwertyuiop123',
    'iloveyou1234',
    'aaaaaaaaaaaa',
    '123456789012',
    'abcdefghijklmnop',
  ])('refuses the common or patterned password %j', (password) => {
    expect(passwordProblem(password)).toMatch(WEAK);
  });

  it.each(['correct horse battery staple', 'marmalade walrus tuba', 'Lantern-Orbit-Pickle-42'])(
    'accepts the passphrase %j, with no composition rules (no capitals, digits or symbols needed)',
    (password) => {
      expect(passwordProblem(password)).toBeUndefined();
    },
  );

  it('treats markup, SQL and other unusual text as just characters', () => {
    expect(passwordProblem('<script>alert(1)</script>')).toBeUndefined();
    expect(passwordProblem('"; DROP TABLE accounts; --')).toBeUndefined();
    expect(passwordProblem('שלום עולם מרמלדה')).toBeUndefined();
  });

  it("lowers the strength of a password built from the account's own words", () => {
    // Strong on their own, weak for the person whose username or name they are.
    expect(passwordProblem('kestrel.moorcroft')).toBeUndefined();
    expect(passwordProblem('kestrel.moorcroft', ['kestrel.moorcroft'])).toMatch(WEAK);
    expect(passwordProblem('Zennorcastle44')).toBeUndefined();
    expect(passwordProblem('Zennorcastle44', ['Zennorcastle'])).toMatch(WEAK);
    expect(passwordProblem('jo.bloggs2024!')).toBeUndefined();
    expect(passwordProblem('jo.bloggs2024!', ['jo.bloggs', 'Jo', 'Bloggs', 'jo.bloggs@camden.gov.uk'])).toMatch(WEAK);
    // A part of the email address counts as well as the whole address.
    expect(passwordProblem('moorcroftkestrel')).toBeUndefined();
    expect(passwordProblem('moorcroftkestrel', ['k.moorcroft@kestrel.example'])).toMatch(WEAK);
    // Empty context values are ignored.
    expect(passwordProblem('Lantern-Orbit-Pickle-42', ['', '  '])).toBeUndefined();
  });

  it('derives context words from whole values and their parts', () => {
    expect(contextWords(['Jo.Bloggs', 'jo.bloggs@camden.gov.uk', '', 'Li'])).toEqual([
      'jo.bloggs',
      'bloggs',
      'jo.bloggs@camden.gov.uk',
      'camden',
      'gov',
      'li',
    ]);
  });
});
