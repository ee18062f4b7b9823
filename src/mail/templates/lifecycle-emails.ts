import { renderEmail, type RenderedEmail } from './render.ts';

/** Lifecycle messages of R45. Every warning and notice names the LA's administrators (R35). */

export interface Contact {
  name: string;
  email: string;
}

function contactLines(administrators: readonly Contact[], supportName: string): string[] {
  return administrators.length > 0 ? administrators.map((a) => `${a.name} (${a.email})`) : [`${supportName}, as your Local Authority has no active administrator`];
}

export function inactivityWarningEmail(p: {
  platformName: string; supportName: string; firstName: string; username: string; laName: string; months: number; lastActive: string;
  archiveOn: string; final: boolean; signInUrl: string; administrators: readonly Contact[];
}): RenderedEmail {
  return renderEmail(
    p.final ? `Final reminder: your ${p.platformName} account will be archived on ${p.archiveOn}` : `Your ${p.platformName} account will be archived if you do not sign in`,
    `Dear ${p.firstName},`,
    [
      `Nobody has signed in to the ${p.platformName} account ${p.username} (${p.laName}) since ${p.lastActive}, ${p.months} months ago.`,
      `To keep pupil data safe, accounts that are not used for 18 months are archived. If you do not sign in, this account will be archived on ${p.archiveOn}.`,
      { link: p.signInUrl, text: `Sign in to ${p.platformName}` },
      'If you no longer need access, you do not need to do anything. If you have trouble signing in, contact:',
      { list: contactLines(p.administrators, p.supportName) },
    ],
    p.platformName,
  );
}

export function archivedNoticeEmail(p: {
  platformName: string; supportName: string; firstName: string; username: string; laName: string; reason: 'inactivity' | 'access-ended';
  deleteOn: string; administrators: readonly Contact[];
}): RenderedEmail {
  return renderEmail(`Your ${p.platformName} account has been archived`, `Dear ${p.firstName},`, [
    p.reason === 'inactivity'
      ? `The ${p.platformName} account ${p.username} (${p.laName}) has been archived because nobody signed in to it for 18 months.`
      : `The ${p.platformName} account ${p.username} (${p.laName}) has been archived because its access end date has been reached.`,
    `You can no longer sign in. If you still need access, ask an administrator of ${p.laName} to restore the account before ${p.deleteOn}, when it will be deleted:`,
    { list: contactLines(p.administrators, p.supportName) },
  ], p.platformName);
}

export function adminAtRiskEmail(p: {
  platformName: string; recipientName: string; adminName: string; adminUsername: string; laName: string; when: string; stage: 'warning' | 'archived';
  toSupport: boolean;
}): RenderedEmail {
  const subject = p.stage === 'warning'
    ? `${p.laName}: administrator account ${p.adminUsername} is due to be archived`
    : `${p.laName}: administrator account ${p.adminUsername} has been archived`;
  return renderEmail(subject, `Dear ${p.recipientName},`, [
    p.stage === 'warning'
      ? `${p.adminName} (${p.adminUsername}) holds "Can Add, Delete and Manage Users" at ${p.laName} and has not signed in for 15 months. The account will be archived on ${p.when} unless it is used.`
      : `${p.adminName} (${p.adminUsername}), an administrator of ${p.laName}, was archived on ${p.when} after 18 months without signing in.`,
    p.toSupport
      ? `${p.laName} has no other active administrator. Please contact the Local Authority so that it keeps access to ${p.platformName}.`
      : 'If the account is still needed, ask its holder to sign in, or restore it from Archived users. If the person has left, no action is needed.',
  ], p.platformName);
}

export function accessEndedAdminEmail(p: { platformName: string; recipientName: string; userName: string; username: string; laName: string; deleteOn: string }): RenderedEmail {
  return renderEmail(`${p.laName}: access ended for ${p.username}`, `Dear ${p.recipientName},`, [
    `The access end date of ${p.userName} (${p.username}) has been reached, so the account has been archived.`,
    `It will be deleted on ${p.deleteOn} unless you restore it from Archived users.`,
  ], p.platformName);
}
