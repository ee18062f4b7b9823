import { readableKey } from './audit-values.ts';

/** Plain-English names for audit actions (R50), for the audit pages and exports. */
const LABELS: Record<string, string> = {
  'account.created': 'Account created',
  'api-token.created': 'API token created',
  'api-token.revoked': 'API token revoked',
  'api-token.used': 'API token used',
  'identity-provider.configured': 'LA sign-in provider set up',
  'identity-provider.changed': 'LA sign-in provider changed',
  'identity-provider.tested': 'LA sign-in provider connection tested',
  'oidc.signing-key-rotated': 'Single sign-on signing key rotated',
  'application.registered': 'Application registered for single sign-on',
  'application.secret-rotated': 'Application secret replaced',
  'application.disabled': 'Application disabled',
  'application.enabled': 'Application enabled again',
  'application.backchannel-logout-failed': 'Application not told of a sign-out',
  'account.details-changed': 'Details changed',
  'account.privileges-changed': 'Privileges changed',
  'account.school-added': 'School added',
  'account.school-removed': 'School removed',
  'account.schools-replaced': 'Schools replaced',
  'accounts.imported': 'Accounts imported from a CSV file',
  'users.exported': 'Users exported as a CSV file',
  'support.read': 'Viewed by central support',
  'audit.exported': 'Audit log exported as a CSV file',
  'school-assignments.imported': 'School assignments imported from a CSV file',
  'account.archived': 'Account archived',
  'account.restored': 'Account restored',
  'account.deleted': 'Account deleted',
  'account.deprovisioned': 'Deleted by the identity system (kept archived)',
  'account.reprovisioned': 'Provisioned again by the identity system (re-hire)',
  'invitation.sent': 'Invitation sent',
  'invitation.resent': 'Invitation sent again',
  'invitation.accepted': 'Invitation accepted',
  'password-reset.requested': 'Password reset requested',
  'password-reset.refused': 'Password reset refused',
  'password-reset.completed': 'Password reset',
  'password.changed': 'Password changed',
  'password.change-refused': 'Password change refused',
  'two-factor.enrolled': 'Two-factor authentication set up',
  'two-factor.reset': 'Two-factor authentication reset',
  'passkey.added': 'Passkey added',
  'passkey.removed': 'Passkey removed',
  'passkey-sign-in.changed': 'Passkey sign-in setting changed',
  'sign-in.password-accepted': 'Password accepted',
  'sign-in.succeeded': 'Signed in',
  'sign-in.failed': 'Sign-in failed',
  'sign-in.throttled': 'Sign-in refused: too many attempts',
  'sign-in.archived-account': 'Sign-in attempt on an archived account',
  'sign-in.la-account-started': 'Sent to the LA’s sign-in',
  'sign-in.la-account-accepted': 'LA account accepted',
  'sign-in.la-account-refused': 'Refused by the LA’s sign-in',
  'sign-in.la-account-recheck-failed': 'Signed out: the LA’s sign-in no longer confirms the person',
  'sign-out': 'Signed out',
  'communications.changed': 'Communication preferences changed',
  'communications.sent': 'Message sent to subscribers',
  'email.failed': 'Email not delivered',
  'school-group.created': 'School group created',
  'school-group.changed': 'School group changed',
  'school-group.deleted': 'School group deleted',
  'review.opened': 'Access review opened',
  'review.item-decided': 'Access review decision',
  'review.finished': 'Access review finished',
  'schools.imported': 'Schools imported from GIAS',
  'lifecycle.warning-sent': 'Inactivity warning sent',
  'lifecycle.admin-alert': 'Alert sent about an administrator due to be archived, or archived',
};

/** The action's name; an action without one reads as its code in words ("invitation.resent" → "Invitation resent"). */
export function auditActionLabel(action: string): string {
  return LABELS[action] ?? readableKey(action);
}

/** Actions that have a name of their own (the rest fall back to their code in words). */
export function hasActionLabel(action: string): boolean {
  return action in LABELS;
}
