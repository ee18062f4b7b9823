import { ForbiddenError, NotFoundError } from './errors.ts';
import { OVERSIGHT_PRIVILEGES, type Privilege } from './privileges.ts';

/**
 * THE authorisation and tenant-scope table. Every service asks `decide` before it reads or
 * writes; routes never check privileges themselves. The web layer asks `can` only to decide
 * which links to show.
 */

export type Actor =
  | {
      readonly kind: 'account';
      readonly accountId: string;
      readonly organisationId: number;
      readonly organisationKind: 'la' | 'central';
      readonly privileges: ReadonlySet<Privilege>;
      readonly label: string;
    }
  | { readonly kind: 'system'; readonly label: string };

export type Scope =
  /** The actor's own account only. */
  | 'self'
  /** Accounts and data of the actor's own LA; central support reaches every LA (R4). */
  | 'own-la'
  /** Any LA, for contact details only (R5). */
  | 'any-la';

interface Rule {
  /** The actor needs one of these privileges; an empty list means any signed-in account. */
  readonly anyOf: readonly Privilege[];
  readonly scope: Scope;
  /** The actor may not do this to their own account (R29). */
  readonly notSelf?: boolean;
}

export const ACCESS_RULES = {
  'home.view': { anyOf: [], scope: 'self' },
  'my-account.view': { anyOf: [], scope: 'self' },
  'my-account.change-password': { anyOf: [], scope: 'self' },
  'my-account.communications': { anyOf: [], scope: 'self' },
  /** Add, see and remove one's own passkeys (R65). */
  'my-account.passkeys': { anyOf: [], scope: 'self' },
  'users.list': { anyOf: ['view_users', 'manage_users'], scope: 'own-la' },
  'users.list-contacts': { anyOf: ['view_users', 'manage_users'], scope: 'any-la' },
  'users.export': { anyOf: ['view_users', 'manage_users'], scope: 'own-la' },
  'users.view': { anyOf: ['view_users', 'manage_users'], scope: 'own-la' },
  'users.view-schools': { anyOf: ['view_users', 'manage_users'], scope: 'own-la' },
  'users.view-audit': { anyOf: ['manage_users'], scope: 'own-la' },
  'users.create': { anyOf: ['manage_users'], scope: 'own-la' },
  /** A new invitation link for an account that never set a password; the old link stops working (R9). */
  'users.resend-invitation': { anyOf: ['manage_users'], scope: 'own-la' },
  /** Bulk CSV import of accounts and of school assignments (R58, R26). */
  'users.import': { anyOf: ['manage_users'], scope: 'own-la' },
  'users.edit': { anyOf: ['manage_users'], scope: 'own-la' },
  'users.edit-schools': { anyOf: ['manage_users'], scope: 'own-la' },
  'users.edit-privileges': { anyOf: ['manage_users'], scope: 'own-la' },
  'users.archive': { anyOf: ['manage_users'], scope: 'own-la', notSelf: true },
  'users.delete': { anyOf: ['manage_users'], scope: 'own-la', notSelf: true },
  'users.restore': { anyOf: ['manage_users'], scope: 'own-la' },
  'users.reset-two-factor': { anyOf: ['nexus_admin'], scope: 'own-la' },
  'school-groups.manage': { anyOf: ['manage_school_groups'], scope: 'own-la' },
  'audit.view': { anyOf: ['manage_users'], scope: 'own-la' },
  /** R52: sign-in attempts to archived accounts, for those who answer for the LA's accounts. */
  'security-alerts.view': { anyOf: OVERSIGHT_PRIVILEGES, scope: 'own-la' },
  'lifecycle.view': { anyOf: ['manage_users'], scope: 'own-la' },
  'reviews.manage': { anyOf: ['manage_users'], scope: 'own-la' },
  'api-tokens.manage': { anyOf: ['manage_users'], scope: 'own-la' },
  /**
   * The LA's own OpenID Connect provider (R64): its administrators, for their LA only (another
   * LA's is not found). Central support may see and change any LA's, working in that LA (its LA
   * context), to help an LA set it up or turn it off when its provider fails; each is audited in
   * that LA's log.
   */
  'identity-provider.manage': { anyOf: ['manage_users'], scope: 'own-la' },
  'support.sent-email': { anyOf: ['support'], scope: 'own-la' },
  'support.topic-messages': { anyOf: ['support'], scope: 'own-la' },
  'support.school-imports': { anyOf: ['support'], scope: 'own-la' },
  /** The Local Authority central support is working in, kept across the pages (issue 13). */
  'support.la-context': { anyOf: ['support'], scope: 'own-la' },
  /**
   * The applications that sign people in through Nexus (R61): central support only, since an
   * application sees every LA's people that sign in to it. LAs cannot register applications.
   */
  'applications.manage': { anyOf: ['support'], scope: 'any-la' },
} as const satisfies Record<string, Rule>;

export type Action = keyof typeof ACCESS_RULES;

export interface Target {
  readonly organisationId?: number;
  readonly accountId?: string;
}

/**
 * - `allow`
 * - `forbidden`: the actor lacks the privilege (403)
 * - `not-found`: the target lies outside the actor's scope; answering 404 does not reveal that
 *   another LA's account exists (R4)
 */
export type Decision = 'allow' | 'forbidden' | 'not-found';

export function isCentralSupport(actor: Actor): boolean {
  return actor.kind === 'account' && actor.organisationKind === 'central' && actor.privileges.has('support');
}

export function decide(actor: Actor, action: Action, target: Target = {}): Decision {
  if (actor.kind === 'system') return 'allow';
  const rule: Rule = ACCESS_RULES[action];
  const support = isCentralSupport(actor);
  // The support privilege counts only in the central organisation, whatever an LA account holds.
  const hasPrivilege =
    rule.anyOf.length === 0 || support || rule.anyOf.some((p) => p !== 'support' && actor.privileges.has(p));
  if (!hasPrivilege) return 'forbidden';
  switch (rule.scope) {
    case 'self':
      if (target.accountId !== undefined && target.accountId !== actor.accountId) return 'not-found';
      break;
    case 'own-la':
      if (!support && target.organisationId !== undefined && target.organisationId !== actor.organisationId)
        return 'not-found';
      break;
    case 'any-la':
      break;
  }
  if (rule.notSelf && target.accountId === actor.accountId) return 'forbidden';
  return 'allow';
}

export function can(actor: Actor, action: Action, target: Target = {}): boolean {
  return decide(actor, action, target) === 'allow';
}

/**
 * Central support reading an LA other than its own (issue 11): such a read is audited in that
 * LA's log, so that the LA can see who outside it looked at its people (R50).
 */
export function isSupportReadOfOtherLa(actor: Actor, organisationId: number): boolean {
  return actor.kind === 'account' && isCentralSupport(actor) && actor.organisationId !== organisationId;
}

/** R15: nobody grants a privilege they do not hold; central support and the system hold every one. */
export function mayGrant(actor: Actor, privilege: Privilege): boolean {
  return actor.kind === 'system' || isCentralSupport(actor) || actor.privileges.has(privilege);
}

/** Throws the HTTP-shaped error for a decision of the table: 404 out of scope, 403 no privilege. */
export function authorise(actor: Actor, action: Action, target: Target = {}): void {
  const decision = decide(actor, action, target);
  if (decision === 'not-found') throw new NotFoundError();
  if (decision === 'forbidden') throw new ForbiddenError();
}
