import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { OutboxRow } from '../data/database.ts';

/** Sends one outbox row. Throws `PermanentMailError` when retrying cannot help. */
export interface MailTransport {
  send(row: OutboxRow, from: string): Promise<void>;
  close(): void;
  /** How many sends may usefully run at once (SMTP: the pool's connections); 1 when absent. */
  readonly concurrency?: number;
}

export class PermanentMailError extends Error {}

/** The fields of an outbox row that make up the message. */
export type OutboxMessageFields = Pick<
  OutboxRow,
  'to_address' | 'to_name' | 'subject' | 'text_body' | 'html_body' | 'message_id' | 'dedup_key' | 'template'
>;

/** The nodemailer message for an outbox row (also used by `npm run bench:mail` to send the same messages without the outbox). */
export function outboxMessage(row: OutboxMessageFields, from: string) {
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
      const info = await composer.sendMail(outboxMessage(row, from));
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

/**
 * What `smtpTransport` gives nodemailer: SMTP_URL with `pool=true` added unless it says otherwise
 * (nodemailer's pool: up to 5 connections, 100 messages each, unless the URL sets them).
 */
export function pooledSmtpUrl(url: string): string {
  return url.includes('pool=') ? url : url + (url.includes('?') ? '&' : '?') + 'pool=true';
}

/** SMTP with pooled connections; 5xx answers are permanent, everything else is retried. */
export function smtpTransport(url: string): MailTransport {
  const transport = nodemailer.createTransport(pooledSmtpUrl(url));
  // The pool's connection limit (5 unless the URL sets maxConnections); a URL with pool=false has no pool: one at a time.
  const pool = (transport.transporter as { options?: { pool?: unknown; maxConnections?: unknown } }).options;
  const concurrency =
    pool?.pool === true && typeof pool.maxConnections === 'number' && pool.maxConnections > 0 ? pool.maxConnections : 1;
  return {
    concurrency,
    async send(row, from) {
      try {
        await transport.sendMail(outboxMessage(row, from));
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
