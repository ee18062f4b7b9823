import fastifyMultipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errorCodes } from 'fastify';
import { cleanText } from '../../../domain/text.ts';

/**
 * multipart/form-data (RFC 7578) for the file upload forms, parsed by @fastify/multipart (busboy).
 * It is registered only in the scope of the routes that take uploads, so every other page still
 * refuses multipart with 415.
 */

export interface UploadedFile {
  readonly field: string;
  readonly filename: string;
  readonly data: Buffer;
}

/** A malformed body: answered 400 by the error handler, like any client error. */
class MultipartError extends Error {
  readonly statusCode = 400;
}

const MAX_PARTS = 20;
/** Longer field names are refused (busboy has no such limit); the forms' own are a few characters. */
const MAX_FIELD_NAME_BYTES = 200;

const FILES = Symbol('uploaded files');

/** Errors of @fastify/multipart (FST_*) and of busboy itself (plain errors) as our client errors. */
function clientError(error: unknown): Error {
  const code = (error as { code?: unknown }).code;
  if (code === 'FST_REQ_FILE_TOO_LARGE') return new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE();
  if (code === 'FST_PARTS_LIMIT') return new MultipartError('The form has too many parts');
  return new MultipartError('The form data is malformed');
}

/**
 * Lets the routes of this plugin scope take multipart forms up to `limit` bytes in all. The text
 * fields become the body, as with a urlencoded form, so `_csrf` reaches the CSRF check (a
 * preHandler) as it does for every other form; the files sit beside them, whole in memory. Text is
 * cleaned as form fields are (NUL and lone surrogates become U+FFFD); of a repeated field the
 * first value counts. Too large is Fastify's own 413, anything malformed a 400.
 */
export function acceptUploads(app: FastifyInstance, limit: number): void {
  void app.register(fastifyMultipart, {
    limits: { parts: MAX_PARTS, fileSize: limit, fieldSize: limit },
    // A part is a file when it has a filename, whatever its Content-Type.
    isPartAFile: (_field, _contentType, filename) => filename !== undefined,
  });

  app.addHook('preValidation', async (request) => {
    if (!request.isMultipart()) return;
    if (Number(request.headers['content-length']) > limit) throw new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE();
    const fields: Record<string, string> = Object.create(null) as Record<string, string>;
    const files: UploadedFile[] = [];
    let total = 0;
    try {
      for await (const part of request.parts()) {
        if (!part.fieldname || Buffer.byteLength(part.fieldname) > MAX_FIELD_NAME_BYTES)
          throw new MultipartError('The form data is malformed');
        const name = cleanText(part.fieldname);
        if (part.type === 'file') {
          const data = await part.toBuffer();
          total += data.length;
          files.push({
            field: name,
            filename: cleanText(part.filename)
              .replace(/^.*[\\/]/, '')
              .slice(0, 200),
            data,
          });
        } else {
          // A part sent as application/json arrives parsed; it is text to us, as any other field.
          const value = typeof part.value === 'string' ? part.value : JSON.stringify(part.value);
          total += Buffer.byteLength(value);
          if (part.valueTruncated) total = limit + 1;
          if (!(name in fields)) fields[name] = cleanText(value);
        }
        if (total > limit) throw new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE();
      }
    } catch (error) {
      if (error instanceof MultipartError || (error as { code?: unknown }).code === 'FST_ERR_CTP_BODY_TOO_LARGE')
        throw error;
      throw clientError(error);
    }
    const body: Record<string | symbol, unknown> = { ...fields };
    Object.defineProperty(body, FILES, { value: files, enumerable: false });
    request.body = body;
  });
}

/** The first file of a field, if the request was a multipart form holding one. */
export function uploadedFile(request: FastifyRequest, field: string): UploadedFile | undefined {
  const body = request.body as Record<symbol, unknown> | undefined;
  const files = body && typeof body === 'object' ? (body[FILES] as UploadedFile[] | undefined) : undefined;
  return files?.find((f) => f.field === field);
}
