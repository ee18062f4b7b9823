import type { Actor } from '../domain/access.ts';
import { cannotGiveMessage, mayGive } from '../domain/cin-cla-agreement.ts';
import { PRIVILEGES, USER_TYPES, privilegeLabel, type Privilege } from '../domain/privileges.ts';

/**
 * The privileges a form offers for an account (support only for central accounts). One the
 * person filling it in may not give (R15–R16) is disabled, never offered and then refused; the
 * reason is `cannotGiveNote`, shown beside the group rather than as the item's hint, which GOV.UK
 * greys out with a disabled item. One the account already holds stays enabled, so that it can be
 * kept or removed.
 */
export function privilegeChoices(
  actor: Actor,
  isCentralAccount: boolean,
  held: readonly string[] = [],
): { code: Privilege; label: string; hint: string; disabled: boolean }[] {
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
          : '',
      disabled: !givable && !kept,
    };
  });
}

/** Why the disabled choices are disabled (R15), by their labels; empty when none is. */
export function cannotGiveNote(choices: readonly { code: Privilege; disabled: boolean }[]): string {
  const disabled = choices.filter((c) => c.disabled).map((c) => c.code);
  return disabled.length > 0 ? `${cannotGiveMessage(disabled)}.` : '';
}

/**
 * The Types of User a Create user form offers (central support only for the central
 * organisation). A type whose defaults include a privilege the creator may not give is disabled;
 * `reason` says why, for the group's hint (R15).
 */
export function userTypeChoices(
  actor: Actor,
  isCentral: boolean,
): {
  code: string;
  label: string;
  defaults: readonly Privilege[];
  hint: string;
  disabled: boolean;
  reason: string;
}[] {
  return USER_TYPES.filter((t) => (t.code === 'support') === isCentral).map((t) => {
    const notGivable = t.defaults.filter((p) => !mayGive(actor, p));
    const disabled = notGivable.length > 0;
    return {
      code: t.code,
      label: t.label,
      defaults: t.defaults,
      hint: disabled ? '' : `Privileges: ${t.defaults.map(privilegeLabel).join(', ')}`,
      disabled,
      reason: disabled
        ? `You cannot choose ${t.label} because you do not hold ${notGivable.length === 1 ? 'this privilege' : 'these privileges'} yourself: ${notGivable.map(privilegeLabel).join('; ')}.`
        : '',
    };
  });
}
