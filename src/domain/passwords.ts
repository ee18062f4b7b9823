import { createRequire } from 'node:module';
import type { ZxcvbnFactory } from '@zxcvbn-ts/core';

/**
 * Password rules of R51 (NIST SP 800-63B): at least 12 characters, at most 256, no composition
 * rules, refused when a strength estimator with a common-password dictionary rates it weak.
 */
export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;
const MIN_SCORE = 3;

let estimator: ZxcvbnFactory | undefined;
/**
 * The estimator and its dictionaries (about 13 MiB) are loaded when a password is first judged,
 * not at start: the idle server does not need them (issue 11's idle-memory target). Loaded with
 * `require` (their CommonJS build) so that this rule stays synchronous.
 */
function strength(): ZxcvbnFactory {
  if (!estimator) {
    const require = createRequire(import.meta.url);
    const { ZxcvbnFactory: Factory } = require('@zxcvbn-ts/core') as typeof import('@zxcvbn-ts/core');
    const common = require('@zxcvbn-ts/language-common') as typeof import('@zxcvbn-ts/language-common');
    estimator = new Factory({ dictionary: { ...common.dictionary }, graphs: common.adjacencyGraphs });
  }
  return estimator;
}

/**
 * Words about the account (username, names, email) that make a password easy to guess for
 * someone who knows whose it is: each value whole and in lower case, and its parts of three or
 * more letters or digits ("jo.bloggs@camden.gov.uk" also gives "bloggs" and "camden").
 */
export function contextWords(context: readonly string[]): string[] {
  const words = new Set<string>();
  for (const value of context) {
    const whole = value.trim().toLowerCase();
    if (!whole) continue;
    words.add(whole);
    for (const part of whole.split(/[^\p{L}\p{N}]+/u)) if (part.length >= 3) words.add(part);
  }
  return [...words];
}

/**
 * An error message for the password field, or undefined when the password is acceptable.
 * `context`: words about the account (see contextWords), which count as easy to guess.
 */
export function passwordProblem(password: string, context: readonly string[] = []): string | undefined {
  if (password.length === 0) return 'Enter a password';
  if ([...password].length < MIN_PASSWORD_LENGTH) return `Password must be ${MIN_PASSWORD_LENGTH} characters or more`;
  if (password.length > MAX_PASSWORD_LENGTH) return `Password must be ${MAX_PASSWORD_LENGTH} characters or fewer`;
  // The estimator's cost grows with length; the first 100 characters are plenty to judge by.
  const result = strength().check(password.slice(0, 100), contextWords(context));
  if (result.score < MIN_SCORE) {
    return 'Choose a password that is harder to guess: avoid common words, names, dates and repeated patterns. A few unrelated words work well.';
  }
  return undefined;
}
