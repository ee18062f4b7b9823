import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ERASED, eraseFromText, personalValues } from '../../src/domain/erasure.ts';
import { escapeHtml } from '../../src/mail/templates/render.ts';

const erase = (text: string, values: string[], more: { exact?: string[]; keep?: string[] } = {}) =>
  eraseFromText(text, { values, ...more });

describe('eraseFromText (R31): whole occurrences only', () => {
  it.each([
    ['Sam Smith (sam)', [], ['sam'], `Sam Smith (${ERASED})`],
    ['samantha.jones@camden.gov.uk', [], ['sam'], 'samantha.jones@camden.gov.uk'],
    [
      'sam.jones and jo.sam and sam_j and sam-j and sam@camden',
      [],
      ['sam'],
      'sam.jones and jo.sam and sam_j and sam-j and sam@camden',
    ],
    ['The account sam. Then', [], ['sam'], `The account ${ERASED}. Then`],
    ['Write to sam@camden.gov.uk.', ['sam@camden.gov.uk'], [], `Write to ${ERASED}.`],
    ['jo+sam@camden.gov.uk and sam@camden.gov.uk', ['sam@camden.gov.uk'], [], `jo+sam@camden.gov.uk and ${ERASED}`],
    ["o'sam@camden.gov.uk", ['sam@camden.gov.uk'], [], "o'sam@camden.gov.uk"],
    ['sam+news@camden.gov.uk', [], ['sam'], 'sam+news@camden.gov.uk'],
    ['Sam Jones, Sam Jonesy, Sam Jones-Smith', ['Sam Jones'], [], `${ERASED}, Sam Jonesy, Sam Jones-Smith`],
    ['SAM JONES', ['Sam Jones'], [], ERASED],
    ["Pat O'Brien Lee and Brien Lee", ['Brien Lee'], [], `Pat O'Brien Lee and ${ERASED}`],
    ['Ann Leé and Ann Lee', ['Ann Lee'], [], `Ann Leé and ${ERASED}`],
  ])('%j less %j %j = %j', (text, values, exact, expected) => {
    expect(erase(text, values, { exact })).toBe(expected);
  });

  it('erases the HTML-escaped form of a name with an apostrophe, and not from inside another escaped name', () => {
    expect(erase(`<li>${escapeHtml("Pat O'Brien")} (pob)</li>`, ["Pat O'Brien"], { exact: ['pob'] })).toBe(
      `<li>${ERASED} (${ERASED})</li>`,
    );
    expect(erase(`<li>${escapeHtml("Jo O'Brien Lee")}</li>`, ['Brien Lee'])).toBe(
      `<li>${escapeHtml("Jo O'Brien Lee")}</li>`,
    );
  });

  it('matches a username exactly as stored, so that a greeting with the same first name stays', () => {
    expect(erase('Dear Ann,\n- Pat Lee (ann)', ['Pat Lee'], { exact: ['ann'] })).toBe(
      `Dear Ann,\n- ${ERASED} (${ERASED})`,
    );
  });

  it('never matches its own replacement again', () => {
    expect(erase('Sam Jones (account)', ['Sam Jones'], { exact: ['account'] })).toBe(`${ERASED} (${ERASED})`);
    expect(erase('Deleted Account', ['Deleted Account', 'Account'])).toBe(ERASED);
  });

  it('leaves what belongs to people who remain: occurrences inside their names, or equal to them', () => {
    const digest = '- Mary Ann Lee (mary): created\n- Ann Lee (annl): created';
    expect(erase(digest, ['Ann Lee'], { exact: ['annl'], keep: ['Mary Ann Lee', 'mary'] })).toBe(
      `- Mary Ann Lee (mary): created\n- ${ERASED} (${ERASED}): created`,
    );
    expect(erase(digest, ['Ann Lee'], { exact: ['annl'] })).toBe(
      `- Mary ${ERASED} (mary): created\n- ${ERASED} (${ERASED}): created`,
    );
    // The same address held by two accounts: in an email that names the one that remains, it is theirs.
    expect(erase('shared@x.gov.uk', ['shared@x.gov.uk'], { keep: ['SHARED@x.gov.uk'] })).toBe('shared@x.gov.uk');
  });

  it('ignores values shorter than two characters', () => {
    expect(erase('a b c', ['a', ' '])).toBe('a b c');
  });

  it('leaves no whole occurrence of any value, and changes nothing else (property)', () => {
    const word = fc.stringMatching(/^[A-Za-z][a-z']{0,6}$/);
    fc.assert(
      fc.property(
        fc.array(fc.oneof(word, fc.constantFrom(' ', ', ', '. ', '(', ')', '\n', '@', '.', '-')), { maxLength: 30 }),
        fc.array(word, { minLength: 1, maxLength: 3 }),
        (parts, values) => {
          const text = parts.join('');
          const out = erase(text, values);
          const forms = values.filter((v) => v.length >= 2);
          for (const v of forms) {
            // The texts are ASCII: the boundaries of src/domain/erasure.ts in ASCII terms.
            const re = new RegExp(
              `(?<![A-Za-z0-9_@.+'-])${v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9_@+-]|\\.[A-Za-z0-9_@+-])`,
              'i',
            );
            expect(out.replaceAll(ERASED, '#')).not.toMatch(re);
          }
          // Nothing else changed: the text is the output with each replacement put back as one of the values.
          const pieces = out.split(ERASED);
          const rebuilds = (i: number, at: number): boolean => {
            if (!text.startsWith(pieces[i]!, at)) return false;
            const next = at + pieces[i]!.length;
            if (i === pieces.length - 1) return next === text.length;
            return forms.some(
              (v) =>
                text.slice(next, next + v.length).toLowerCase() === v.toLowerCase() && rebuilds(i + 1, next + v.length),
            );
          };
          expect(rebuilds(0, 0)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('personalValues', () => {
  it('collects the names, addresses and phone numbers the person held before each change, newest change first', () => {
    const now = {
      username: 'sam',
      first_name: 'Samuel',
      last_name: 'Jones-Smith',
      email: 'sjs@camden.gov.uk',
      phone: null,
    };
    const changes = [
      { last_name: ['Jones', 'Jones-Smith'], email: ['sam.jones@camden.gov.uk', 'sjs@camden.gov.uk'] },
      { first_name: ['Sam', 'Samuel'], phone: ['07700 900461', null] },
    ];
    const { values, exact } = personalValues(now, changes);
    expect(new Set(values)).toEqual(
      new Set([
        'Samuel Jones-Smith',
        'sjs@camden.gov.uk',
        'Samuel Jones',
        'sam.jones@camden.gov.uk',
        'Sam Jones',
        '07700 900461',
      ]),
    );
    expect(exact).toEqual(['sam']);
  });
});
