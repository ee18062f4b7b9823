import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { OutboxRow } from '../data/database.ts';

/** Sends one outbox row. Throws `PermanentMailError` when retrying cannot help. */
export interface MailTransport {
  send(row: OutboxRow, from: string): Promise<void>;
  close(): void;
}

export class PermanentMailError extends Error {}

function message(row: OutboxRow, from: string) {
  return {
    from,
    to: row.to_name ? { name: row.to_name, address: row.to_address } : row.to_address,
    subject: row.subject,
    text: row.text_body,
    html: row.html_body,
    messageId: row.message_id,
    headers: { 'X-Nexus-Dedup-Key': row.dedup_key, 'X-Nexus-Template': row.template },
  };
}

/** Embedded default (R44): each email becomes an RFC 5322 `.eml` file named by its outbox id. */
export function emlFileTransport(folder: string): MailTransport {
  const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    async send(row, from) {
      const info = await composer.sendMail(message(row, from));
      await mkdir(folder, { recursive: true });
      // Written under a temporary name and renamed, so a reader never sees half a message.
      const file = path.join(folder, `${row.id}.eml`);
      const temporary = `${file}.${process.pid}.tmp`;
      await writeFile(temporary, info.message as Buffer);
      await rename(temporary, file);
    },
    close() {
      composer.close();
    },
  };
}

/** SMTP with pooled connections; 5xx answers are permanent, everything else is retried. */
export function smtpTransport(url: string): MailTransport {
  const transport = nodemailer.createTransport(url.includes('pool=') ? url : url + (url.includes('?') ? '&' : '?') + 'pool=true');
  return {
    async send(row, from) {
      try {
        await transport.sendMail(message(row, from));
      } catch (error) {
        const code = (error as { responseCode?: number }).responseCode;
        if (code !== undefined && code >= 500 && code < 600) throw new PermanentMailError((error as Error).message);
        throw error;
      }
    },
    close() {
      transport.close();
    },
  };
}
