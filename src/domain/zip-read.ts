import { crc32, inflateRawSync } from 'node:zlib';

/**
 * Reading one file out of a `.zip` (PKWARE APPNOTE 6.3): the central directory lists the entries,
 * and an entry is inflated only when asked for. Enough for the archives GIAS and the common
 * archivers write (stored or deflated, no encryption, no ZIP64), with Node's own zlib rather
 * than a dependency: its `maxOutputLength` stops inflating at the size the directory declares,
 * so an entry that lies about its size (a zip bomb) costs no more memory than the limit.
 */

/** A sentence without its full stop, starting with the zip file or the entry's name. */
export class ZipError extends Error {}

export interface ZipEntry {
  readonly name: string;
  /** As the central directory declares it; `read` checks it. */
  readonly size: number;
  readonly compressedSize: number;
  readonly isDirectory: boolean;
}

export interface ZipArchive {
  readonly entries: readonly ZipEntry[];
  /** The entry's bytes; throws ZipError when it is larger than `maxBytes` or damaged. */
  read(entry: ZipEntry, maxBytes: number): Uint8Array;
}

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_DIRECTORY = 0x06054b50;
const END_SIZE = 22;
const MAX_COMMENT = 0xffff;
/** An archive with more entries than this is not a download of a few extracts. */
const MAX_ENTRIES = 10_000;

/** A zip starts with a local file header (or, empty, with the end of the central directory). */
export function looksLikeZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 3 || bytes[2] === 5);
}

interface Located extends ZipEntry {
  readonly method: number;
  readonly flags: number;
  readonly crc: number;
  readonly localOffset: number;
}

export function openZip(bytes: Uint8Array): ZipArchive {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (at: number) => view.getUint16(at, true);
  const u32 = (at: number) => view.getUint32(at, true);
  const inside = (at: number, length: number) => at >= 0 && length >= 0 && at + length <= bytes.length;

  let end = -1;
  for (let at = bytes.length - END_SIZE; at >= Math.max(0, bytes.length - END_SIZE - MAX_COMMENT); at -= 1) {
    if (u32(at) === END_OF_DIRECTORY) {
      end = at;
      break;
    }
  }
  if (end < 0) throw new ZipError('The zip file is incomplete (its list of contents is missing)');
  const count = u16(end + 10);
  const directorySize = u32(end + 12);
  const directoryOffset = u32(end + 16);
  if (count === 0xffff || directorySize === 0xffffffff || directoryOffset === 0xffffffff)
    throw new ZipError('The zip file is in the ZIP64 format, which this service cannot read');
  if (u16(end + 4) !== 0 || u16(end + 6) !== 0 || u16(end + 8) !== count)
    throw new ZipError('The zip file is split over several parts');
  if (count > MAX_ENTRIES) throw new ZipError(`The zip file holds more than ${MAX_ENTRIES} files`);
  if (!inside(directoryOffset, directorySize)) throw new ZipError('The zip file is damaged');

  const decoder = new TextDecoder('utf-8');
  const entries: Located[] = [];
  let at = directoryOffset;
  for (let i = 0; i < count; i += 1) {
    if (!inside(at, 46) || u32(at) !== CENTRAL_HEADER) throw new ZipError('The zip file is damaged');
    const nameLength = u16(at + 28);
    const skip = 46 + nameLength + u16(at + 30) + u16(at + 32);
    if (!inside(at, skip)) throw new ZipError('The zip file is damaged');
    const name = decoder.decode(bytes.subarray(at + 46, at + 46 + nameLength));
    entries.push({
      name,
      flags: u16(at + 8),
      method: u16(at + 10),
      crc: u32(at + 16),
      compressedSize: u32(at + 20),
      size: u32(at + 24),
      localOffset: u32(at + 42),
      isDirectory: name.endsWith('/'),
    });
    at += skip;
  }

  return {
    entries,
    read(entry, maxBytes) {
      const e = entry as Located;
      if (!entries.includes(e)) throw new Error('not an entry of this archive');
      if (e.flags & 0x1) throw new ZipError(`${e.name} in the zip file is protected by a password`);
      if (e.size > maxBytes)
        throw new ZipError(
          `${e.name} in the zip file would be ${megabytes(e.size)} unpacked, more than the ${megabytes(maxBytes)} allowed`,
        );
      const local = e.localOffset;
      if (!inside(local, 30) || u32(local) !== LOCAL_HEADER) throw new ZipError('The zip file is damaged');
      const start = local + 30 + u16(local + 26) + u16(local + 28);
      if (!inside(start, e.compressedSize)) throw new ZipError('The zip file is damaged');
      const packed = bytes.subarray(start, start + e.compressedSize);
      let data: Uint8Array;
      if (e.method === 0) data = packed;
      else if (e.method === 8) {
        try {
          // Never more than the size declared: a bomb that declares less stops here.
          data = e.size === 0 ? new Uint8Array() : inflateRawSync(packed, { maxOutputLength: e.size });
        } catch {
          throw new ZipError(`${e.name} in the zip file is damaged or larger than the zip file says`);
        }
      } else
        throw new ZipError(
          `${e.name} in the zip file is compressed with a method this service cannot read (method ${e.method})`,
        );
      if (data.length !== e.size || crc32(data) !== e.crc)
        throw new ZipError(`${e.name} in the zip file is damaged or larger than the zip file says`);
      return data;
    },
  };
}

function megabytes(bytes: number): string {
  return `${Math.ceil(bytes / (1024 * 1024)).toLocaleString('en-GB')} MB`;
}
