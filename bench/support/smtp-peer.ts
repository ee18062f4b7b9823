/**
 * The SMTP server of `npm run bench:mail`, run as a child process of its own
 * (`node --import tsx bench/support/smtp-peer.ts`) so that its CPU is not charged to either side
 * of the comparison. A real SMTP peer (`smtp-server`, as in test/support/smtp-sink.ts): plain SMTP
 * on 127.0.0.1, no STARTTLS, no AUTH; it accepts every message, keeps only its size and its
 * X-Nexus-Dedup-Key header (to check that each message arrived exactly once) and discards it.
 *
 * A message is counted before the 250 reply to its DATA is written, so once a sender has been told
 * "accepted" the message is in the counts.
 *
 * Control, over HTTP on a second loopback port: `GET /stats` → `{ messages, bytes, withoutKey,
 * connections, keys: { [dedupKey]: count } }`; `POST /reset` empties the counts. The first line on
 * stdout is `ready <smtp port> <control port>`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';

let keys = new Map<string, number>();
let messages = 0;
let bytes = 0;
let withoutKey = 0;
let connections = 0;

/** The value of the X-Nexus-Dedup-Key header in a raw header block (folded lines unfolded). */
function dedupKeyOf(head: string): string | undefined {
  const unfolded = head.replace(/\r?\n[ \t]+/g, ' ');
  const match = /^x-nexus-dedup-key:[ \t]*(.*)$/im.exec(unfolded);
  return match?.[1]?.trim();
}

const smtp = new SMTPServer({
  disabledCommands: ['STARTTLS', 'AUTH'],
  authOptional: true,
  // No reverse DNS lookup of 127.0.0.1: without a resolver it stalls every connection.
  disableReverseLookup: true,
  logger: false,
  banner: 'nexus bench peer',
  size: 10 * 1024 * 1024,
  closeTimeout: 1000,
  onConnect(_session: SMTPServerSession, callback: (err?: Error | null) => void) {
    connections++;
    callback();
  },
  onData(stream: SMTPServerDataStream, _session: SMTPServerSession, callback: (err?: Error | null) => void) {
    let head = '';
    let headDone = false;
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (headDone) return;
      head += chunk.toString('latin1');
      const end = head.search(/\r?\n\r?\n/);
      if (end >= 0) {
        head = head.slice(0, end);
        headDone = true;
      }
    });
    stream.on('error', (error: Error) => callback(error));
    stream.on('end', () => {
      messages++;
      bytes += size;
      const key = dedupKeyOf(head);
      if (key === undefined) withoutKey++;
      else keys.set(key, (keys.get(key) ?? 0) + 1);
      callback();
    });
  },
});
smtp.on('error', () => {});

const control = http.createServer((request, response) => {
  if (request.method === 'POST' && request.url === '/reset') {
    keys = new Map();
    messages = 0;
    bytes = 0;
    withoutKey = 0;
    connections = 0;
    response.writeHead(204).end();
    return;
  }
  if (request.method === 'GET' && request.url === '/stats') {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ messages, bytes, withoutKey, connections, keys: Object.fromEntries(keys) }));
    return;
  }
  if (request.method === 'GET' && request.url === '/count') {
    response.writeHead(200, { 'content-type': 'text/plain' });
    response.end(String(messages));
    return;
  }
  response.writeHead(404).end();
});

const listen = (
  server: { listen: (port: number, host: string, cb: () => void) => unknown },
  address: () => AddressInfo,
) =>
  new Promise<number>((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve(address().port));
  });

const smtpPort = await listen(smtp, () => smtp.server.address() as AddressInfo);
const controlPort = await listen(control, () => control.address() as AddressInfo);
process.stdout.write(`ready ${smtpPort} ${controlPort}\n`);

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    control.close();
    smtp.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  });
}
