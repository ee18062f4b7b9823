import { sql, type RawBuilder } from 'kysely';
import { filterValueType, type FilterAttribute, type ScimFilter } from '../../domain/scim-filter.ts';
import { isUuid } from './account-queries.ts';
import type { Account, Executor } from '../database.ts';

type TextAttribute = Exclude<
  FilterAttribute,
  'active' | 'emails.primary' | 'phoneNumbers.primary' | 'meta.created' | 'meta.lastModified'
>;

/** A phone is present when it is neither NULL nor empty. */
const HAS_PHONE = sql<boolean>`(phone IS NOT NULL AND phone <> '')`;

/**
 * The text behind each filterable SCIM attribute, as toScimUser writes it; `exact` is SCIM caseExact
 * (externalId, id). Nexus keeps one email and one phone, each returned as the primary "work" entry.
 */
const COLUMNS: Record<TextAttribute, { text: RawBuilder<unknown>; exact: boolean; present: RawBuilder<boolean> }> = {
  id: { text: sql`id::text`, exact: true, present: sql<boolean>`true` },
  userName: { text: sql`username::text`, exact: false, present: sql<boolean>`true` },
  externalId: {
    text: sql`external_id`,
    exact: true,
    present: sql<boolean>`(external_id IS NOT NULL AND external_id <> '')`,
  },
  'name.givenName': { text: sql`first_name`, exact: false, present: sql<boolean>`true` },
  'name.familyName': { text: sql`last_name`, exact: false, present: sql<boolean>`true` },
  displayName: { text: sql`(first_name || ' ' || last_name)`, exact: false, present: sql<boolean>`true` },
  'name.formatted': { text: sql`(first_name || ' ' || last_name)`, exact: false, present: sql<boolean>`true` },
  'emails.value': { text: sql`email`, exact: false, present: sql<boolean>`true` },
  'emails.type': { text: sql`'work'::text`, exact: false, present: sql<boolean>`true` },
  title: { text: sql`job_title`, exact: false, present: sql<boolean>`(job_title IS NOT NULL AND job_title <> '')` },
  'phoneNumbers.value': { text: sql`phone`, exact: false, present: HAS_PHONE },
  'phoneNumbers.type': { text: sql`CASE WHEN ${HAS_PHONE} THEN 'work' END`, exact: false, present: HAS_PHONE },
};

/** meta.created and meta.lastModified, compared at the millisecond that toScimUser writes. */
const DATES = {
  'meta.created': sql`date_trunc('milliseconds', created_at)`,
  'meta.lastModified': sql`date_trunc('milliseconds', updated_at)`,
} as const;

const ORDER = { gt: '>', ge: '>=', lt: '<', le: '<=', eq: '=', ne: 'IS DISTINCT FROM' } as const;

function booleanCondition(filter: Extract<ScimFilter, { kind: 'compare' }>): RawBuilder<boolean> {
  const wanted = filter.value === (filter.op === 'eq');
  // primary is true of the one email, and of the phone when there is one.
  const holds =
    filter.attribute === 'active'
      ? sql<boolean>`status = 'active'`
      : filter.attribute === 'emails.primary'
        ? sql<boolean>`true`
        : HAS_PHONE;
  return wanted ? holds : sql<boolean>`NOT ${holds}`;
}

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
      if (filterValueType(filter.attribute) !== 'string')
        return filter.attribute === 'phoneNumbers.primary' ? HAS_PHONE : sql<boolean>`true`;
      return COLUMNS[filter.attribute as TextAttribute].present;
    }
    case 'compare': {
      const type = filterValueType(filter.attribute);
      if (type === 'boolean') return booleanCondition(filter);
      const value = String(filter.value);
      if (type === 'dateTime') {
        const op = ORDER[filter.op as keyof typeof ORDER];
        return sql<boolean>`${DATES[filter.attribute as keyof typeof DATES]} ${sql.raw(op)} ${value}::timestamptz`;
      }
      // An id that is not a UUID matches nothing, rather than failing the uuid cast.
      if (filter.attribute === 'id' && (filter.op === 'eq' || filter.op === 'ne') && !isUuid(value))
        return sql<boolean>`${filter.op === 'ne'}`;
      const c = COLUMNS[filter.attribute as TextAttribute];
      const [left, right] = c.exact
        ? [c.text, sql`${value}::text`]
        : [sql`lower(${c.text})`, sql`lower(${value}::text)`];
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
        default:
          // The parser allows ordering on dates only.
          return sql<boolean>`false`;
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
  // An account the identity system deleted is gone for it (RFC 7644 §3.6), though the LA keeps it archived.
  const base = db
    .selectFrom('accounts')
    .where('organisation_id', '=', organisationId)
    .where('deprovisioned_at', 'is', null)
    .where(where);
  const total = await base.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  const rows =
    limit === 0 ? [] : await base.selectAll().orderBy('created_at').orderBy('id').offset(offset).limit(limit).execute();
  return { total: Number(total.n), rows };
}
