import type { AddressInfo, Socket } from 'node:net';
import { simpleParser, type AddressObject } from 'mailparser';
import { SMTPServer, type SMTPServerAddress, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';

/**
 * A real SMTP server on 127.0.0.1 (random port) for tests: it records every message it accepts,
 * parsed by mailparser, and can be told to misbehave the ways a mail relay does.
 *
 * A message is recorded before the 250 reply to DATA is written, so once the client has been told
 * "accepted" the message is in `messages`: what a crashed sender may have delivered is counted.
 */

export interface SinkMessage {
  /** Message-ID header as sent (with angle brackets), as the outbox stores it. */
  messageId: string | undefined;
  /** The X-Nexus-Dedup-Key header. */
  dedupKey: string | undefined;
  template: string | undefined;
  /** Envelope recipients (RCPT TO). */
  recipients: string[];
  /** Addresses in the To header. */
  to: string[];
  subject: string | undefined;
  text: string | undefined;
  receivedAt: Date;
}

export type SinkMode =
  /** Accepts everything. */
  | { kind: 'accept' }
  /** Not listening: connecting is refused (ECONNREFUSED); open connections are cut. */
  | { kind: 'refuse' }
  /** Answers the greeting with 421 (and, for a connection opened earlier, MAIL FROM with 421). */
  | { kind: 'busy' };

export interface SmtpSink {
  readonly port: number;
  /** `smtp://127.0.0.1:PORT` (plain, no STARTTLS offered). */
  readonly url: string;
  readonly messages: readonly SinkMessage[];
  /** Connections accepted at the TCP level while listening (including those answered 421). */
  readonly connections: number;
  /** Refused SMTP transactions (421 and 5xx answers). */
  readonly rejections: readonly { code: number; stage: 'connect' | 'mail' | 'rcpt'; address?: string }[];
  mode(): SinkMode['kind'];
  /** Switches the behaviour; 'refuse' stops listening and cuts open connections, leaving it re-listens on the same port. */
  setMode(mode: SinkMode['kind']): Promise<void>;
  /** RCPT TO for this address is answered `550 No such user` (a permanent failure). */
  rejectRecipient(address: string, code?: number): void;
  /** Waits this long before answering each greeting and each DATA (0: no delay). */
  setDelay(ms: number): void;
  /** Answers no greeting and no DATA until the returned function is called (a relay that hangs). */
  hold(): () => void;
  clear(): void;
  /** Resolves once `count` messages have been recorded, or throws after `timeoutMs`. */
  waitForMessages(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

function smtpError(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

function addresses(value: AddressObject | AddressObject[] | undefined): string[] {
  if (!value) return [];
  return (Array.isArray(value) ? value : [value]).flatMap((a) => a.value.map((v) => v.address ?? ''));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startSmtpSink(): Promise<SmtpSink> {
  const messages: SinkMessage[] = [];
  const rejections: { code: number; stage: 'connect' | 'mail' | 'rcpt'; address?: string }[] = [];
  const rejected = new Map<string, number>();
  const sockets = new Set<Socket>();
  let mode: SinkMode['kind'] = 'accept';
  let delayMs = 0;
  let connections = 0;
  let listening = false;
  let gate: Promise<void> | undefined;
  const stall = async () => {
    while (gate) await gate;
    if (delayMs > 0) await sleep(delayMs);
  };

  const server = new SMTPServer({
    // Plain SMTP on the loopback: no STARTTLS (its built-in certificate would be refused), no AUTH.
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    // No reverse DNS lookup of 127.0.0.1: without a resolver it stalls every connection.
    disableReverseLookup: true,
    logger: false,
    banner: 'nexus test sink',
    size: 10 * 1024 * 1024,
    closeTimeout: 1000,
    // smtp-server waits for the callback (it does not take a promise).
    onConnect(_session: SMTPServerSession, callback: (err?: Error | null) => void) {
      connections++;
      stall().then(() => {
        if (mode === 'busy') {
          rejections.push({ code: 421, stage: 'connect' });
          return callback(smtpError(421, 'Too busy, try again later'));
        }
        callback();
      }, callback);
    },
    onMailFrom(_address: SMTPServerAddress, _session: SMTPServerSession, callback: (err?: Error | null) => void) {
      if (mode === 'busy') {
        rejections.push({ code: 421, stage: 'mail' });
        return callback(smtpError(421, 'Too busy, try again later'));
      }
      callback();
    },
    onRcptTo(address: SMTPServerAddress, _session: SMTPServerSession, callback: (err?: Error | null) => void) {
      const code = rejected.get(address.address.toLowerCase());
      if (code !== undefined) {
        rejections.push({ code, stage: 'rcpt', address: address.address });
        return callback(smtpError(code, `No such user <${address.address}>`));
      }
      callback();
    },
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback: (err?: Error | null) => void) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', (error: Error) => callback(error));
      stream.on('end', () => {
        void (async () => {
          try {
            await stall();
            const mail = await simpleParser(Buffer.concat(chunks));
            const header = (name: string) => {
              const value = mail.headers.get(name);
              return typeof value === 'string' ? value : undefined;
            };
            messages.push({
              messageId:
                mail.messageId === undefined
                  ? undefined
                  : mail.messageId.startsWith('<')
                    ? mail.messageId
                    : `<${mail.messageId}>`,
              dedupKey: header('x-nexus-dedup-key'),
              template: header('x-nexus-template'),
              recipients: session.envelope.rcptTo.map((r) => r.address),
              to: addresses(mail.to),
              subject: mail.subject,
              text: mail.text,
              receivedAt: new Date(),
            });
            callback();
          } catch (error) {
            callback(error as Error);
          }
        })();
      });
    },
  });
  server.on('error', () => {});
  server.server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      server.server.once('error', onError);
      server.listen(port, '127.0.0.1', () => {
        server.server.off('error', onError);
        listening = true;
        resolve((server.server.address() as AddressInfo).port);
      });
    });
  const stopListening = () =>
    new Promise<void>((resolve) => {
      if (!listening) return resolve();
      listening = false;
      // net.Server.close() stops accepting at once and calls back when the last socket is gone.
      server.server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });

  const port = await listen(0);
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    get connections() {
      return connections;
    },
    rejections,
    mode: () => mode,
    async setMode(next) {
      if (next === 'refuse') {
        mode = next;
        await stopListening();
        return;
      }
      if (!listening) await listen(port);
      mode = next;
    },
    rejectRecipient(address, code = 550) {
      rejected.set(address.toLowerCase(), code);
    },
    setDelay(ms) {
      delayMs = ms;
    },
    hold() {
      let release = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      gate = held;
      return () => {
        if (gate === held) gate = undefined;
        release();
      };
    },
    clear() {
      messages.length = 0;
      rejections.length = 0;
      rejected.clear();
    },
    async waitForMessages(count, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < count) {
        if (Date.now() > deadline)
          throw new Error(`SMTP sink: expected ${count} messages, got ${messages.length} after ${timeoutMs} ms`);
        await sleep(20);
      }
    },
    async close() {
      await stopListening();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
