import { describe, expect, it } from 'vitest';
import { boundaryOf, MultipartError, parseMultipart } from '../../src/web/routes/multipart.ts';

const B = 'XyZ123';
const part = (headers: string, body: string | Buffer) =>
  Buffer.concat([
    Buffer.from(`--${B}\r\n${headers}\r\n\r\n`),
    Buffer.isBuffer(body) ? body : Buffer.from(body),
    Buffer.from('\r\n'),
  ]);
const close = Buffer.from(`--${B}--\r\n`);

describe('multipart/form-data (RFC 7578)', () => {
  it('finds the boundary, quoted or not', () => {
    expect(boundaryOf('multipart/form-data; boundary=XyZ123')).toBe('XyZ123');
    expect(boundaryOf('multipart/form-data; charset=utf-8; boundary="a b:c"')).toBe('a b:c');
    expect(boundaryOf('multipart/form-data')).toBeUndefined();
  });

  it('reads text fields and files byte for byte, with CRLF and boundary-like text inside the file', () => {
    const content = Buffer.from([0xef, 0xbb, 0xbf, 0x61, 0x0d, 0x0a, 0x2d, 0x2d, 0x58, 0xff]); // BOM, "a", CRLF, "--X", a non-UTF-8 byte
    const body = Buffer.concat([
      Buffer.from('preamble\r\n'),
      part('Content-Disposition: form-data; name="_csrf"', 'token-1'),
      part(
        'Content-Disposition: form-data; name="file"; filename="C:\\Users\\jo\\new starters.csv"\r\nContent-Type: text/csv',
        content,
      ),
      close,
    ]);
    const form = parseMultipart(body, B);
    expect(form.fields._csrf).toBe('token-1');
    expect(form.files).toHaveLength(1);
    expect(form.files[0]!.field).toBe('file');
    expect(form.files[0]!.filename).toBe('new starters.csv');
    expect(form.files[0]!.data.equals(content)).toBe(true);
  });

  it('keeps the first of repeated fields and an empty file', () => {
    const form = parseMultipart(
      Buffer.concat([
        part('Content-Disposition: form-data; name="a"', 'one'),
        part('content-disposition: form-data; name="a"', 'two'),
        part('Content-Disposition: form-data; name="file"; filename=""', ''),
        close,
      ]),
      B,
    );
    expect(form.fields.a).toBe('one');
    expect(form.files[0]!.data.length).toBe(0);
  });

  it('refuses malformed bodies with a 400 error, never anything else', () => {
    const cases = [
      Buffer.from('no boundary here'),
      Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="a"\r\n\r\nnever closed`),
      Buffer.from(`--${B}\r\nNo-Disposition: x\r\n\r\nv\r\n--${B}--`),
      Buffer.from(`--${B}\r\nContent-Disposition: attachment; name="a"\r\n\r\nv\r\n--${B}--`),
      Buffer.from(`--${B}\r\nContent-Disposition: form-data\r\n\r\nv\r\n--${B}--`),
      Buffer.from(`--${B}garbage`),
      Buffer.concat([
        ...Array.from({ length: 21 }, (_, i) => part(`Content-Disposition: form-data; name="f${i}"`, 'v')),
        close,
      ]),
    ];
    for (const body of cases) {
      let error: unknown;
      try {
        parseMultipart(body, B);
      } catch (e) {
        error = e;
      }
      expect(error, body.toString().slice(0, 40)).toBeInstanceOf(MultipartError);
      expect((error as MultipartError).statusCode).toBe(400);
    }
  });

  it('makes text storable: NUL becomes the replacement character', () => {
    const form = parseMultipart(
      Buffer.concat([part('Content-Disposition: form-data; name="a"', 'x\u0000y'), close]),
      B,
    );
    expect(form.fields.a).toBe('x\ufffdy');
  });
});
