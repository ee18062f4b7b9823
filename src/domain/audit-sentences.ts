import { ARCHIVE_REASONS, ARCHIVE_REASON_TEXT, type ArchiveReason } from './account-status.ts';
import { DECISION_LABELS, DECISIONS, type Decision } from './access-reviews.ts';
import { auditActionLabel } from './audit-labels.ts';
import {
  capitalise,
  changeText,
  otherLines,
  changeLines,
  dateText,
  fieldName,
  fieldText,
  formOrder,
  readableKey,
  schoolAssignmentText,
  valueText,
  type AuditContext,
} from './audit-values.ts';
import { IDENTIFYING_CLAIM_TEXT, SIGN_IN_MODE_TEXT } from './identity-providers.ts';
import { isWarningStage, warningName } from './lifecycle.ts';

/** An audit event in words (R50): its action's name, one sentence, and what changed, a line each. */
export interface AuditDescription {
  readonly label: string;
  readonly sentence: string;
  readonly lines: readonly string[];
}

type Details = Record<string, unknown>;

interface Described {
  sentence: string;
  lines?: string[];
  /** Keys of the details the sentence and lines say; the others are listed as "Key: value". */
  used?: string[];
}

type Describer = (d: Details, ctx: AuditContext) => Described;

const str = (d: Details, key: string): string | undefined =>
  typeof d[key] === 'string' && d[key] !== '' ? d[key] : undefined;
const num = (d: Details, key: string): number | undefined => (typeof d[key] === 'number' ? d[key] : undefined);
const obj = (value: unknown): Details | undefined =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Details) : undefined;
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const pair = (value: unknown): [unknown, unknown] | undefined =>
  Array.isArray(value) && value.length === 2 ? [value[0], value[1]] : undefined;

/** "; the link expires on 11 December 2026 at 10:00am" (a link's hours matter), or nothing for a missing or unreadable time. */
function expiry(d: Details, ctx: AuditContext, words: string): string {
  const at = typeof d.expiresAt === 'string' ? new Date(d.expiresAt) : undefined;
  return at && !Number.isNaN(at.getTime()) ? `${words}${ctx.dateTime(at)}` : '';
}

/** "4 December 2026 at 10:00am" for an ISO instant; undefined for anything else. */
function instantText(value: unknown, ctx: AuditContext): string | undefined {
  const at = typeof value === 'string' ? new Date(value) : undefined;
  return at && !Number.isNaN(at.getTime()) ? ctx.dateTime(at) : undefined;
}

/** "1 account", "3 accounts". */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n.toLocaleString('en-GB')} ${n === 1 ? singular : plural}`;
}

/** "a", "a and b", "a, b and c". */
function andList(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** "Job title" → "job title", but "ID" stays "ID". */
const lowerFirst = (text: string): string =>
  /^[A-Z][a-z]/.test(text) ? text.charAt(0).toLowerCase() + text.slice(1) : text;
const quoted = (text: string | undefined): string => (text ? `“${text}”` : 'unnamed');
const labels = (codes: unknown, ctx: AuditContext): string[] => list(codes).map((c) => valueText(c, ctx));
const isReason = (value: unknown): value is ArchiveReason =>
  typeof value === 'string' && (ARCHIVE_REASONS as readonly string[]).includes(value);

/** Extra keys several writers add: the access review a change was made in, and who agreed CiN/CLA access (R16). */
function sharedLines(d: Details, ctx: AuditContext, said: readonly string[]): { lines: string[]; used: string[] } {
  const lines: string[] = [];
  const used: string[] = [];
  const review = obj(d.review);
  if (review && !said.includes('review')) {
    lines.push(`Made in the access review ${quoted(typeof review.name === 'string' ? review.name : undefined)}`);
    used.push('review');
  }
  const by = str(d, 'cinClaAgreedBy');
  if (by) {
    const role = str(d, 'cinClaAgreedRole');
    const on = dateText(d.cinClaAgreedOn, ctx);
    lines.push(`Access to CiN and CLA information agreed by ${by}${role ? ` (${role})` : ''}${on ? ` on ${on}` : ''}`);
    used.push('cinClaAgreedBy', 'cinClaAgreedRole', 'cinClaAgreedOn');
  }
  return { lines, used };
}

/** The schools of a replacement, by URN (or school id): added, removed and with a new role. */
function schoolChanges(before: unknown[], after: unknown[], ctx: AuditContext) {
  const key = (s: Details): string => {
    const id = typeof s.schoolId === 'number' ? ctx.schoolsById.get(s.schoolId)?.urn : undefined;
    return String(typeof s.urn === 'number' ? s.urn : (id ?? `id:${String(s.schoolId)}`));
  };
  const was = new Map(
    before
      .map(obj)
      .filter((s) => s !== undefined)
      .map((s) => [key(s), s] as const),
  );
  const now = new Map(
    after
      .map(obj)
      .filter((s) => s !== undefined)
      .map((s) => [key(s), s] as const),
  );
  const added = [...now].filter(([k]) => !was.has(k)).map(([, s]) => schoolAssignmentText(s, ctx));
  const removed = [...was].filter(([k]) => !now.has(k)).map(([, s]) => schoolAssignmentText(s, ctx));
  const roles = [...now]
    .filter(([k, s]) => was.has(k) && was.get(k)!.role !== s.role)
    .map(
      ([k, s]) =>
        `${schoolAssignmentText({ ...s, role: undefined }, ctx)}: ${changeText(was.get(k)!.role, s.role, ctx)}`,
    );
  return { added, removed, roles, total: now.size };
}

const SIGN_IN_FAILURES: Record<string, string> = {
  'unknown-username': 'no account has this username',
  'wrong-password': 'the password was not correct',
  'wrong-code': 'the two-factor code was not correct',
  'reused-code': 'the two-factor code had already been used',
  'passkey-refused': 'the passkey was not accepted',
  'passkey-unknown': 'the passkey is not one of any account',
  'passkey-challenge-expired': 'the sign-in page had expired or its passkey challenge was not genuine',
  'passkey-challenge-reused': 'the passkey answer had already been used',
  'passkey-sign-in-not-allowed': 'the Local Authority does not allow signing in with a passkey alone',
  'passkey-sign-in-la-account-required': 'the Local Authority requires its LA account for sign-in',
  'la-account-required': 'the Local Authority requires its staff to sign in with their LA account',
  'la-account-no-transaction':
    'the answer from the LA’s sign-in matched no sign-in in progress (expired, used already, or from another browser)',
  'la-account-unreachable': 'the LA’s sign-in could not be reached',
  'la-account-not-linked': 'the LA account is linked to no account of the LA',
  'la-account-ambiguous-email': 'more than one account of the LA has the LA account’s email address',
  'la-account-no-claim': 'the LA’s sign-in did not send the claim that identifies the person',
  'la-account-unverified-email': 'the LA’s sign-in said the email address is not verified',
  'la-account-subject-changed':
    'the LA’s sign-in named a different person (another sub) from the one linked to this account',
  'la-account-token-invalid_grant': 'the LA’s sign-in refused the code (used already, or not issued to this service)',
  throttled: 'too many attempts',
};

/** Why an answer of an LA's sign-in was not accepted, in words (openid-client's check codes and OAuth errors). */
function laAccountFailure(reason: string): string | undefined {
  if (!reason.startsWith('la-account-')) return undefined;
  if (
    reason.startsWith('la-account-OAUTH_') ||
    reason.startsWith('la-account-error-') ||
    reason.startsWith('la-account-token-')
  )
    return `the answer of the LA’s sign-in did not pass its checks (${reason.slice('la-account-'.length)})`;
  return undefined;
}

const RESET_REFUSALS: Record<string, string> = {
  'unknown-username': 'no account has this username',
  'no-password-yet': 'the account has no password yet (its invitation has not been accepted)',
  'account-archived': 'the account is archived',
};

/** An LA sign-in provider's settings (R64), in the order and words of its page. */
const PROVIDER_SETTINGS: readonly (readonly [string, string])[] = [
  ['issuer', 'Issuer URL'],
  ['clientId', 'Client ID'],
  ['claim', 'Claim that identifies a person'],
  ['mfaAcr', 'acr value that means multi-factor authentication'],
  ['signIn', 'Sign-in with the LA account'],
  ['breakGlass', 'Break-glass accounts'],
  ['archiveOnRefusal', 'Archive at once when the provider refuses someone'],
];

function providerSettingText(key: string, value: unknown): string {
  if (key === 'claim' && typeof value === 'string' && value in IDENTIFYING_CLAIM_TEXT)
    return IDENTIFYING_CLAIM_TEXT[value as keyof typeof IDENTIFYING_CLAIM_TEXT].label;
  if (key === 'signIn' && typeof value === 'string' && value in SIGN_IN_MODE_TEXT)
    return SIGN_IN_MODE_TEXT[value as keyof typeof SIGN_IN_MODE_TEXT].short;
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (Array.isArray(value)) return value.length ? value.map((v) => providerSettingText(key, v)).join(', ') : '(none)';
  return typeof value === 'string' && value ? value : '(none)';
}

/** One line per setting the details hold: a value, or a `[before, after]` pair under `changes`. */
function providerSettingLines(d: Details, ctx: AuditContext, changed: boolean): string[] {
  const source = changed ? (obj(d.changes) ?? {}) : d;
  const lines = PROVIDER_SETTINGS.filter(([key]) => key in source).map(([key, name]) => {
    const change = changed ? pair(source[key]) : undefined;
    return change
      ? `${name}: ${providerSettingText(key, change[0])} → ${providerSettingText(key, change[1])}`
      : `${name}: ${providerSettingText(key, source[key])}`;
  });
  if (!changed) return lines;
  const others = Object.fromEntries(
    Object.entries(source).filter(([key]) => !PROVIDER_SETTINGS.some(([known]) => known === key)),
  );
  return [...lines, ...changeLines(others, ctx)];
}

const READS: Record<string, string> = { events: 'event', accounts: 'account', page: 'page' };

const DESCRIBERS: Record<string, Describer> = {
  'account.created': (d, ctx) => {
    const after = obj(d.after) ?? {};
    const name = [after.firstName, after.lastName].filter((x) => typeof x === 'string' && x).join(' ');
    const file = obj(d.import);
    const lines = ['email', 'jobTitle', 'phone', 'privileges']
      .filter((k) => after[k] !== undefined && after[k] !== '' && after[k] !== null)
      .map(
        (k) =>
          `${fieldName(k)}: ${k === 'privileges' ? labels(after[k], ctx).join(', ') || '(none)' : valueText(after[k], ctx, k)}`,
      );
    if (d.schools !== undefined)
      lines.push(
        `Schools: ${
          list(d.schools)
            .map((s) => valueText(s, ctx))
            .join('; ') || '(none)'
        }`,
      );
    if (d.schoolGroups !== undefined) lines.push(`School groups: ${fieldText('schoolGroups', d.schoolGroups, ctx)}`);
    if (d.accessEndDate !== undefined) lines.push(`Access end date: ${valueText(d.accessEndDate, ctx)}`);
    if (file)
      lines.push(
        `Imported from the file ${quoted(typeof file.file === 'string' ? file.file : undefined)}${typeof file.line === 'number' ? `, line ${file.line}` : ''}`,
      );
    const type = typeof after.userType === 'string' ? ` as ${valueText(after.userType, ctx)}` : '';
    const who = name ? `${name}${typeof after.username === 'string' ? ` (${after.username})` : ''}` : 'a new account';
    return {
      sentence: `Account created for ${who}${type}; an invitation was sent.`,
      lines,
      used: ['after', 'import', 'schools', 'schoolGroups', 'accessEndDate'],
    };
  },

  'account.details-changed': (d, ctx) => {
    const changes = obj(d.changes) ?? {};
    const fields = formOrder(Object.keys(changes)).map((f) => lowerFirst(fieldName(f)));
    return {
      sentence: fields.length ? `Changed: ${andList(fields)}.` : 'Details saved with no change.',
      lines: changeLines(changes, ctx),
      used: ['changes'],
    };
  },

  'account.privileges-changed': (d, ctx) => {
    const type = pair(d.userType);
    const added = labels(d.added, ctx);
    const removed = labels(d.removed, ctx);
    const lines: string[] = [];
    const parts: string[] = [];
    if (type && type[0] !== type[1]) {
      lines.push(`Type of User: ${changeText(type[0], type[1], ctx)}`);
      parts.push(`Type of User changed to ${valueText(type[1], ctx)}`);
    }
    if (added.length) {
      lines.push(`Added: ${added.join('; ')}`);
      parts.push(`${count(added.length, 'privilege')} added`);
    }
    if (removed.length) {
      lines.push(`Removed: ${removed.join('; ')}`);
      parts.push(`${count(removed.length, 'privilege')} removed`);
    }
    const held = pair(d.privileges);
    if (held) lines.push(`Privileges now: ${labels(held[1], ctx).join('; ') || '(none)'}`);
    return {
      sentence: parts.length ? `${capitalise(andList(parts))}.` : 'Privileges saved with no change.',
      lines,
      used: ['userType', 'added', 'removed', 'privileges'],
    };
  },

  'account.school-added': (d, ctx) => {
    const school = schoolAssignmentText(obj(d.school) ?? {}, ctx);
    const role = pair(d.role);
    return {
      sentence:
        role && role[0]
          ? `Role at ${school} changed from ${valueText(role[0], ctx)} to ${valueText(role[1], ctx)}.`
          : `Added to ${school}${role ? ` as ${valueText(role[1], ctx)}` : ''}.`,
      used: ['school', 'role'],
    };
  },

  'account.school-removed': (d, ctx) => {
    const role = pair(d.role);
    return {
      sentence: `Removed from ${schoolAssignmentText(obj(d.school) ?? {}, ctx)}${role?.[0] ? `, where the role was ${valueText(role[0], ctx)}` : ''}.`,
      used: ['school', 'role'],
    };
  },

  'account.schools-replaced': (d, ctx) => {
    const { added, removed, roles, total } = schoolChanges(list(d.before), list(d.after), ctx);
    const file = obj(d.import);
    const parts = [
      added.length ? `${count(added.length, 'school')} added` : '',
      removed.length ? `${count(removed.length, 'school')} removed` : '',
      roles.length ? `${count(roles.length, 'role')} changed` : '',
    ].filter(Boolean);
    const lines = [
      ...added.map((s) => `Added: ${s}`),
      ...removed.map((s) => `Removed: ${s}`),
      ...roles.map((s) => `Role changed at ${s}`),
    ];
    if (file) lines.push(`From the file ${quoted(typeof file.file === 'string' ? file.file : undefined)}`);
    return {
      sentence: `Schools replaced: ${parts.length ? andList(parts) : 'no change'}; ${count(total, 'school')} now.`,
      lines,
      used: ['before', 'after', 'import'],
    };
  },

  'account.archived': (d, ctx) => {
    const reason = isReason(d.reason) ? ARCHIVE_REASON_TEXT[d.reason].sentence : 'archived';
    const lines: string[] = [];
    if (typeof d.sessionsEnded === 'number') lines.push(`Sessions ended: ${d.sessionsEnded}`);
    if (typeof d.apiTokensRevoked === 'number') lines.push(`API tokens revoked: ${d.apiTokensRevoked}`);
    // The day the nightly job deletes it, as Archived users and the user page say, not the
    // retention's end (which may fall after that night's run, so a day earlier).
    const dueAt = typeof d.deletionDueAt === 'string' ? new Date(d.deletionDueAt) : undefined;
    const due =
      dueAt && !Number.isNaN(dueAt.getTime()) && ctx.jobRunFor
        ? ctx.date(ctx.jobRunFor(dueAt))
        : dateText(d.deletionDueAt, ctx);
    return {
      sentence: `Account ${reason}${due ? `; it will be deleted on ${due} unless restored` : ''}.`,
      lines,
      used: ['reason', 'status', 'deletionDueAt', 'sessionsEnded', 'apiTokensRevoked'],
    };
  },

  'account.restored': (d, ctx) => {
    const lines: string[] = [];
    const end = pair(d.accessEndDate);
    if (end) lines.push(`Access end date: ${changeText(end[0], end[1], ctx)} (it had passed)`);
    return {
      // A semicolon, not brackets: a reason's own words may hold brackets ("(the identity system)").
      sentence: `Account restored${isReason(d.archiveReason) ? `; it had been ${ARCHIVE_REASON_TEXT[d.archiveReason].sentence}` : ''}.`,
      lines,
      used: ['status', 'archiveReason', 'accessEndDate'],
    };
  },

  'account.deleted': (d, ctx) => {
    const tombstone = obj(d.tombstone) ?? {};
    const by = typeof tombstone.deletedBy === 'string' ? tombstone.deletedBy : undefined;
    return {
      sentence: `Account deleted${by ? ` by ${by}` : ''}: its personal details are erased and only this record remains.`,
      lines: dateText(tombstone.deletedAt, ctx) ? [`Deleted on ${dateText(tombstone.deletedAt, ctx)}`] : [],
      used: ['tombstone'],
    };
  },

  'invitation.sent': (d, ctx) => ({
    sentence: `Invitation emailed${expiry(d, ctx, '; the link expires on ')}.`,
    used: ['expiresAt'],
  }),
  'invitation.resent': (d, ctx) => ({
    sentence: `Invitation emailed again${expiry(d, ctx, '; the new link expires on ')}.`,
    used: ['expiresAt'],
  }),
  'invitation.accepted': () => ({ sentence: 'Invitation accepted and a password set.' }),
  'password-reset.requested': (d, ctx) => ({
    sentence: `Password reset link emailed${expiry(d, ctx, '; it expires on ')}.`,
    used: ['expiresAt'],
  }),
  'password-reset.refused': (d) => ({
    sentence: `Password reset refused: ${RESET_REFUSALS[str(d, 'reason') ?? ''] ?? readableKey(str(d, 'reason') ?? 'no reason given').toLowerCase()}.`,
    used: ['reason'],
  }),
  'password-reset.completed': () => ({ sentence: 'Password reset with an emailed link; every session ended.' }),
  'password.changed': (d) => ({
    sentence: `Password changed${typeof d.otherSessionsEnded === 'number' ? `; ${count(d.otherSessionsEnded, 'other session')} ended` : ''}.`,
    used: ['otherSessionsEnded'],
  }),
  'password.change-refused': () => ({ sentence: 'Password not changed: the current password was not correct.' }),
  'two-factor.enrolled': () => ({ sentence: 'Two-factor authentication set up.' }),
  'two-factor.reset': (d) => ({
    sentence: `Two-factor authentication reset; it will be set up again at the next sign-in${
      num(d, 'passkeysRemoved') ? `. ${count(num(d, 'passkeysRemoved')!, 'passkey')} removed` : ''
    }${typeof d.sessionsEnded === 'number' ? `. ${count(d.sessionsEnded, 'session')} ended` : ''}.`,
    used: ['sessionsEnded', 'passkeysRemoved'],
  }),
  'passkey.added': (d) => ({ sentence: `Passkey ${quoted(str(d, 'name'))} added.`, used: ['name'] }),
  'passkey.removed': (d) => ({ sentence: `Passkey ${quoted(str(d, 'name'))} removed.`, used: ['name'] }),

  'sign-in.password-accepted': () => ({ sentence: 'Password accepted; the two-factor code was asked for next.' }),
  'sign-in.succeeded': (d) => ({
    sentence: str(d, 'passkey')
      ? `Signed in with the passkey ${quoted(str(d, 'passkey'))}${d.passwordless === true ? ' alone, without a password' : ''}.`
      : d.laAccount === true
        ? `Signed in with the LA account${d.providerMfa === true ? '; the LA’s sign-in confirmed multi-factor authentication' : ''}.`
        : 'Signed in.',
    used: ['passkey', 'passwordless', 'laAccount', 'providerMfa'],
  }),
  'sign-in.failed': (d) => ({
    sentence: `Sign-in failed${str(d, 'username') ? ` as ${quoted(str(d, 'username'))}` : ''}: ${
      SIGN_IN_FAILURES[str(d, 'reason') ?? ''] ??
      laAccountFailure(str(d, 'reason') ?? '') ??
      readableKey(str(d, 'reason') ?? 'no reason given').toLowerCase()
    }.`,
    lines: str(d, 'claim') ? [`Claim that identifies a person: ${str(d, 'claim')}`] : [],
    used: ['reason', 'username', 'claim'],
  }),
  'sign-in.throttled': (d) => ({
    sentence: `Sign-in refused${str(d, 'username') ? ` as ${quoted(str(d, 'username'))}` : ''}: too many attempts; try again later.`,
    used: ['reason', 'username'],
  }),
  'sign-in.archived-account': (d) => ({
    sentence: `Someone tried to sign in to this archived account${str(d, 'username') ? ` as ${quoted(str(d, 'username'))}` : ''}${
      d.passkey === true ? ' with one of its passkeys' : d.laAccount === true ? ' through the LA’s sign-in' : ''
    }.`,
    used: ['username', 'passkey', 'laAccount'],
  }),
  'sign-in.la-account-started': (d) => ({
    sentence: `Sent to the LA’s sign-in${str(d, 'issuer') ? ` (${str(d, 'issuer')})` : ''} to sign in.`,
    used: ['issuer'],
  }),
  'sign-in.la-account-accepted': () => ({
    sentence:
      'The LA’s sign-in accepted the person without multi-factor authentication; the two-factor code was asked for next.',
  }),
  'sign-in.la-account-refused': (d) => ({
    sentence: `The LA’s sign-in refused ${str(d, 'username') ? quoted(str(d, 'username')) : 'the person'}${
      str(d, 'error') ? ` (${str(d, 'error')})` : ''
    }, so the sign-in was refused${d.archived === true ? ' and the account archived at once, as the LA chose' : ''}.`,
    used: ['username', 'error', 'archived', 'issuer'],
  }),
  'sign-in.la-account-recheck-failed': (d) => ({
    sentence: `Session ended: ${
      str(d, 'outcome') === 'refused'
        ? 'the LA’s sign-in no longer accepts the person'
        : str(d, 'outcome') === 'no-refresh-token'
          ? 'the LA’s sign-in gave no way to check the person again'
          : 'the LA’s sign-in could not be reached to check the person again'
    }.`,
    used: ['outcome'],
  }),
  'sign-out': () => ({ sentence: 'Signed out.' }),

  'api-token.created': (d, ctx) => ({
    sentence: `API token ${quoted(str(d, 'token'))} created${dateText(d.expires, ctx) ? `; it expires on ${dateText(d.expires, ctx)}` : ''}.`,
    lines: str(d, 'prefix') ? [`Token begins ${str(d, 'prefix')}`] : [],
    used: ['token', 'prefix', 'expires'],
  }),
  'api-token.revoked': (d) => ({
    sentence: `API token ${quoted(str(d, 'token'))} revoked.`,
    lines: str(d, 'prefix') ? [`Token begins ${str(d, 'prefix')}`] : [],
    used: ['token', 'prefix'],
  }),
  'api-token.used': (d) => ({
    sentence: `API token ${quoted(str(d, 'token'))} used: ${str(d, 'method') ?? ''} ${str(d, 'route') ?? ''}${
      num(d, 'status') !== undefined ? `, answered ${num(d, 'status')}` : ''
    }.`.replace(/ {2,}/g, ' '),
    lines: str(d, 'prefix') ? [`Token begins ${str(d, 'prefix')}`] : [],
    used: ['token', 'prefix', 'method', 'route', 'status'],
  }),

  'identity-provider.configured': (d, ctx) => ({
    sentence: `Sign-in with the LA account set up${str(d, 'issuer') ? ` with the provider ${str(d, 'issuer')}` : ''}${
      d.connectionTested === true ? '; the connection was tested and works' : ''
    }.`,
    lines: providerSettingLines(d, ctx, false).filter((l) => !l.startsWith('Issuer URL')),
    used: [...PROVIDER_SETTINGS.map(([key]) => key), 'connectionTested'],
  }),
  'identity-provider.changed': (d, ctx) => ({
    sentence: `Sign-in with the LA account changed${d.secretReplaced === true ? '; the client secret was replaced' : ''}${
      d.connectionTested === true ? '; the connection was tested and works' : ''
    }.`,
    lines: providerSettingLines(d, ctx, true),
    used: ['changes', 'secretReplaced', 'connectionTested'],
  }),
  'passkey-sign-in.changed': (d) => ({
    sentence:
      d.allowed === true
        ? 'Signing in with a passkey alone turned on for the staff of this Local Authority.'
        : 'Signing in with a passkey alone turned off for the staff of this Local Authority.',
    used: ['allowed'],
  }),
  'identity-provider.tested': (d) => ({
    sentence: `Connection to the provider${str(d, 'issuer') ? ` ${str(d, 'issuer')}` : ''} tested: ${
      str(d, 'outcome') === 'works' ? 'it works' : 'it failed'
    }.`,
    lines: str(d, 'problem') ? [str(d, 'problem')!] : [],
    used: ['issuer', 'outcome', 'problem'],
  }),
  'oidc.signing-key-rotated': (d, ctx) => ({
    sentence: `New signing key ${str(d, 'kid') ?? ''} for the applications' sign-in${
      instantText(d.signsFrom, ctx) ? `; it signs from ${instantText(d.signsFrom, ctx)}` : ''
    }.`,
    lines:
      str(d, 'previousKid') && instantText(d.previousRetiresAt, ctx)
        ? [
            `The previous key ${str(d, 'previousKid')} stays in the key set until ${instantText(d.previousRetiresAt, ctx)}`,
          ]
        : [],
    used: ['kid', 'signsFrom', 'previousKid', 'previousRetiresAt'],
  }),
  'application.registered': (d) => ({
    sentence: `Application ${quoted(str(d, 'application'))} registered to sign people in through Nexus, with the client ID ${
      str(d, 'clientId') ?? ''
    }.`,
    lines: [
      ...list(d.redirectUris)
        .filter((u): u is string => typeof u === 'string')
        .map((u) => `Return address: ${u}`),
      ...(str(d, 'backchannelLogoutUri') ? [`Sign-out address: ${str(d, 'backchannelLogoutUri')}`] : []),
    ],
    used: ['application', 'clientId', 'redirectUris', 'backchannelLogoutUri'],
  }),
  'application.secret-rotated': (d) => ({
    sentence: `Application ${quoted(str(d, 'application'))} given a new client secret; the old one no longer works.`,
    used: ['application', 'clientId'],
  }),
  'application.disabled': (d) => ({
    sentence: `Application ${quoted(str(d, 'application'))} disabled: nobody can sign in to it through Nexus.`,
    used: ['application', 'clientId'],
  }),
  'application.enabled': (d) => ({
    sentence: `Application ${quoted(str(d, 'application'))} enabled again.`,
    used: ['application', 'clientId'],
  }),
  'application.backchannel-logout-failed': (d, ctx) => ({
    sentence: `The application with the client ID ${str(d, 'clientId') ?? ''} could not be told that a person was signed out${
      typeof d.attempts === 'number' ? ` (${count(d.attempts, 'attempt')})` : ''
    }: its own session may last until the person signs out of it.`,
    lines: str(d, 'reason') ? [`Reason: ${valueText(d.reason, ctx)}`] : [],
    used: ['clientId', 'attempts', 'reason'],
  }),

  'accounts.imported': (d) => ({
    sentence: `${count(num(d, 'accounts') ?? 0, 'account')} created from the file ${quoted(str(d, 'file'))}.`,
    lines: str(d, 'sha256') ? [`File fingerprint (SHA-256): ${str(d, 'sha256')}`] : [],
    used: ['file', 'accounts', 'sha256'],
  }),
  'school-assignments.imported': (d) => ({
    sentence: `${count(num(d, 'assignments') ?? 0, 'school assignment')} for ${count(num(d, 'accounts') ?? 0, 'account')} imported from the file ${quoted(str(d, 'file'))}.`,
    lines: str(d, 'sha256') ? [`File fingerprint (SHA-256): ${str(d, 'sha256')}`] : [],
    used: ['file', 'accounts', 'assignments', 'sha256'],
  }),
  'schools.imported': (d, ctx) => {
    const schools = obj(d.schools) ?? {};
    const lines = Object.entries(schools).map(
      ([k, v]) => `Schools ${readableKey(k).toLowerCase()}: ${valueText(v, ctx)}`,
    );
    for (const [key, label] of [
      ['rowsRead', 'Rows read'],
      ['rowsSkipped', 'Rows skipped'],
      ['organisationsCreated', 'Local Authorities added'],
      ['organisationsUpdated', 'Local Authorities updated'],
      ['problems', 'Problems found'],
    ] as const)
      if (d[key] !== undefined) lines.push(`${label}: ${valueText(d[key], ctx)}`);
    if (str(d, 'fileSha256')) lines.push(`File fingerprint (SHA-256): ${str(d, 'fileSha256')}`);
    return {
      sentence: `Schools and Local Authorities imported from the GIAS file ${quoted(str(d, 'fileName'))}.`,
      lines,
      used: [
        'importId',
        'fileName',
        'fileSha256',
        'schools',
        'rowsRead',
        'rowsSkipped',
        'organisationsCreated',
        'organisationsUpdated',
        'problems',
      ],
    };
  },
  'users.exported': (d, ctx) => filtered('Users exported as a CSV file', d, ctx),
  'audit.exported': (d, ctx) => {
    const base = filtered(`${count(num(d, 'events') ?? 0, 'event')} of the audit log exported as a CSV file`, d, ctx);
    return { ...base, used: [...(base.used ?? []), 'events'] };
  },
  'support.read': (d, ctx) => {
    const what = str(d, 'read') ?? 'data';
    const extras = Object.entries(d)
      .filter(([k, v]) => k !== 'read' && typeof v === 'number')
      .map(([k, v]) =>
        k === 'page' ? `page ${v as number}` : count(v as number, READS[k] ?? readableKey(k).toLowerCase()),
      );
    return {
      sentence: `Central support viewed: ${what}${extras.length ? ` (${extras.join(', ')})` : ''}.`,
      lines: otherLines(d, ['read', ...Object.keys(d).filter((k) => typeof d[k] === 'number')], ctx),
      used: Object.keys(d),
    };
  },

  'communications.changed': (d, ctx) => {
    const p = pair(d.topics) ?? [[], []];
    const before = list(p[0]);
    const after = list(p[1]);
    const added = after.filter((t) => !before.includes(t)).map((t) => valueText(t, ctx));
    const removed = before.filter((t) => !after.includes(t)).map((t) => valueText(t, ctx));
    const parts = [
      added.length ? `subscribed to ${andList(added)}` : '',
      removed.length ? `unsubscribed from ${andList(removed)}` : '',
    ].filter(Boolean);
    return {
      sentence: parts.length ? `${capitalise(parts.join('; '))}.` : 'Communication preferences saved with no change.',
      lines: [`Topics: ${changeText(before, after, ctx)}`],
      used: ['topics'],
    };
  },
  'communications.sent': (d, ctx) => ({
    sentence: `Message ${quoted(str(d, 'subject'))} sent to ${count(num(d, 'recipients') ?? 0, 'subscriber')}${
      str(d, 'topic') ? ` of ${quoted(valueText(d.topic, ctx))}` : ''
    }.`,
    used: ['subject', 'recipients', 'topic', 'messageId'],
  }),
  'email.failed': (d, ctx) => ({
    sentence: `An email (${readableKey(str(d, 'template') ?? 'email').toLowerCase()}) could not be delivered${
      typeof d.attempts === 'number' ? ` after ${count(d.attempts, 'attempt')}` : ''
    }.`,
    lines: str(d, 'reason') ? [`Reason: ${valueText(d.reason, ctx)}`] : [],
    used: ['template', 'attempts', 'reason'],
  }),

  'school-group.created': (d) => ({
    sentence: `School group ${quoted(str(d, 'group'))} created with ${count(num(d, 'schools') ?? 0, 'school')}.`,
    used: ['group', 'schools'],
  }),
  'school-group.changed': (d) => {
    const [was, now] = (pair(d.name) ?? [undefined, undefined]).map((n) => (typeof n === 'string' ? n : undefined));
    const renamed = was !== undefined && was !== now;
    const n = num(d, 'schools');
    return {
      sentence: `${renamed ? `School group ${quoted(was)} renamed ${quoted(now)}` : `School group ${quoted(now)} changed`}${
        n !== undefined ? `; it has ${count(n, 'school')}` : ''
      }.`,
      used: ['name', 'schools'],
    };
  },
  'school-group.deleted': (d) => {
    const n = num(d, 'defaultsCleared') ?? 0;
    return {
      sentence: `School group ${quoted(str(d, 'group'))} deleted${n ? `; it is no longer the default school group of ${count(n, 'account')}` : ''}.`,
      used: ['group', 'defaultsCleared'],
    };
  },

  'review.opened': (d, ctx) => ({
    sentence: `Access review ${quoted(reviewName(d))} opened for ${count(num(d, 'accounts') ?? 0, 'account')}${
      dateText(d.dueOn, ctx) ? `, due by ${dateText(d.dueOn, ctx)}` : ''
    }.`,
    used: ['review', 'accounts', 'dueOn'],
  }),
  'review.item-decided': (d, ctx) => {
    const decision = str(d, 'decision');
    const label =
      decision && decision in DECISION_LABELS ? DECISION_LABELS[decision as Decision] : (decision ?? 'no decision');
    const lines: string[] = [];
    if (typeof d.userType === 'string') lines.push(`Type of User: ${valueText(d.userType, ctx)}`);
    if (d.privileges !== undefined) lines.push(`Privileges: ${labels(d.privileges, ctx).join('; ') || '(none)'}`);
    return {
      sentence: `Decided in the access review ${quoted(reviewName(d))}: ${label}.`,
      lines,
      used: ['review', 'decision', 'userType', 'privileges'],
    };
  },
  'review.finished': (d) => {
    const decided = DECISIONS.filter((k) => typeof d[k] === 'number').map(
      (k) => `${DECISION_LABELS[k]}: ${(d[k] as number).toLocaleString('en-GB')}`,
    );
    const outside = num(d, 'closedOutside');
    return {
      sentence: `Access review ${quoted(reviewName(d))} finished.`,
      lines: [...decided, ...(outside ? [`Archived or deleted outside the review: ${outside}`] : [])],
      used: ['review', ...DECISIONS, 'closedOutside'],
    };
  },

  'lifecycle.warning-sent': (d, ctx) => {
    const stage = str(d, 'stage');
    const name = stage && isWarningStage(stage) ? warningName(stage) : `warning ${num(d, 'warning') ?? ''}`.trim();
    const months = num(d, 'monthsInactive');
    const on = dateText(d.archiveOn, ctx);
    return {
      sentence: `${capitalise(name)} emailed${months !== undefined ? `: not signed in for ${count(months, 'month')}` : ''}${
        on ? `; the account will be archived on ${on} unless its holder signs in` : ''
      }.`,
      used: ['stage', 'warning', 'monthsInactive', 'archiveOn', 'periodStart'],
    };
  },
  'lifecycle.admin-alert': (d) => {
    const to = str(d, 'recipients') ?? 'other administrators';
    const n = num(d, 'count');
    const what =
      str(d, 'stage') === 'archived'
        ? `this administrator was ${isReason(d.reason) ? ARCHIVE_REASON_TEXT[d.reason].sentence : 'archived'}`
        : 'this administrator is due to be archived';
    return {
      sentence: `Alert emailed to ${n !== undefined && to === 'other administrators' ? count(n, 'other administrator') : to}: ${what}.`,
      used: ['stage', 'reason', 'recipients', 'count'],
    };
  },
};

function reviewName(d: Details): string | undefined {
  const review = obj(d.review);
  return typeof review?.name === 'string' ? review.name : undefined;
}

const FILTER_NAMES: Record<string, string> = {
  q: 'search',
  type: 'Type of User',
  privilege: 'privilege',
  status: 'status',
  inactiveMonths: 'not signed in for (months)',
  sort: 'order',
  action: 'action',
  from: 'from',
  to: 'to',
};

/** "…, filtered by action Privileges changed, from 1 November 2026." */
function filtered(what: string, d: Details, ctx: AuditContext): Described {
  const filters = Object.entries(obj(d.filters) ?? {}).map(([k, v]) => {
    const value = k === 'action' && typeof v === 'string' ? auditActionLabel(v) : valueText(v, ctx, k);
    return `${FILTER_NAMES[k] ?? readableKey(k).toLowerCase()} ${value}`;
  });
  return { sentence: `${what}${filters.length ? `, filtered by ${filters.join(', ')}` : ''}.`, used: ['filters'] };
}

/** A sentence for any action nobody wrote one for: its name, and every detail as "Key: value". */
const fallback: Describer = () => ({ sentence: '' });

/**
 * One audit event in words (R50) — for the account's timeline, the LA's log and its CSV alike:
 * codes as their labels, schools and groups by name, dates as dates, before → after.
 */
export function describeAuditEvent(event: { action: string; details: unknown }, ctx: AuditContext): AuditDescription {
  const label = auditActionLabel(event.action);
  const details = obj(event.details) ?? {};
  if (typeof details.redacted === 'string' && Object.keys(details).length === 1)
    return { label, sentence: 'Details removed when the account was deleted.', lines: [] };
  const described = (DESCRIBERS[event.action] ?? fallback)(details, ctx);
  const shared = sharedLines(details, ctx, described.used ?? []);
  const used = new Set([...(described.used ?? []), ...shared.used]);
  return {
    label,
    sentence: described.sentence || `${label}.`,
    lines: [...(described.lines ?? []), ...shared.lines, ...otherLines(details, [...used], ctx)],
  };
}

/** For the test that every written action has its own sentence. */
export function hasOwnSentence(action: string): boolean {
  return action in DESCRIBERS;
}
