import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';

/** UTF-8 with a byte-order mark so spreadsheets read names correctly. */
const BOM = '\uFEFF';

function csvHeaders(reply: FastifyReply, filename: string): FastifyReply {
  return reply
    .header('content-type', 'text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${filename}"`)
    .header('cache-control', 'no-store');
}

/** A CSV download. */
export function sendCsv(reply: FastifyReply, filename: string, csv: string): FastifyReply {
  return csvHeaders(reply, filename).send(BOM + csv);
}

/**
 * A CSV download written as it is produced (chunked), with the same headers and byte-order mark
 * as sendCsv. Anything that can fail with a proper error page (access, validation, the first
 * read) must have happened before this is called: from here on the status is 200. The stream is a
 * byte stream with Node's default buffer, so a slow client holds back the reads (backpressure)
 * instead of letting them pile up; if the client goes away, the iterator is closed and reads stop.
 * A failure half-way is logged by Fastify and cuts the connection, so the download is visibly
 * incomplete rather than a short file that looks whole.
 */
export function sendCsvStream(reply: FastifyReply, filename: string, chunks: AsyncIterable<string>): FastifyReply {
  async function* withBom(): AsyncGenerator<string, void, undefined> {
    yield BOM;
    yield* chunks;
  }
  return csvHeaders(reply, filename).send(Readable.from(withBom(), { objectMode: false }));
}
