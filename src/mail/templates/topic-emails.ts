import { renderEmail, type RenderedEmail } from './render.ts';

/** A topic communication (R25, R45): what central support wrote, to one subscriber. */

/** The line the email opens with; the preview shows the same one. */
export function topicGreeting(firstName: string): string {
  return `Dear ${firstName},`;
}

export function topicMessageEmail(p: {
  platformName: string;
  baseUrl: string;
  topicName: string;
  firstName: string;
  subject: string;
  /** Plain text; a blank line between paragraphs. */
  body: string;
}): RenderedEmail {
  const paragraphs = p.body.split(/\n{2,}/).map((para) => para.replace(/\n/g, ' '));
  return renderEmail(
    p.subject,
    topicGreeting(p.firstName),
    [
      ...paragraphs,
      `You get this because you subscribed to "${p.topicName}". Change what you receive on My account > Communications: ${p.baseUrl}/my-account/communications`,
    ],
    p.platformName,
  );
}
