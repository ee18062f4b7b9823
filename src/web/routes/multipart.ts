import type { FastifyInstance, FastifyRequest } from 'fastify';
import { cleanText } from '../../domain/text.ts';

/**
 * multipart/form-data (RFC 7578), just enough for a file upload form: a few text fields and
 * files, whole in memory under a size limit. Written here rather than added as a dependency; it
 * is registered only in the scope of the routes that take uploads, so every other page still
 * refuses multipart with 415.
 */

export interface UploadedFile {
  readonly field: string;
  readonly filename: string;
  readonly data: Buffer;
}

export interface MultipartForm {
  readonly fields: Record<string, string>;
  readonly files: UploadedFile[];
}

/** A malformed body: answered 400 by the error handler, like any client error. */
export class MultipartError extends Error {
  readonly statusCode = 400;
}

const MAX_PARTS = 20;
const MAX_HEADER_BYTES = 2048;
const CRLF = Buffer.from('\r\n');

export function boundaryOf(contentType: string): string | undefined {
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

/**
 * A parameter of Content-Disposition. Browsers (WHATWG) send quotes, CR and LF in names as %22,
 * %0D and %0A, and backslashes as they are, so a quoted value runs to the next quote.
 */
function parameter(header: string, name: string): string | undefined {
  const match =
    new RegExp(`;\\s*${name}="([^"]*)"`, 'i').exec(header) ?? new RegExp(`;\\s*${name}=([^\\s;"]+)`, 'i').exec(header);
  return match?.[1];
}

export function parseMultipart(body: Buffer, boundary: string): MultipartForm {
  const delimiter = Buffer.from(`--${boundary}`);
  const nextDelimiter = Buffer.from(`\r\n--${boundary}`);
  const fields: Record<string, string> = Object.create(null) as Record<string, string>;
  const files: UploadedFile[] = [];
  let pos = body.indexOf(delimiter);
  if (pos < 0) throw new MultipartError('The form data has no parts');
  for (let parts = 0; ; parts += 1) {
    pos += delimiter.length;
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) break; // "--": the close delimiter
    while (body[pos] === 0x20 || body[pos] === 0x09) pos += 1; // transport padding
    if (!body.subarray(pos, pos + 2).equals(CRLF)) throw new MultipartError('The form data is malformed');
    if (parts === MAX_PARTS) throw new MultipartError('The form has too many parts');
    pos += 2;
    const headerEnd = body.indexOf('\r\n\r\n', pos);
    if (headerEnd < 0 || headerEnd - pos > MAX_HEADER_BYTES) throw new MultipartError('The form data is malformed');
    const headers = body.subarray(pos, headerEnd).toString('utf8').split('\r\n');
    const end = body.indexOf(nextDelimiter, headerEnd + 4);
    if (end < 0) throw new MultipartError('The form data ends early');
    const data = body.subarray(headerEnd + 4, end);
    const disposition = headers.find((h) => /^content-disposition\s*:/i.test(h));
    if (!disposition || !/^content-disposition\s*:\s*form-data\s*(;|$)/i.test(disposition))
      throw new MultipartError('The form data is malformed');
    const name = parameter(disposition, 'name');
    if (name === undefined) throw new MultipartError('The form data is malformed');
    const filename = parameter(disposition, 'filename');
    if (filename !== undefined)
      files.push({
        field: cleanText(name),
        filename: cleanText(filename)
          .replace(/^.*[\\/]/, '')
          .slice(0, 200),
        data,
      });
    else if (!(name in fields)) fields[cleanText(name)] = cleanText(data.toString('utf8'));
    pos = end + 2;
  }
  return { fields, files };
}

const FILES = Symbol('uploaded files');

/**
 * Lets the routes of this plugin scope take multipart forms up to `limit` bytes. The text fields
 * become the body, as with a urlencoded form, so `_csrf` reaches the CSRF check as it does for
 * every other form; the files sit beside them.
 */
export function acceptUploads(app: FastifyInstance, limit: number): void {
  app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer', bodyLimit: limit }, (request, body, done) => {
    const boundary = boundaryOf(String(request.headers['content-type'] ?? ''));
    if (!boundary) return done(new MultipartError('The form data has no boundary'), undefined);
    try {
      const form = parseMultipart(body as Buffer, boundary);
      const out: Record<string | symbol, unknown> = { ...form.fields };
      Object.defineProperty(out, FILES, { value: form.files, enumerable: false });
      done(null, out);
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}

/** The first file of a field, if the request was a multipart form holding one. */
export function uploadedFile(request: FastifyRequest, field: string): UploadedFile | undefined {
  const body = request.body as Record<symbol, unknown> | undefined;
  const files = body && typeof body === 'object' ? (body[FILES] as UploadedFile[] | undefined) : undefined;
  return files?.find((f) => f.field === field);
}
