import { warningName, type LifecycleOutlook } from '../domain/lifecycle.ts';

/**
 * What the user page says of an account's lifecycle, in plain words. Every date is one of the
 * outlook's (the one schedule), so it is the date the nightly job will act.
 */
export function lifecycleSentence(o: LifecycleOutlook, date: (d: Date) => string): string {
  if (o.state === 'archived')
    return o.deleteAt ? `It will be deleted on ${date(o.deleteAt)} unless it is restored.` : '';
  if (o.state === 'warned' && o.lastWarning) {
    const sent = `${capitalise(warningName(o.lastWarning.stage))} sent on ${date(o.lastWarning.sentAt)}.`;
    return o.archiveAt ? `${sent} It will be archived on ${date(o.archiveAt)} unless they sign in.` : sent;
  }
  const next = o.next;
  if (!next) return '';
  if (next.event.kind === 'archive' && next.event.reason === 'access-ended')
    return `It will be archived on ${date(next.at)}, when its access ends.`;
  if (next.event.kind === 'warn') {
    return `If nobody signs in, the ${warningName(next.event.stage)} goes out on ${date(next.at)}${o.archiveAt ? ` and it is archived on ${date(o.archiveAt)}` : ''}.`;
  }
  return '';
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
