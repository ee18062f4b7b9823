import { renderEmail, type RenderedEmail } from './render.ts';

/**
 * Lifecycle messages of R45, R38 and R52. Every fact in them (months, dates, who to contact) is
 * passed in by the caller from the account's history and the one schedule; nothing here
 * assumes the default policy.
 */

export interface Contact {
  name: string;
  email: string;
}

/** Who to contact: the LA's administrators after the run, else central support (R35). */
export interface Contacts {
  administrators: readonly Contact[];
  support: Contact;
  laName: string;
}

function contactLines(c: Contacts): string[] {
  return c.administrators.length > 0
    ? c.administrators.map((a) => `${a.name} (${a.email})`)
    : [`${c.support.name} (${c.support.email}), as ${c.laName} has no active administrator`];
}

function months(n: number): string {
  return n === 1 ? '1 month' : `${n} months`;
}

/** Where an account's inactivity counts from (R34), as a warning states it. */
export interface InactiveSince {
  kind: 'sign-in' | 'creation' | 'restore';
  /** "11 February 2025" */
  date: string;
  /** Whole calendar months from then to the email. */
  months: number;
}

/** "Nobody has signed in to the account since 11 February 2025, 21 months ago." */
function sinceSentence(account: string, since: InactiveSince): string {
  const ago = `${months(since.months)} ago`;
  switch (since.kind) {
    case 'sign-in':
      return `Nobody has signed in to ${account} since ${since.date}, ${ago}.`;
    case 'creation':
      return `${capitalise(account)} was created on ${since.date}, ${ago}, and nobody has ever signed in to it.`;
    case 'restore':
      return `${capitalise(account)} was restored on ${since.date}, ${ago}, and nobody has signed in to it since.`;
  }
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function inactivityWarningEmail(p: {
  platformName: string;
  firstName: string;
  username: string;
  laName: string;
  since: InactiveSince;
  archiveMonths: number;
  archiveOn: string;
  final: boolean;
  signInUrl: string;
  contacts: Contacts;
}): RenderedEmail {
  const account = `the ${p.platformName} account ${p.username} (${p.laName})`;
  return renderEmail(
    p.final
      ? `Final reminder: your ${p.platformName} account will be archived on ${p.archiveOn}`
      : `Your ${p.platformName} account will be archived on ${p.archiveOn} unless you sign in`,
    `Dear ${p.firstName},`,
    [
      sinceSentence(account, p.since),
      `To keep pupil data safe, ${p.platformName} archives accounts that nobody signs in to for ${months(p.archiveMonths)}. If you do not sign in, this account will be archived on ${p.archiveOn}.`,
      ...(p.final ? ['This is the last reminder you will get.'] : []),
      { link: p.signInUrl, text: `Sign in to ${p.platformName}` },
      'If you no longer need access, you do not need to do anything. If you have trouble signing in, contact:',
      { list: contactLines(p.contacts) },
    ],
    p.platformName,
  );
}

export type ArchiveCause =
  { reason: 'inactivity'; since: InactiveSince } | { reason: 'access-ended'; accessEndDate: string };

function causeClause(cause: ArchiveCause): string {
  return cause.reason === 'inactivity'
    ? `nobody had signed in to it since ${cause.since.date} (${months(cause.since.months)})`
    : `its access end date, ${cause.accessEndDate}, was reached`;
}

export function archivedNoticeEmail(p: {
  platformName: string;
  firstName: string;
  username: string;
  laName: string;
  cause: ArchiveCause;
  archivedOn: string;
  deleteOn: string;
  contacts: Contacts;
}): RenderedEmail {
  return renderEmail(
    `Your ${p.platformName} account has been archived`,
    `Dear ${p.firstName},`,
    [
      `The ${p.platformName} account ${p.username} (${p.laName}) was archived on ${p.archivedOn} because ${causeClause(p.cause)}.`,
      `You can no longer sign in. If you still need access, ask an administrator of ${p.laName} to restore the account before ${p.deleteOn}, when it will be deleted:`,
      { list: contactLines(p.contacts) },
    ],
    p.platformName,
  );
}

/** R38 at the first warning: an administrator is due to be archived. */
export function adminDueToBeArchivedEmail(p: {
  platformName: string;
  recipientName: string;
  adminName: string;
  adminUsername: string;
  laName: string;
  since: InactiveSince;
  archiveOn: string;
  accountUrl: string;
  toSupport: boolean;
}): RenderedEmail {
  const subject = `${p.laName}: administrator ${p.adminName} (${p.adminUsername}) will be archived on ${p.archiveOn} unless they sign in`;
  const opening = `${p.adminName} (${p.adminUsername}) holds "Can Add, Delete and Manage Users" at ${p.laName}. ${sinceSentence('the account', p.since)} It will be archived on ${p.archiveOn} unless it is used.`;
  return renderEmail(
    subject,
    `Dear ${p.recipientName},`,
    p.toSupport
      ? [
          opening,
          `${p.laName} has no other active administrator: once this account is archived, nobody at ${p.laName} can manage its users. Please contact the Local Authority so that it keeps access to ${p.platformName}.`,
          { link: p.accountUrl, text: `${p.adminName}'s account` },
        ]
      : [
          opening,
          `If ${p.adminName} still needs access, ask them to sign in before ${p.archiveOn}.`,
          `If they have left, archive the account now, or remove "Can Add, Delete and Manage Users" from it: a leaver who can still manage users is a risk to your data.`,
          { link: p.accountUrl, text: `${p.adminName}'s account` },
        ],
    p.platformName,
  );
}

/** R38 at archiving: an administrator has been archived. */
export function adminArchivedEmail(p: {
  platformName: string;
  recipientName: string;
  adminName: string;
  adminUsername: string;
  laName: string;
  cause: ArchiveCause;
  archivedOn: string;
  deleteOn: string;
  archivedUsersUrl: string;
  toSupport: boolean;
}): RenderedEmail {
  const opening = `${p.adminName} (${p.adminUsername}), who held "Can Add, Delete and Manage Users" at ${p.laName}, was archived on ${p.archivedOn} because ${causeClause(p.cause)}.`;
  return renderEmail(
    `${p.laName}: administrator ${p.adminName} (${p.adminUsername}) has been archived`,
    `Dear ${p.recipientName},`,
    p.toSupport
      ? [
          opening,
          `${p.laName} now has no active administrator. Central support can restore the account from ${p.laName}'s Archived users before ${p.deleteOn}, when it will be deleted, or create a new administrator for the Local Authority.`,
          { link: p.archivedUsersUrl, text: `Archived users of ${p.laName}` },
        ]
      : [
          opening,
          `If they still need access, restore the account from Archived users before ${p.deleteOn}, when it will be deleted. Restoring gives back its privileges, schools and groups exactly as they were.`,
          { link: p.archivedUsersUrl, text: 'Archived users' },
        ],
    p.platformName,
  );
}

/** R11: the LA's administrators are told when an access end date archives someone. */
export function accessEndedAdminEmail(p: {
  platformName: string;
  recipientName: string;
  userName: string;
  username: string;
  laName: string;
  accessEndDate: string;
  archivedOn: string;
  deleteOn: string;
  archivedUsersUrl: string;
}): RenderedEmail {
  return renderEmail(
    `${p.laName}: access ended for ${p.userName} (${p.username})`,
    `Dear ${p.recipientName},`,
    [
      `The access end date of ${p.userName} (${p.username}), ${p.accessEndDate}, was reached, so the account was archived on ${p.archivedOn}.`,
      `If they still need access, restore the account from Archived users before ${p.deleteOn}, when it will be deleted.`,
      { link: p.archivedUsersUrl, text: 'Archived users' },
    ],
    p.platformName,
  );
}

/** R52: a sign-in attempt to an archived account, to the LA's administrators at once. */
export function securityAlertEmail(p: {
  platformName: string;
  recipientName: string;
  laName: string;
  username: string;
  name: string;
  when: string;
  address: string | null;
  archivedOn: string;
  alertsUrl: string;
  /** The LA's own sign-in refused the person, and the account is still active (R64). */
  refusedByLa?: boolean;
}): RenderedEmail {
  if (p.refusedByLa)
    return renderEmail(
      `${p.laName}: your sign-in refused ${p.username}`,
      `Dear ${p.recipientName},`,
      [
        `At ${p.when}, someone tried to sign in to ${p.platformName} as ${p.username} (${p.name})${p.address ? ` from the address ${p.address}` : ''} with their ${p.laName} account, and ${p.laName}’s own sign-in refused them, so ${p.platformName} refused too.`,
        `If this person has left, archive their ${p.platformName} account. A leaver trying to sign in is a possible data breach: report it to your Information Governance team.`,
        'You get at most one email a day about each account. Every attempt is listed under Security alerts:',
        { link: p.alertsUrl, text: 'Security alerts' },
      ],
      p.platformName,
    );
  return renderEmail(
    `${p.laName}: someone tried to sign in to the archived account ${p.username}`,
    `Dear ${p.recipientName},`,
    [
      `At ${p.when}, someone tried to sign in to ${p.platformName} as ${p.username} (${p.name})${p.address ? ` from the address ${p.address}` : ''}. The account was archived on ${p.archivedOn}, so the sign-in was refused.`,
      'A leaver trying to sign in is a possible data breach: report it to your Information Governance team.',
      'You get at most one email a day about each archived account. Every attempt is listed under Security alerts:',
      { link: p.alertsUrl, text: 'Security alerts' },
    ],
    p.platformName,
  );
}
