import { ValidationError } from './errors.ts';
import { readGiasExtract, type GiasExtract } from './gias.ts';
import { looksLikeZip, openZip, ZipError, type ZipEntry } from './zip-read.ts';

/**
 * The GIAS download as people have it (R58a): the `.zip` that Get Information about Schools
 * serves, or the extract's `.csv` taken out of it. Pure: bytes in, extract out.
 */

/**
 * The largest extract read out of a zip. The full establishment extract (every school ever
 * recorded in England, some 50,000 rows) is tens of megabytes; a file that unpacks to more is
 * not it, and unpacking it would only cost memory.
 */
export const MAX_EXTRACT_BYTES = 256 * 1024 * 1024;

/** GIAS names the establishment extract `edubasealldataYYYYMMDD.csv`. */
const EXTRACT_NAME = /^edubasealldata[0-9]*\.csv$/i;

export interface GiasDownload {
  readonly extract: GiasExtract;
  /** The CSV read out of a zip, as named inside it; absent for a CSV file. */
  readonly entryName?: string;
}

function refused(message: string): ValidationError {
  return new ValidationError({ file: message });
}

const baseName = (name: string) => name.replace(/^.*\//, '');

/**
 * The one CSV to read: the only one, or else the one GIAS names as the establishment extract
 * (a download of several data sets holds a CSV for each). Folders and the `__MACOSX` copies
 * that macOS adds are not candidates.
 */
function chooseCsv(entries: readonly ZipEntry[]): ZipEntry {
  const csvs = entries.filter(
    (e) => !e.isDirectory && !e.name.startsWith('__MACOSX/') && baseName(e.name).toLowerCase().endsWith('.csv'),
  );
  if (csvs.length === 1) return csvs[0]!;
  const extracts = csvs.filter((e) => EXTRACT_NAME.test(baseName(e.name)));
  if (extracts.length === 1) return extracts[0]!;
  const listed = (list: readonly ZipEntry[]) =>
    list
      .slice(0, 10)
      .map((e) => e.name)
      .join(', ') + (list.length > 10 ? ` and ${list.length - 10} more` : '');
  if (csvs.length === 0) {
    const files = entries.filter((e) => !e.isDirectory);
    throw refused(
      `The zip file holds no CSV file${files.length > 0 ? ` (it holds ${listed(files)})` : ''}. Download "Establishment fields" as CSV from Get Information about Schools and import that zip file. Nothing was imported.`,
    );
  }
  throw refused(
    `The zip file holds ${csvs.length} CSV files (${listed(csvs)}), so it is not clear which is the establishment extract. Import the edubasealldata CSV file on its own. Nothing was imported.`,
  );
}

/** Reads a download; throws ValidationError (field `file`) when it cannot be used at all. */
export function readGiasDownload(bytes: Uint8Array): GiasDownload {
  if (!looksLikeZip(bytes)) return { extract: readGiasExtract(bytes) };
  try {
    const zip = openZip(bytes);
    const entry = chooseCsv(zip.entries);
    return { extract: readGiasExtract(zip.read(entry, MAX_EXTRACT_BYTES)), entryName: entry.name };
  } catch (error) {
    if (error instanceof ZipError) {
      throw refused(
        `${error.message}. Download the extract from Get Information about Schools again, or import the CSV file inside the zip. Nothing was imported.`,
      );
    }
    throw error;
  }
}
