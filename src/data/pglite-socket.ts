import { EventEmitter } from 'node:events';
import type { PGlite } from '@electric-sql/pglite';
import type { PreparedStatements } from './pglite-prepared.ts';

/**
 * node-postgres talking to an embedded PGlite as if through a socket: pg's own Connection and
 * parser, with PGlite as the server at the other end. Used instead of PGlite's node-postgres
 * adapter, which hands PGlite each message of a query (Parse, Bind, Describe, Execute, Sync) on its
 * own and parses every answer with a parser that copies each field into a new buffer. Here a
 * query's messages go to PGlite together, once the client asks for answers (Sync, Flush or a
 * simple Query), as they would go down a socket, and pg's parser reads the answer as it reads a
 * PostgreSQL server's. The test suite's database files spent about half their time in PGlite,
 * a fifth of it in that adapter and parser (bench/README.md, "Test time").
 */
export class PgliteSocket extends EventEmitter {
  writable = true;
  private pending: Buffer[] = [];
  /** Batches in the order they were sent: PGlite runs one at a time. */
  private queue: Promise<void> = Promise.resolve();
  private started = false;

  constructor(
    private readonly pglite: PGlite,
    /** Whether each batch's file changes go to PGlite's file system at once (on-disk databases). */
    private readonly syncToFs: boolean,
    /** The database's prepared statements, shared by every socket to it (src/data/pglite-prepared.ts). */
    private readonly prepared?: PreparedStatements,
  ) {
    super();
  }

  connect(): this {
    queueMicrotask(() => this.emit('connect'));
    return this;
  }

  write(chunk: Buffer | Uint8Array, callback?: (error?: Error) => void): boolean {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    if (!this.started) {
      // The startup message: PGlite runs in single-user mode, already started and trusting its
      // one client, so the answer is the server's "authenticated, ready" without asking it.
      this.started = true;
      this.reply(STARTUP_REPLY);
    } else if (bytes[0] === TERMINATE) {
      this.end();
    } else {
      this.pending.push(bytes);
      if (asksForAnswers(bytes)) this.sendPending();
    }
    if (callback) queueMicrotask(() => callback());
    return true;
  }

  private sendPending(): void {
    const batch = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    this.pending = [];
    this.queue = this.queue.then(async () => {
      if (!this.writable) return;
      let answer: Buffer;
      try {
        answer = this.prepared ? await this.prepared.run(batch, (b) => this.exec(b)) : await this.exec(batch);
      } catch (error) {
        this.emit('error', error instanceof Error ? error : new Error(String(error)));
        return;
      }
      if (answer.length > 0) this.reply(answer);
    });
  }

  private async exec(batch: Buffer): Promise<Buffer> {
    const answers: Buffer[] = [];
    await this.pglite.execProtocolRawStream(batch, {
      syncToFs: this.syncToFs,
      // A view of PGlite's own memory, which the next query overwrites: copied.
      onRawData: (data) => answers.push(Buffer.from(data)),
    });
    return answers.length === 1 ? answers[0]! : Buffer.concat(answers);
  }

  private reply(bytes: Buffer): void {
    queueMicrotask(() => {
      if (this.writable) this.emit('data', bytes);
    });
  }

  end(): this {
    if (!this.writable) return this;
    this.writable = false;
    this.pending = [];
    void this.queue.then(() => {
      this.emit('end');
      this.emit('close');
    });
    return this;
  }

  destroy(error?: Error): this {
    if (error) queueMicrotask(() => this.emit('error', error));
    return this.end();
  }

  setNoDelay(): this {
    return this;
  }

  setKeepAlive(): this {
    return this;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }
}

const TERMINATE = 0x58;

/**
 * Whether the client now waits for the server's answers: the chunk ends with a message other than
 * the extended protocol's Parse, Bind, Describe, Execute or Close, which the server only queues
 * up until a Sync or Flush. pg writes one message per write; a chunk of several is walked through.
 */
function asksForAnswers(chunk: Buffer): boolean {
  let offset = 0;
  let last = 0;
  while (offset + 5 <= chunk.length) {
    last = chunk[offset]!;
    offset += 1 + chunk.readUInt32BE(offset + 1);
  }
  return !QUEUED.has(last);
}

/** Parse, Bind, Describe, Execute, Close. */
const QUEUED = new Set([0x50, 0x42, 0x44, 0x45, 0x43]);

/** AuthenticationOk, then ReadyForQuery (idle). */
const STARTUP_REPLY = Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 0, 0x5a, 0, 0, 0, 5, 0x49]);
