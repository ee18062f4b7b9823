import { renderEmail, type RenderedEmail } from './render.ts';

/** Messages of R45 that this stage of the service sends. */

/** `invitedBy` is the inviting person's name, or null when the system created the account. */
export function invitationEmail(p: {
  platformName: string;
  firstName: string;
  laName: string;
  username: string;
  link: string;
  expires: string;
  invitedBy: string | null;
  /** Sent again by an administrator: earlier links no longer work. */
  resent?: boolean;
}): RenderedEmail {
  const at = p.laName ? ` at ${p.laName}` : '';
  const opening = p.resent
    ? p.invitedBy
      ? `${p.invitedBy} has sent you a new link to set up your ${p.platformName} account${at}. Links in earlier emails no longer work.`
      : `Here is a new link to set up your ${p.platformName} account${at}. Links in earlier emails no longer work.`
    : p.invitedBy
      ? `${p.invitedBy} has created a ${p.platformName} account for you${at}.`
      : `A ${p.platformName} account has been created for you${at}.`;
  return renderEmail(
    `Your ${p.platformName} account`,
    `Dear ${p.firstName},`,
    [
      opening,
      `Your username is ${p.username}.`,
      { link: p.link, text: 'Set your password' },
      `The link works once and expires on ${p.expires}. After setting your password you will set up two-factor authentication with an authenticator app on your phone.`,
      'If you did not expect this email, you can ignore it.',
    ],
    p.platformName,
  );
}

export function passwordResetEmail(p: {
  platformName: string;
  firstName: string;
  username: string;
  link: string;
  expires: string;
}): RenderedEmail {
  return renderEmail(
    `Reset your ${p.platformName} password`,
    `Dear ${p.firstName},`,
    [
      `Someone asked to reset the password of the ${p.platformName} account ${p.username}.`,
      { link: p.link, text: 'Reset your password' },
      `The link works once and expires at ${p.expires}.`,
      'If you did not ask for this, you can ignore this email: your password has not changed.',
    ],
    p.platformName,
  );
}

export function passwordChangedEmail(p: {
  platformName: string;
  firstName: string;
  username: string;
  when: string;
}): RenderedEmail {
  return renderEmail(
    `Your ${p.platformName} password was changed`,
    `Dear ${p.firstName},`,
    [
      `The password of the ${p.platformName} account ${p.username} was changed on ${p.when}.`,
      'If this was not you, contact an administrator of your Local Authority at once.',
    ],
    p.platformName,
  );
}

export function twoFactorResetEmail(p: {
  platformName: string;
  firstName: string;
  username: string;
  by: string;
  when: string;
  /** Passkeys the reset removed (R65). */
  passkeysRemoved?: number;
}): RenderedEmail {
  const removed = p.passkeysRemoved ?? 0;
  return renderEmail(
    `Your ${p.platformName} two-factor authentication was reset`,
    `Dear ${p.firstName},`,
    [
      `${p.by} reset the two-factor authentication of the ${p.platformName} account ${p.username} on ${p.when}.`,
      ...(removed > 0
        ? [
            `Your ${removed === 1 ? 'passkey was' : `${removed} passkeys were`} removed too: you can add passkeys again on My account once you have signed in.`,
          ]
        : []),
      'The next time you sign in, you will set up your authenticator app again.',
      'If you did not ask for this, contact an administrator of your Local Authority at once.',
    ],
    p.platformName,
  );
}

/** The notice that a passkey was added to or removed from an account (R65), like the password notice. */
export function passkeyChangedEmail(p: {
  platformName: string;
  firstName: string;
  username: string;
  passkeyName: string;
  change: 'added' | 'removed';
  when: string;
}): RenderedEmail {
  return renderEmail(
    `A passkey was ${p.change === 'added' ? 'added to' : 'removed from'} your ${p.platformName} account`,
    `Dear ${p.firstName},`,
    [
      `The passkey “${p.passkeyName}” was ${p.change === 'added' ? 'added to' : 'removed from'} the ${p.platformName} account ${p.username} on ${p.when}.`,
      p.change === 'added'
        ? 'It can now be used instead of a code from your authenticator app when you sign in.'
        : 'It can no longer be used to sign in.',
      'If this was not you, contact an administrator of your Local Authority at once.',
    ],
    p.platformName,
  );
}
