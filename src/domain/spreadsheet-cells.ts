import { parseDateOnly } from './calendar.ts';

/**
 * What spreadsheets do to cells when they save a CSV in an English locale, undone where the
 * meaning is certain (a UK date) and named where it is not (a phone number that lost its 0). Pure.
 */

/** The one message for a date cell neither form reads. */
export const SPREADSHEET_DATE_HINT = 'Enter a real date, like 31/03/2027 or 2027-03-31';

/**
 * A date cell as YYYY-MM-DD: ISO as it is, or DD/MM/YYYY as Excel and LibreOffice save a date
 * in a UK locale (LibreOffice's default is DD/MM/YY: a two-digit year is 20YY, the only century
 * an agreement or an access end date of this service can fall in). Empty stays empty.
 */
export function spreadsheetDate(raw: string | undefined): { date: string; error?: string } {
  const value = (raw ?? '').trim();
  if (value === '') return { date: '' };
  const uk = /^(\d{1,2})\/(\d{1,2})\/(\d{4}|\d{2})$/.exec(value);
  const iso = uk
    ? `${uk[3]!.length === 2 ? `20${uk[3]}` : uk[3]}-${uk[2]!.padStart(2, '0')}-${uk[1]!.padStart(2, '0')}`
    : value;
  const date = parseDateOnly(iso);
  return date ? { date } : { date: '', error: SPREADSHEET_DATE_HINT };
}

/**
 * A phone cell that a spreadsheet turned into a number: the leading 0 (or +) is gone, or it is in
 * scientific notation. Not repaired, since the digits that were lost cannot be known for sure: the
 * row is refused with this message so that the person fixes the column.
 */
export function phoneSavedAsNumber(raw: string | undefined): string | undefined {
  const value = (raw ?? '').trim();
  const fix = 'Write the number in full, like 01632 960 001, in a column formatted as Text.';
  if (/^\d(?:\.\d+)?E\+?\d+$/i.test(value))
    return `The phone number ${value} was saved as a number in scientific notation, which loses digits. ${fix}`;
  if (/^[1-9]\d{5,}$/.test(value))
    return `The phone number ${value} has lost its leading 0 (or +): a spreadsheet drops it when it keeps a phone number as a number. ${fix}`;
  return undefined;
}
