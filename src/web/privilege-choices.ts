import type { Actor } from '../domain/access.ts';
import { CANNOT_GIVE_HINT, mayGive } from '../domain/cin-cla-agreement.ts';
import { PRIVILEGES, USER_TYPES, privilegeLabel } from '../domain/privileges.ts';

/**
 * The privileges a form offers for an account (support only for central accounts). One the
 * person filling it in may not give (R15–R16) is disabled with the reason, never offered and then
 * refused; one the account already holds stays enabled, so that it can be kept or removed.
 */
export function privilegeChoices(
  actor: Actor,
  isCentralAccount: boolean,
  held: readonly string[] = [],
): { code: string; label: string; hint: string; disabled: boolean }[] {
  return PRIVILEGES.filter((p) => isCentralAccount || p.code !== 'support').map((p) => {
    const givable = mayGive(actor, p.code);
    const kept = !givable && held.includes(p.code);
    return {
      code: p.code,
      label: p.label,
      hint: givable
        ? p.hint
        : kept
          ? `${p.hint}. You do not hold this privilege yourself: you can remove it, but not give it back.`
          : `${p.hint}. ${CANNOT_GIVE_HINT}`,
      disabled: !givable && !kept,
    };
  });
}

/**
 * The Types of User a Create user form offers (central support only for the central
 * organisation): a type whose defaults include a privilege the creator may not give is disabled
 * with the reason (R15).
 */
export function userTypeChoices(
  actor: Actor,
  isCentral: boolean,
): {
  code: string;
  label: string;
  defaults: readonly string[];
  defaultsText: string;
  disabled: boolean;
  hint: string;
}[] {
  return USER_TYPES.filter((t) => (t.code === 'support') === isCentral).map((t) => {
    const notGivable = t.defaults.filter((p) => !mayGive(actor, p));
    const defaultsText = t.defaults.map(privilegeLabel).join(', ');
    return {
      code: t.code,
      label: t.label,
      defaults: t.defaults,
      defaultsText,
      disabled: notGivable.length > 0,
      hint:
        notGivable.length > 0
          ? `Privileges: ${defaultsText}. You cannot choose this type because you do not hold ${notGivable.length === 1 ? 'this privilege' : 'these privileges'} yourself: ${notGivable.map(privilegeLabel).join('; ')}.`
          : `Privileges: ${defaultsText}`,
    };
  });
}
