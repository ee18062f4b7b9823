/**
 * Typed domain errors. The web layer maps each kind to an HTTP status and a GOV.UK error
 * summary in one place (web/plugins/error-handler.ts); nothing else decides status codes.
 */
import type { RowProblem } from './import-file.ts';

export type FieldErrors = Readonly<Record<string, string>>;

export abstract class DomainError extends Error {
  abstract readonly status: number;
}

/** Input that fails validation: shown next to each field. */
export class ValidationError extends DomainError {
  readonly status = 400;
  constructor(
    readonly fields: FieldErrors,
    message = 'There is a problem',
  ) {
    super(message);
  }
}

/** Sign-in failed: one message for every cause so nothing reveals which accounts exist (R53). */
export class AuthenticationError extends DomainError {
  readonly status = 401;
  constructor(message = GENERIC_SIGN_IN_FAILURE) {
    super(message);
  }
}

export const GENERIC_SIGN_IN_FAILURE = 'The username, password or security code is not correct';

export class ThrottledError extends DomainError {
  readonly status = 429;
  constructor(readonly retryAfterSeconds: number) {
    super(`Too many failed attempts. Wait ${Math.max(1, Math.ceil(retryAfterSeconds / 60))} minutes, then try again.`);
  }
}

/** Correct password for an archived account (R30): says so and names whom to ask. */
export class ArchivedAccountError extends DomainError {
  readonly status = 403;
  constructor(
    readonly administrators: readonly { name: string; email: string }[],
    readonly laName: string,
  ) {
    super('Your account has been archived');
  }
}

export class ForbiddenError extends DomainError {
  readonly status = 403;
  constructor(message = 'You do not have permission to do that') {
    super(message);
  }
}

/** Also used for other tenants' ids, so that their existence is not revealed (R4). */
export class NotFoundError extends DomainError {
  readonly status = 404;
  constructor(message = 'Page not found') {
    super(message);
  }
}

/** A business rule refused the change (e.g. last administrator, R17). */
export class RuleError extends DomainError {
  readonly status = 409;
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/**
 * Someone else changed the record after the caller read it (optimistic concurrency: the version
 * the caller saw is not the current one). Nothing was written.
 */
export class StaleVersionError extends DomainError {
  readonly status = 412;
  constructor(
    readonly currentVersion: number,
    message = 'Someone else changed this account after you opened it. Check its details now and make your change again.',
  ) {
    super(message);
  }
}

/** A single-use link that is unknown, used or expired. */
export class LinkExpiredError extends DomainError {
  readonly status = 410;
  constructor(message = 'This link has expired or has already been used') {
    super(message);
  }
}

/** Someone else changed the same record since it was read (optimistic concurrency): nothing was saved. */
export class ConflictError extends RuleError {}
/** A CSV import refused as a whole, with every problem found by line and column (R58). */
export class ImportRejectedError extends DomainError {
  readonly status = 400;
  constructor(
    readonly problems: readonly RowProblem[],
    /** What the import left out of the file (columns it does not know), said beside the problems. */
    readonly notices: readonly string[] = [],
  ) {
    super(
      `The file was not imported: ${problems.length === 1 ? 'there is 1 problem' : `there are ${problems.length} problems`}`,
    );
  }
}
