import { sql, type RawBuilder } from 'kysely';
import type { FilterAttribute, ScimFilter } from '../../domain/scim-filter.ts';
import { isUuid } from './account-queries.ts';
import type { Account, Executor } from '../database.ts';

/** Columns behind the filterable SCIM attributes; `exact` is SCIM caseExact (externalId, id). */
const COLUMNS: Record<Exclude<FilterAttribute, 'active'>, { column: string; exact: boolean; required: boolean }> = {
  id: { column: 'id', exact: true, required: true },
  userName: { column: 'username', exact: false, required: true },
  externalId: { column: 'external_id', exact: true, required: false },
  'name.givenName': { column: 'first_name', exact: false, required: true },
  'name.familyName': { column: 'last_name', exact: false, required: true },
  'emails.value': { column: 'email', exact: false, required: true },
  title: { column: 'job_title', exact: false, required: false },
  'phoneNumbers.value': { column: 'phone', exact: false, required: false },
};

function condition(filter: ScimFilter): RawBuilder<boolean> {
  switch (filter.kind) {
    case 'and':
      return sql<boolean>`(${condition(filter.left)} AND ${condition(filter.right)})`;
    case 'or':
      return sql<boolean>`(${condition(filter.left)} OR ${condition(filter.right)})`;
    // COALESCE: a comparison with a missing value is false, so its negation is true.
    case 'not':
      return sql<boolean>`NOT COALESCE(${condition(filter.filter)}, false)`;
    case 'present': {
      if (filter.attribute === 'active') return sql<boolean>`true`;
      const c = COLUMNS[filter.attribute];
      return c.required
        ? sql<boolean>`true`
        : sql<boolean>`(${sql.ref(c.column)} IS NOT NULL AND ${sql.ref(c.column)} <> '')`;
    }
    case 'compare': {
      if (filter.attribute === 'active') {
        const wanted = filter.value === (filter.op === 'eq') ? 'active' : 'archived';
        return sql<boolean>`status = ${wanted}`;
      }
      const value = String(filter.value);
      // An id that is not a UUID matches nothing, rather than failing the uuid cast.
      if (filter.attribute === 'id' && (filter.op === 'eq' || filter.op === 'ne') && !isUuid(value))
        return sql<boolean>`${filter.op === 'ne'}`;
      const c = COLUMNS[filter.attribute];
      const column = sql`${sql.ref(c.column)}::text`;
      const [left, right] = c.exact
        ? [column, sql`${value}::text`]
        : [sql`lower(${column})`, sql`lower(${value}::text)`];
      switch (filter.op) {
        case 'eq':
          return sql<boolean>`${left} = ${right}`;
        case 'ne':
          return sql<boolean>`${left} IS DISTINCT FROM ${right}`;
        case 'co':
          return sql<boolean>`strpos(${left}, ${right}) > 0`;
        case 'sw':
          return sql<boolean>`left(${left}, length(${right})) = ${right}`;
        case 'ew':
          return sql<boolean>`right(${left}, length(${right})) = ${right}`;
      }
    }
  }
}

/** One page of an LA's accounts matching a SCIM filter, oldest first so pages are stable. */
export async function findAccountsByScimFilter(
  db: Executor,
  organisationId: number,
  filter: ScimFilter | undefined,
  offset: number,
  limit: number,
): Promise<{ total: number; rows: Account[] }> {
  const where = filter ? condition(filter) : sql<boolean>`true`;
  const base = db.selectFrom('accounts').where('organisation_id', '=', organisationId).where(where);
  const total = await base.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  const rows =
    limit === 0 ? [] : await base.selectAll().orderBy('created_at').orderBy('id').offset(offset).limit(limit).execute();
  return { total: Number(total.n), rows };
}
