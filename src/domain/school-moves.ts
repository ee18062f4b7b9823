import { isSchoolRole, schoolRoleLabel } from './school-roles.ts';

/**
 * A school that GIAS moves to another Local Authority (a boundary change, a mistake put right).
 * The import moves the school; the old LA's accounts keep their assignments to it, because only
 * their LA knows whether the work goes on (a Link Adviser may still visit until the term ends):
 * the import lists them, and the old LA's digest lists them until an administrator removes them.
 */

export interface LaRef {
  readonly code: string | null;
  readonly name: string;
}

export interface KeptAssignment {
  readonly accountId: string;
  readonly username: string;
  readonly role: string;
  readonly archived: boolean;
}

export interface SchoolMove {
  readonly urn: number;
  readonly name: string;
  readonly from: LaRef;
  readonly to: LaRef;
  /** The assignments of the old LA's accounts, which stay. */
  readonly kept: readonly KeptAssignment[];
}

const la = (ref: LaRef) => (ref.code ? `${ref.name} (${ref.code})` : ref.name);

/** A stored role by its label; one the list no longer has, as stored. */
export function schoolRoleText(role: string): string {
  return isSchoolRole(role) ? schoolRoleLabel(role) : role;
}

/** An assignment as people read it: "jo.bloggs (Link Adviser, archived)". */
export function keptAssignmentText(a: KeptAssignment): string {
  return `${a.username} (${schoolRoleText(a.role)}${a.archived ? ', archived' : ''})`;
}

/** What the import report says of a move (one sentence or two). */
export function schoolMoveText(move: SchoolMove, listed = 20): string {
  const moved = `URN ${move.urn} ${move.name} moved from ${la(move.from)} to ${la(move.to)}.`;
  const n = move.kept.length;
  if (n === 0) return `${moved} No account of ${move.from.name} was assigned to it.`;
  const names = move.kept.slice(0, listed).map(keptAssignmentText).join(', ');
  const more = n > listed ? ` and ${n - listed} more` : '';
  const keep = n === 1 ? 'An account of X keeps its assignment' : `${n} accounts of X keep their assignments`;
  return `${moved} ${keep.replace('X', move.from.name)} to it: ${names}${more}.`;
}
