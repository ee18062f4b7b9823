import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startChild, type Child } from './processes.ts';
import { ROOT } from './run.ts';

/** The bench's SMTP server (bench/support/smtp-peer.ts) in a child process of its own, and its control port. */

export interface PeerStats {
  /** Messages accepted (250 to DATA) since the last reset. */
  messages: number;
  /** Bytes of message data received (headers and body, as sent in DATA). */
  bytes: number;
  /** Messages without an X-Nexus-Dedup-Key header. */
  withoutKey: number;
  /** SMTP connections opened since the last reset. */
  connections: number;
  /** How many times each deduplication key arrived. */
  keys: Record<string, number>;
}

export interface SmtpPeer {
  readonly child: Child;
  /** `smtp://127.0.0.1:PORT`: plain SMTP, no STARTTLS, no AUTH. */
  readonly url: string;
  reset(): Promise<void>;
  stats(): Promise<PeerStats>;
}

export async function startSmtpPeer(timeoutMs = 60_000): Promise<SmtpPeer> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_OPTIONS;
  const child = startChild(
    'SMTP peer',
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'bench', 'support', 'smtp-peer.ts')],
    { cwd: ROOT, env },
  );
  let buffered = '';
  const ready = new Promise<[number, number]>((resolve) => {
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const match = /^ready (\d+) (\d+)$/m.exec(buffered);
      if (match) {
        child.process.stdout?.off('data', onData);
        resolve([Number(match[1]), Number(match[2])]);
      }
    };
    child.process.stdout?.on('data', onData);
  });
  const failed = Promise.race([
    child.exited.then((code) => `exited (${String(code)})`),
    sleep(timeoutMs).then(() => `did not start within ${timeoutMs} ms`),
  ]);
  const outcome = await Promise.race([ready, failed]);
  if (typeof outcome === 'string') throw new Error(`SMTP peer ${outcome}:\n${child.output()}`);
  const [smtpPort, controlPort] = outcome;
  const control = `http://127.0.0.1:${controlPort}`;
  return {
    child,
    url: `smtp://127.0.0.1:${smtpPort}`,
    async reset() {
      const response = await fetch(`${control}/reset`, { method: 'POST' });
      if (response.status !== 204) throw new Error(`SMTP peer: reset answered ${response.status}`);
    },
    async stats() {
      const response = await fetch(`${control}/stats`);
      if (response.status !== 200) throw new Error(`SMTP peer: stats answered ${response.status}`);
      return (await response.json()) as PeerStats;
    },
  };
}
