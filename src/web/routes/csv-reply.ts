import type { FastifyReply } from 'fastify';

/** A CSV download: UTF-8 with a byte-order mark so spreadsheets read names correctly. */
export function sendCsv(reply: FastifyReply, filename: string, csv: string): FastifyReply {
  return reply
    .header('content-type', 'text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${filename}"`)
    .header('cache-control', 'no-store')
    .send('\uFEFF' + csv);
}
