/** Shared pieces of every email: plain text and HTML from the same paragraphs. */
export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

/** `html`: a part already written for both bodies (its HTML escaped by its writer), e.g. the digest's charts. */
export type Block = string | { link: string; text: string } | { list: string[] } | { html: string; text: string };

export function escapeHtml(value: string): string {
  return value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

/** Names and subjects go into headers: strip line breaks so nothing can inject a header. */
export function headerSafe(value: string): string {
  return value.replace(/[\r\n\u2028\u2029]+/g, ' ').trim();
}

export function renderEmail(subject: string, greeting: string, blocks: Block[], platformName: string): RenderedEmail {
  const text: string[] = [greeting, ''];
  const html: string[] = [`<p>${escapeHtml(greeting)}</p>`];
  for (const block of blocks) {
    if (typeof block === 'string') {
      text.push(block, '');
      html.push(`<p>${escapeHtml(block)}</p>`);
    } else if ('html' in block) {
      text.push(block.text, '');
      html.push(block.html);
    } else if ('link' in block) {
      text.push(`${block.text}: ${block.link}`, '');
      html.push(`<p><a href="${escapeHtml(block.link)}">${escapeHtml(block.text)}</a></p>`);
    } else {
      text.push(...block.list.map((item) => `- ${item}`), '');
      html.push(`<ul>${block.list.map((item) => `<li>${escapeHtml(item)}</li>`).join('')}</ul>`);
    }
  }
  text.push(`${platformName} account administration`);
  html.push(`<p>${escapeHtml(platformName)} account administration</p>`);
  return {
    subject: headerSafe(subject),
    text: text.join('\n'),
    html: `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(headerSafe(subject))}</title></head><body style="font-family: system-ui, sans-serif; font-size: 16px; line-height: 1.5">${html.join('\n')}</body></html>`,
  };
}
