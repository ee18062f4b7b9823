import { mayGrant, type Actor } from '../domain/access.ts';
import { PRIVILEGES } from '../domain/privileges.ts';

/**
 * The privileges a form offers for an account (support only for central accounts), each hint
 * saying when the person filling it in may not give it (R15, decided by the access table).
 */
export function privilegeChoices(
  actor: Actor,
  isCentralAccount: boolean,
): { code: string; label: string; hint: string }[] {
  return PRIVILEGES.filter((p) => isCentralAccount || p.code !== 'support').map((p) => ({
    code: p.code,
    label: p.label,
    hint: mayGrant(actor, p.code) ? p.hint : `${p.hint}. You do not hold this privilege, so you cannot give it.`,
  }));
}
