import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../../src/domain/cursor.ts';

const forge = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
const ID = '3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b';

describe('API cursors (R56)', () => {
  it('give back the key they were made from', () => {
    expect(decodeCursor('users', encodeCursor('users', ["O'Brien", 'Zoë', ID]), ['text', 'text', 'uuid'])).toEqual([
      "O'Brien",
      'Zoë',
      ID,
    ]);
    expect(
      decodeCursor('audit', encodeCursor('audit', ['2026-12-01T10:00:00.123Z', '9223372036854775807']), [
        'instant',
        'bigint',
      ]),
    ).toEqual(['2026-12-01T10:00:00.123Z', '9223372036854775807']);
  });

  it.each([
    ['another list', forge(['audit', 'a', 'b', ID])],
    ['an id that is not a UUID', forge(['users', 'a', 'b', 'not-a-uuid'])],
    ['an id with SQL in it', forge(['users', 'a', 'b', `${ID}' OR '1'='1`])],
    ['a NUL byte in a name', forge(['users', 'a\u0000', 'b', ID])],
    ['a lone surrogate in a name', forge(['users', '\ud800', 'b', ID])],
    ['an over-long name', forge(['users', 'x'.repeat(201), 'b', ID])],
    ['a number where text belongs', forge(['users', 1, 'b', ID])],
    ['too few parts', forge(['users', 'a', ID])],
    ['not JSON', Buffer.from('{', 'utf8').toString('base64url')],
    ['not base64url', 'a+b/c='],
    ['too long', 'A'.repeat(601)],
  ])('refuse %s (users)', (_what, cursor) => {
    expect(decodeCursor('users', cursor, ['text', 'text', 'uuid'])).toBeUndefined();
  });

  it.each([
    ['a date that is not an instant', forge(['audit', 'yesterday', '1'])],
    ['an impossible date', forge(['audit', '2026-02-31T25:00:00Z', '1'])],
    ['an id past bigint', forge(['audit', '2026-12-01T10:00:00Z', '9223372036854775808'])],
    ['a negative id', forge(['audit', '2026-12-01T10:00:00Z', '-1'])],
  ])('refuse %s (audit)', (_what, cursor) => {
    expect(decodeCursor('audit', cursor, ['instant', 'bigint'])).toBeUndefined();
  });
});
