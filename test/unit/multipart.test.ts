import { Readable } from 'node:stream';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptUploads, uploadedFile } from '../../src/web/routes/imports/multipart.ts';

const B = 'XyZ123';
const LIMIT = 4096;
const part = (headers: string, body: string | Buffer) =>
  Buffer.concat([
    Buffer.from(`--${B}\r\n${headers}\r\n\r\n`),
    Buffer.isBuffer(body) ? body : Buffer.from(body),
    Buffer.from('\r\n'),
  ]);
const close = Buffer.from(`--${B}--\r\n`);

let app: FastifyInstance;

beforeAll(async () => {
  app = Fastify();
  app.setErrorHandler((error: FastifyError, _request, reply) =>
    reply.code(error.statusCode ?? 500).send({ code: error.code, message: error.message }),
  );
  // Uploads are taken in one plugin scope only; the route beside it refuses multipart.
  await app.register((scope, _options, done) => {
    acceptUploads(scope, LIMIT);
    scope.post('/upload', (request) => {
      const file = uploadedFile(request, 'file');
      return {
        fields: request.body,
        file: file && { field: file.field, filename: file.filename, data: file.data.toString('base64') },
      };
    });
    done();
  });
  app.post('/form', () => ({ ok: true }));
  await app.ready();
});

afterAll(async () => {
  await app.close();
});

async function post(
  body: Buffer | string | Readable,
  contentType = `multipart/form-data; boundary=${B}`,
  url = '/upload',
) {
  const response = await app.inject({ method: 'POST', url, payload: body, headers: { 'content-type': contentType } });
  return {
    status: response.statusCode,
    json: response.json<{ fields?: unknown; file?: unknown; code?: string; message?: string }>(),
  };
}

describe('multipart/form-data (RFC 7578) through @fastify/multipart', () => {
  it('reads text fields and files byte for byte, with CRLF and boundary-like text inside the file', async () => {
    const content = Buffer.from([0xef, 0xbb, 0xbf, 0x61, 0x0d, 0x0a, 0x2d, 0x2d, 0x58, 0xff]); // BOM, "a", CRLF, "--X", a non-UTF-8 byte
    const { status, json } = await post(
      Buffer.concat([
        Buffer.from('preamble\r\n'),
        part('Content-Disposition: form-data; name="_csrf"', 'token-1'),
        part(
          'Content-Disposition: form-data; name="file"; filename="C:\\Users\\jo\\Émile starters.csv"\r\nContent-Type: text/csv',
          content,
        ),
        close,
      ]),
    );
    expect(status).toBe(200);
    expect(json.fields).toEqual({ _csrf: 'token-1' });
    expect(json.file).toEqual({ field: 'file', filename: 'Émile starters.csv', data: content.toString('base64') });
  });

  it('keeps the first of repeated fields, and an empty file', async () => {
    const { status, json } = await post(
      Buffer.concat([
        part('Content-Disposition: form-data; name="a"', 'one'),
        part('content-disposition: form-data; name="a"', 'two'),
        part('Content-Disposition: form-data; name="file"; filename=""\r\nContent-Type: application/octet-stream', ''),
        close,
      ]),
    );
    expect(status).toBe(200);
    expect(json.fields).toEqual({ a: 'one' });
    expect(json.file).toEqual({ field: 'file', filename: '', data: '' });
  });

  it('makes text storable: NUL becomes the replacement character', async () => {
    const { json } = await post(Buffer.concat([part('Content-Disposition: form-data; name="a"', 'x\u0000y'), close]));
    expect(json.fields).toEqual({ a: 'x\ufffdy' });
  });

  it('refuses malformed bodies with a 400, never anything else', async () => {
    const cases: [string, Buffer | string, string?][] = [
      ['no boundary', `--${B}\r\n\r\n`, 'multipart/form-data'],
      ['no delimiter', 'no boundary here'],
      ['never closed', `--${B}\r\nContent-Disposition: form-data; name="a"\r\n\r\nnever closed`],
      [
        'file never closed',
        `--${B}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\nusername\n`,
      ],
      ['no name', `--${B}\r\nContent-Disposition: form-data\r\n\r\nv\r\n--${B}--`],
      ['garbage after the delimiter', `--${B}garbage`],
      ['garbage', '\u0000\u0001garbage'],
      ['a field name of 5,000 characters', part(`Content-Disposition: form-data; name="${'f'.repeat(3000)}"`, 'x')],
      ['a prototype name', Buffer.concat([part('Content-Disposition: form-data; name="__proto__"', 'x'), close])],
      [
        'a JSON part that is not JSON',
        Buffer.concat([
          part('Content-Disposition: form-data; name="a"\r\nContent-Type: application/json', '{"'),
          close,
        ]),
      ],
      [
        '21 parts',
        Buffer.concat([
          ...Array.from({ length: 21 }, (_, i) => part(`Content-Disposition: form-data; name="f${i}"`, 'v')),
          close,
        ]),
      ],
    ];
    for (const [label, body, contentType] of cases) {
      const { status, json } = await post(body, contentType);
      expect(status, label).toBe(400);
      expect(json.message, label).toMatch(/^The form (data is malformed|data has no|has too many parts)/);
    }
  });

  it('refuses more than the limit with Fastify’s own 413, whether one file, several parts or a stream without a length', async () => {
    const big = Buffer.alloc(LIMIT + 1, 0x61);
    const half = Buffer.alloc(LIMIT / 2 + 1, 0x61);
    const bodies: [string, () => Buffer | Readable][] = [
      [
        'one file',
        () => Buffer.concat([part('Content-Disposition: form-data; name="file"; filename="a.csv"', big), close]),
      ],
      [
        'a field and a file',
        () =>
          Buffer.concat([
            part('Content-Disposition: form-data; name="a"', half),
            part('Content-Disposition: form-data; name="file"; filename="a.csv"', half),
            close,
          ]),
      ],
      [
        'one file, streamed without Content-Length',
        () =>
          Readable.from([
            Buffer.concat([part('Content-Disposition: form-data; name="file"; filename="a.csv"', big), close]),
          ]),
      ],
      [
        'two files, streamed without Content-Length',
        () =>
          Readable.from([
            Buffer.concat([
              part('Content-Disposition: form-data; name="file"; filename="a.csv"', half),
              part('Content-Disposition: form-data; name="other"; filename="b.csv"', half),
              close,
            ]),
          ]),
      ],
    ];
    for (const [label, body] of bodies) {
      const { status, json } = await post(body());
      expect(status, label).toBe(413);
      expect(json.code, label).toBe('FST_ERR_CTP_BODY_TOO_LARGE');
    }
  });

  it('is taken only where uploads are accepted: another route refuses multipart with 415', async () => {
    const { status } = await post(
      Buffer.concat([part('Content-Disposition: form-data; name="a"', 'v'), close]),
      undefined,
      '/form',
    );
    expect(status).toBe(415);
  });
});
