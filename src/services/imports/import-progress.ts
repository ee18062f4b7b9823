/**
 * How far a long import has gone, told as it goes, so that the command line can show it (a GIAS
 * extract is some 50,000 rows). `read`: rows parsed from the file; `written`: rows stored so far,
 * of `of`. The pages pass nothing: an import from the browser answers when it is done.
 */
export type ImportProgressEvent =
  | { readonly stage: 'read'; readonly rows: number }
  | { readonly stage: 'written'; readonly rows: number; readonly of: number };

export type ImportProgress = (event: ImportProgressEvent) => void;

export const NO_PROGRESS: ImportProgress = () => {};
