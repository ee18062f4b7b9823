import { hash, verify } from '@node-rs/argon2';

/** Argon2id in @node-rs/argon2's `Algorithm` const enum, which isolated modules cannot import. */
const ARGON2ID = 2;

/** argon2id with the OWASP parameters (m=19456 KiB, t=2, p=1). */
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

/**
 * A hash of a password nobody knows. Unknown usernames and accounts without a password are
 * verified against it, so every failure costs one argon2id verification (R53).
 */
let dummy: Promise<string> | undefined;
export function dummyHash(): Promise<string> {
  dummy ??= hash(`no-such-account-${Math.random()}`, OPTIONS);
  return dummy;
}
