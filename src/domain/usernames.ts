/** Username rules of R7: 3–64 characters of a-z 0-9 . _ - @, compared case-insensitively. */
export const USERNAME_PATTERN = /^[a-z0-9._@-]{3,64}$/;
export const MIN_USERNAME_LENGTH = 3;
export const MAX_USERNAME_LENGTH = 64;

/** The stored and compared form: surrounding spaces removed, letters in lower case. */
export function normaliseUsername(input: string): string {
  return input.trim().toLowerCase();
}

export function usernameProblem(input: string): string | undefined {
  const trimmed = input.trim();
  if (trimmed.length === 0) return 'Enter a username';
  if (trimmed.length < MIN_USERNAME_LENGTH) return `Username must be ${MIN_USERNAME_LENGTH} characters or more`;
  if (trimmed.length > MAX_USERNAME_LENGTH) return `Username must be ${MAX_USERNAME_LENGTH} characters or fewer`;
  // Checked before case folding: some non-ASCII letters lower-case to ASCII (the Kelvin sign "K"
  // becomes "k"), and a username that only looks like an allowed one must not be accepted.
  if (!/^[a-z0-9._@-]+$/i.test(trimmed))
    return 'Username must only include letters a to z, numbers, full stops, underscores, hyphens and @';
  return undefined;
}
