/** Username rules of R7: 3–64 characters of a-z 0-9 . _ - @, compared case-insensitively. */
export const USERNAME_PATTERN = /^[a-z0-9._@-]{3,64}$/;

export function normaliseUsername(input: string): string {
  return input.trim().toLowerCase();
}

export function usernameProblem(input: string): string | undefined {
  const value = normaliseUsername(input);
  if (value.length === 0) return 'Enter a username';
  if (value.length < 3) return 'Username must be 3 characters or more';
  if (value.length > 64) return 'Username must be 64 characters or fewer';
  if (!USERNAME_PATTERN.test(value)) return 'Username must only include letters a to z, numbers, full stops, underscores, hyphens and @';
  return undefined;
}
