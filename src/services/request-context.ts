/** Where a call came from, for the audit log (R50) and throttling (R53). */
export interface RequestContext {
  readonly ip: string | null;
  readonly userAgent: string | null;
  readonly requestId: string | null;
}

export const SYSTEM_CONTEXT: RequestContext = { ip: null, userAgent: null, requestId: null };
