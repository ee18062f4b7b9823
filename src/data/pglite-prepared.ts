/**
 * Prepared statements for the embedded database, kept by the database rather than by each pg
 * client: a query that PGlite has parsed before is bound to its prepared statement instead of
 * being parsed, analysed and planned again. Kysely sends every query as an unnamed statement, so
 * PostgreSQL redoes all of that for every query; for the service's small indexed queries that is
 * most of PostgreSQL's work (a join of two tables by a unique key: about 170 µs unnamed, 30 µs
 * prepared, in PGlite on this machine). pgx and the PostgreSQL JDBC driver prepare repeated
 * statements the same way; PostgreSQL chooses between custom and generic plans for them as usual.
 *
 * It works on the wire protocol between pg and PGlite (src/data/pglite-socket.ts), because PGlite
 * is one backend session for the database's whole life while pg clients come and go (the pool
 * closes idle ones): what the session has prepared must outlive any client. The first time a
 * query is seen its unnamed Parse is given a name; after that the Parse is left out, the Bind
 * names the statement, and the ParseComplete the backend would have sent is put back in the
 * answer, so pg sees the exchange it expects.
 *
 * A schema change can make a kept statement unusable ("cached plan must not change result type"
 * after a column is added under a `SELECT *`). So every statement that is not a query forgets
 * them all (migrations are the only DDL, and they run when the database is opened), and a query
 * whose kept statement is refused anyway is parsed afresh and run again when nothing else was
 * lost with it: outside a transaction block, where the failed statement ended its own implicit
 * transaction.
 */

/**
 * Statements kept at most by default; queries beyond them are sent unnamed, as before. Each costs
 * the session about 26 KB (2,000 distinct joins with IN lists: RSS up 49 MiB), so the cap bounds
 * it to about 26 MiB; the service's pages, API and SCIM use a few hundred distinct queries.
 */
const MAX_STATEMENTS = 1_000;
/** Only plannable statements are worth keeping (not DDL, SET, BEGIN…). */
const PLANNABLE = /^\s*(select|insert|update|delete|with)\b/i;
/** Statements after which kept plans may be stale (they change or drop what plans depend on). */
const SCHEMA_CHANGE =
  /^\s*(create|alter|drop|truncate|comment|grant|revoke|reindex|cluster|vacuum|discard|deallocate)\b/i;

const PARSE = 0x50;
const BIND = 0x42;
const QUERY = 0x51;
const ERROR_RESPONSE = 0x45;
const READY_FOR_QUERY = 0x5a;
const PARSE_COMPLETE = Buffer.from([0x31, 0, 0, 0, 4]);
/**
 * SQLSTATEs after which a kept statement is not used again: "cached plan must not change result
 * type" and "prepared statement does not exist".
 */
const STALE = new Set(['0A000', '26000']);

interface Message {
  type: number;
  start: number;
  end: number;
}

function messages(bytes: Buffer): Message[] | undefined {
  const out: Message[] = [];
  let offset = 0;
  while (offset + 5 <= bytes.length) {
    const end = offset + 1 + bytes.readUInt32BE(offset + 1);
    if (end > bytes.length) return undefined;
    out.push({ type: bytes[offset]!, start: offset, end });
    offset = end;
  }
  return offset === bytes.length ? out : undefined;
}

/** A protocol message with this type and body (the length is computed). */
function message(type: number, ...body: Buffer[]): Buffer {
  const head = Buffer.alloc(5);
  head[0] = type;
  head.writeUInt32BE(4 + body.reduce((n, b) => n + b.length, 0), 1);
  return Buffer.concat([head, ...body]);
}

const cstring = (text: string) => Buffer.from(`${text}\0`, 'utf8');

/** The text of a Query message, or of a Parse message after its name. */
function statementText(bytes: Buffer, from: number, end: number): string {
  const stop = bytes.indexOf(0, from);
  return bytes.toString('utf8', from, Math.min(stop < 0 || stop > end ? end : stop, from + 64));
}

/** One unnamed query of a batch, as found in it. */
interface Query {
  list: Message[];
  /** The Parse message's body after its (empty) name: the text and the parameter types. */
  body: Buffer;
  bind: Message;
  /** Where the Bind's portal name ends (its NUL). */
  portalEnd: number;
}

export class PreparedStatements {
  private readonly names = new Map<string, string>();
  private serial = 0;

  constructor(private readonly max = MAX_STATEMENTS) {}

  get size(): number {
    return this.names.size;
  }

  /** Runs one batch of pg's messages through `exec` (PGlite), answering as PGlite would have. */
  async run(batch: Buffer, exec: (batch: Buffer) => Promise<Buffer>): Promise<Buffer> {
    const query = this.plannableQuery(batch);
    if (!query) return exec(batch);
    const key = query.body.toString('latin1');
    const known = this.names.get(key);
    if (known) {
      const answer = await exec(this.build(batch, query, known, false));
      if (!isStale(answer)) return Buffer.concat([PARSE_COMPLETE, answer]);
      this.names.delete(key);
      if (transactionStatus(answer) !== 'I') return Buffer.concat([PARSE_COMPLETE, answer]);
    }
    if (this.names.size >= this.max) return exec(batch);
    const name = `nexus_${++this.serial}`;
    const answer = await exec(this.build(batch, query, name, true));
    // Kept once the backend has parsed it: its answer starts with ParseComplete.
    if (answer.subarray(0, 5).equals(PARSE_COMPLETE)) this.names.set(key, name);
    return answer;
  }

  /** The batch's one unnamed plannable query; otherwise undefined (and a schema change forgets every kept statement). */
  private plannableQuery(batch: Buffer): Query | undefined {
    const list = messages(batch);
    if (!list) return undefined;
    const parses = list.filter((m) => m.type === PARSE);
    const binds = list.filter((m) => m.type === BIND);
    for (const m of list) {
      const from = m.type === QUERY ? m.start + 5 : m.type === PARSE ? batch.indexOf(0, m.start + 5) + 1 : -1;
      if (from > 0 && SCHEMA_CHANGE.test(statementText(batch, from, m.end))) this.names.clear();
    }
    if (parses.length !== 1 || binds.length !== 1) return undefined;
    const parse = parses[0]!;
    const bind = binds[0]!;
    if (batch[parse.start + 5] !== 0) return undefined;
    if (!PLANNABLE.test(statementText(batch, parse.start + 6, parse.end))) return undefined;
    // The Bind's statement name (after its portal name) must be the unnamed one just parsed.
    const portalEnd = batch.indexOf(0, bind.start + 5);
    if (portalEnd < 0 || portalEnd + 1 >= bind.end || batch[portalEnd + 1] !== 0) return undefined;
    return { list, body: batch.subarray(parse.start + 6, parse.end), bind, portalEnd };
  }

  /** The batch with the query's statement named: parsed under that name (`parse`), or only bound to it. */
  private build(batch: Buffer, query: Query, name: string, parse: boolean): Buffer {
    const parts: Buffer[] = [];
    for (const m of query.list) {
      if (m.type === PARSE) {
        if (parse) parts.push(message(PARSE, cstring(name), query.body));
      } else if (m === query.bind) {
        parts.push(
          message(
            BIND,
            batch.subarray(m.start + 5, query.portalEnd + 1),
            cstring(name),
            batch.subarray(query.portalEnd + 2, m.end),
          ),
        );
      } else {
        parts.push(batch.subarray(m.start, m.end));
      }
    }
    return Buffer.concat(parts);
  }
}

/** Whether the answer holds an error saying the kept statement can no longer be used. */
function isStale(answer: Buffer): boolean {
  for (const m of messages(answer) ?? []) {
    if (m.type !== ERROR_RESPONSE) continue;
    let offset = m.start + 5;
    while (offset < m.end && answer[offset] !== 0) {
      const field = answer[offset]!;
      const end = answer.indexOf(0, offset + 1);
      if (end < 0 || end >= m.end) break;
      if (field === 0x43 && STALE.has(answer.toString('utf8', offset + 1, end))) return true;
      offset = end + 1;
    }
  }
  return false;
}

/** The transaction status the answer's last ReadyForQuery reports: I (idle), T (in a block) or E (failed block). */
function transactionStatus(answer: Buffer): string | undefined {
  const last = (messages(answer) ?? []).filter((m) => m.type === READY_FOR_QUERY).at(-1);
  return last ? String.fromCharCode(answer[last.start + 5]!) : undefined;
}
