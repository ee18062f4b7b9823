import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';

/**
 * Password rules of R51 (NIST SP 800-63B): at least 12 characters, at most 256, no composition
 * rules, refused when a strength estimator with a common-password dictionary rates it weak.
 */
export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;
const MIN_SCORE = 3;

let estimator: ZxcvbnFactory | undefined;
function strength(): ZxcvbnFactory {
  estimator ??= new ZxcvbnFactory({ dictionary: { ...common.dictionary }, graphs: common.adjacencyGraphs });
  return estimator;
}

/** An error message for the password field, or undefined when the password is acceptable. */
export function passwordProblem(password: string, context: readonly string[] = []): string | undefined {
  if (password.length === 0) return 'Enter a password';
  if ([...password].length < MIN_PASSWORD_LENGTH) return `Password must be ${MIN_PASSWORD_LENGTH} characters or more`;
  if (password.length > MAX_PASSWORD_LENGTH) return `Password must be ${MAX_PASSWORD_LENGTH} characters or fewer`;
  const result = strength().check(password.slice(0, 100), context.filter((c) => c.length > 0));
  if (result.score < MIN_SCORE) {
    return 'Choose a password that is harder to guess: avoid common words, names, dates and repeated patterns. A few unrelated words work well.';
  }
  return undefined;
}
