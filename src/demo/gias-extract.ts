import { encodeWindows1252 } from '../domain/csv-read.ts';
import { toCsv } from '../domain/csv.ts';
import type { DemoData } from './demo-model.ts';

/**
 * Writes establishment extracts in the shape GIAS publishes them (its column names, columns we
 * do not read among them, Windows-1252 bytes), so the demo and the tests bring schools in
 * through the same import an operator runs on the real file.
 */

export interface GiasExtractRow {
  urn: number;
  name: string;
  laCode: string;
  laName: string;
  /** GIAS's spelling: "Primary", "Not applicable"… */
  phase: string;
  /** GIAS's spelling: "Open", "Closed", "Open, but proposed to close", "Proposed to open". */
  status: string;
  type?: string;
}

/** A subset of the real header, in its order; the ones we do not read are filled plausibly. */
const HEADER = [
  'URN',
  'LA (code)',
  'LA (name)',
  'EstablishmentNumber',
  'EstablishmentName',
  'TypeOfEstablishment (name)',
  'EstablishmentStatus (name)',
  'CloseDate',
  'PhaseOfEducation (name)',
  'StatutoryLowAge',
  'StatutoryHighAge',
  'Town',
  'Postcode',
];

export function giasExtractBytes(rows: readonly GiasExtractRow[]): Uint8Array {
  return encodeWindows1252(
    toCsv(
      HEADER,
      rows.map((r) => [
        r.urn,
        r.laCode,
        r.laName,
        String(2000 + (r.urn % 7000)),
        r.name,
        r.type ?? 'Community school',
        r.status,
        r.status === 'Closed' ? '31-08-2024' : '',
        r.phase,
        '',
        '',
        '',
        '',
      ]),
    ),
  );
}

const PHASE_TYPES: Readonly<Record<string, [phase: string, type: string]>> = {
  Nursery: ['Nursery', 'Local authority nursery school'],
  Primary: ['Primary', 'Community school'],
  Secondary: ['Secondary', 'Academy converter'],
  // GIAS gives special schools no phase: "Not applicable", with the school's type saying special.
  Special: ['Not applicable', 'Community special school'],
  '16 plus': ['16 plus', 'Further education'],
};

/** The demo's schools as the extract GIAS would publish for them. */
export function demoGiasExtract(data: Pick<DemoData, 'organisations' | 'schools'>): Uint8Array {
  const las = new Map(data.organisations.map((o) => [o.key, o]));
  return giasExtractBytes(
    data.schools.map((s) => {
      const la = las.get(s.organisationKey)!;
      const [phase, type] = PHASE_TYPES[s.phase]!;
      return {
        urn: s.urn,
        name: s.name,
        laCode: la.laCode!,
        laName: la.name,
        phase,
        type,
        status: s.status === 'closed' ? 'Closed' : 'Open',
      };
    }),
  );
}

export const DEMO_GIAS_FILE_NAME = 'demo-edubasealldata.csv';
