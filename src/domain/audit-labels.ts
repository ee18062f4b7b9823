import { isPrivilege, isUserType, privilegeLabel, userTypeLabel } from './privileges.ts';

/** Plain-English names for audit actions (R50), for the audit pages and exports. */
const LABELS: Record<string, string> = {
  'account.created': 'Account created',
  'api-token.created': 'API token created',
  'api-token.revoked': 'API token revoked',
  'api-token.used': 'API token used',
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
  'invitation.sent': 'Invitation sent',
  'invitation.accepted': 'Invitation accepted',
  'password-reset.requested': 'Password reset requested',
  'password-reset.refused': 'Password reset refused',
  'password-reset.completed': 'Password reset',
  'password.changed': 'Password changed',
  'password.change-refused': 'Password change refused',
  'two-factor.enrolled': 'Two-factor authentication set up',
  'two-factor.reset': 'Two-factor authentication reset',
  'sign-in.password-accepted': 'Password accepted',
  'sign-in.succeeded': 'Signed in',
  'sign-in.failed': 'Sign-in failed',
  'sign-in.throttled': 'Sign-in refused: too many attempts',
  'sign-in.archived-account': 'Sign-in attempt on an archived account',
  'sign-out': 'Signed out',
  'communications.changed': 'Communication preferences changed',
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

export function auditActionLabel(action: string): string {
  return LABELS[action] ?? action;
}

/** Catalogue codes read better as their names ("LA Officer / Analyst", not "la_officer"). */
function named(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  if (isUserType(value)) return userTypeLabel(value);
  if (isPrivilege(value)) return privilegeLabel(value);
  return value;
}

const CATALOGUE_KEYS = new Set(['userType', 'user_type', 'privileges', 'added', 'removed']);

/** "field: before → after" lines for the details of an event. */
export function auditDetailLines(details: Record<string, unknown>): string[] {
  const lines: string[] = [];
  const show = (raw: unknown, key = ''): string => {
    const name = CATALOGUE_KEYS.has(key) ? named : (x: unknown) => x;
    const v = Array.isArray(raw) ? raw.map(name) : name(raw);
    return v === null || v === undefined || v === ''
      ? '(none)'
      : Array.isArray(v)
        ? v.join(', ') || '(none)'
        : typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'
          ? String(v)
          : JSON.stringify(v);
  };
  for (const [key, value] of Object.entries(details)) {
    if (key === 'changes' && value && typeof value === 'object') {
      for (const [field, pair] of Object.entries(value as Record<string, unknown>)) {
        if (Array.isArray(pair) && pair.length === 2)
          lines.push(`${field}: ${show(pair[0], field)} → ${show(pair[1], field)}`);
      }
    } else if (Array.isArray(value) && value.length === 2 && key !== 'added' && key !== 'removed') {
      lines.push(`${key}: ${show(value[0], key)} → ${show(value[1], key)}`);
    } else {
      lines.push(`${key}: ${show(value, key)}`);
    }
  }
  return lines;
}
