export type AccountStatus = 'active' | 'archived';

export const ARCHIVE_REASONS = ['manual', 'inactivity', 'access-ended', 'provisioning'] as const;
export type ArchiveReason = (typeof ARCHIVE_REASONS)[number];

/**
 * How each archive reason is named, by where it is shown — one table, so that the pages, the
 * digest and the exports cannot drift apart. `label`: a column value (Archived users);
 * `cause`: after "Archived: " on the user page; `sentence`: the digest's "… archived by …".
 */
export const ARCHIVE_REASON_TEXT: Record<ArchiveReason, { label: string; cause: string; sentence: string }> = {
  manual: {
    label: 'Manual',
    cause: 'archived by an administrator',
    sentence: 'archived by an administrator',
  },
  inactivity: {
    label: 'Inactivity',
    cause: 'not signed in',
    sentence: 'archived for inactivity',
  },
  'access-ended': {
    label: 'Access ended',
    cause: 'access end date reached',
    sentence: 'archived when access ended',
  },
  provisioning: {
    label: 'Provisioning',
    cause: 'deprovisioned by the identity system',
    sentence: 'archived by provisioning (the identity system)',
  },
};

/**
 * The state an account's tag shows, most urgent first: archived, then warned (it will be archived
 * unless its holder signs in), then invited (it has never had a password: the invitation was not
 * taken up), else active.
 */
export type AccountState = 'active' | 'invited' | 'warned' | 'archived';

export function accountState(a: { status: AccountStatus; hasPassword: boolean; warned: boolean }): AccountState {
  if (a.status === 'archived') return 'archived';
  if (a.warned) return 'warned';
  return a.hasPassword ? 'active' : 'invited';
}
