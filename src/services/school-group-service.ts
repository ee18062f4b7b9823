import { sql } from 'kysely';
import type { Executor } from '../data/database.ts';
import { findOrganisation } from '../data/queries/account-queries.ts';
import { schoolsOfOrganisation } from '../data/queries/user-detail-queries.ts';
import type { Actor } from '../domain/access.ts';
import { NotFoundError, ValidationError } from '../domain/errors.ts';
import { authorise } from '../domain/access.ts';
import { audit, who } from './audit.ts';
import type { ServiceDeps } from './deps.ts';
import { organisationInScope } from './organisation-scope.ts';
import type { RequestContext } from './request-context.ts';

export interface GroupInput {
  name?: string;
  schoolIds?: readonly string[];
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** School groups of an LA (R3, R10), managed by holders of manage_school_groups. */
export function createSchoolGroupService(deps: ServiceDeps) {
  const { db, clock } = deps;

  const organisationFor = (actor: Actor, la: string | undefined) =>
    organisationInScope(db, actor, la, 'school-groups.manage');

  async function groupFor(actor: Actor, id: string) {
    if (!/^[0-9]{1,9}$/.test(id)) throw new NotFoundError();
    const group = await db.selectFrom('school_groups').selectAll().where('id', '=', Number(id)).executeTakeFirst();
    if (!group) throw new NotFoundError();
    authorise(actor, 'school-groups.manage', { organisationId: group.organisation_id });
    return group;
  }

  function validate(input: GroupInput): { name: string; schoolIds: number[] } {
    const errors: Record<string, string> = {};
    const name = (input.name ?? '').trim();
    if (!name) errors.name = 'Enter a name for the school group';
    else if (name.length > 100) errors.name = 'Name must be 100 characters or fewer';
    else if (CONTROL.test(name)) errors.name = 'Name must not include line breaks or control characters';
    const ids = [...new Set(input.schoolIds ?? [])];
    if (ids.some((s) => !/^[0-9]{1,9}$/.test(s)) || ids.length > 5000)
      errors.schoolIds = 'Select schools from the list';
    if (Object.keys(errors).length > 0) throw new ValidationError(errors);
    return { name, schoolIds: ids.map(Number) };
  }

  async function memberCheck(trx: Executor, organisationId: number, schoolIds: number[]) {
    if (schoolIds.length === 0) return;
    const found = await trx
      .selectFrom('schools')
      .select('id')
      .where('organisation_id', '=', organisationId)
      .where('id', 'in', schoolIds)
      .execute();
    if (found.length !== schoolIds.length)
      throw new ValidationError({ schoolIds: 'Select schools of this Local Authority' });
  }

  return {
    async list(actor: Actor, la?: string) {
      const organisation = await organisationFor(actor, la);
      const groups = await db
        .selectFrom('school_groups')
        .select([
          'school_groups.id',
          'school_groups.name',
          sql<string>`(SELECT count(*) FROM school_group_schools s WHERE s.school_group_id = school_groups.id)`.as(
            'schools',
          ),
          sql<string>`(SELECT count(*) FROM account_school_groups a WHERE a.school_group_id = school_groups.id)`.as(
            'accounts',
          ),
        ])
        .where('organisation_id', '=', organisation.id)
        .orderBy('name')
        .execute();
      return {
        organisation,
        groups: groups.map((g) => ({ ...g, schools: Number(g.schools), accounts: Number(g.accounts) })),
      };
    },

    async form(actor: Actor, options: { la?: string; id?: string }) {
      const group = options.id ? await groupFor(actor, options.id) : undefined;
      const organisation = group
        ? (await findOrganisation(db, group.organisation_id))!
        : await organisationFor(actor, options.la);
      const schools = await schoolsOfOrganisation(db, organisation.id);
      const members = group
        ? (
            await db
              .selectFrom('school_group_schools')
              .select('school_id')
              .where('school_group_id', '=', group.id)
              .execute()
          ).map((r) => r.school_id)
        : [];
      const defaultFor = group
        ? await db
            .selectFrom('accounts')
            .select(['id', 'first_name', 'last_name'])
            .where('default_school_group_id', '=', group.id)
            .orderBy('last_name')
            .execute()
        : [];
      return { organisation, group, schools, members, defaultFor };
    },

    async create(actor: Actor, la: string | undefined, input: GroupInput, ctx: RequestContext): Promise<number> {
      const organisation = await organisationFor(actor, la);
      const { name, schoolIds } = validate(input);
      const now = clock.now();
      return db.transaction().execute(async (trx) => {
        await memberCheck(trx, organisation.id, schoolIds);
        const clash = await trx
          .selectFrom('school_groups')
          .select('id')
          .where('organisation_id', '=', organisation.id)
          .where('name', '=', name)
          .executeTakeFirst();
        if (clash) throw new ValidationError({ name: 'A school group with this name already exists' });
        const group = await trx
          .insertInto('school_groups')
          .values({ organisation_id: organisation.id, name, created_at: now })
          .returning('id')
          .executeTakeFirstOrThrow();
        if (schoolIds.length > 0)
          await trx
            .insertInto('school_group_schools')
            .values(schoolIds.map((school_id) => ({ school_group_id: group.id, school_id })))
            .execute();
        await audit(trx, who(actor), ctx, now, {
          action: 'school-group.created',
          organisationId: organisation.id,
          subjectAccountId: null,
          details: { group: name, schools: schoolIds.length },
        });
        return group.id;
      });
    },

    async update(actor: Actor, id: string, input: GroupInput, ctx: RequestContext): Promise<void> {
      const group = await groupFor(actor, id);
      const { name, schoolIds } = validate(input);
      const now = clock.now();
      await db.transaction().execute(async (trx) => {
        await memberCheck(trx, group.organisation_id, schoolIds);
        const clash = await trx
          .selectFrom('school_groups')
          .select('id')
          .where('organisation_id', '=', group.organisation_id)
          .where('name', '=', name)
          .where('id', '!=', group.id)
          .executeTakeFirst();
        if (clash) throw new ValidationError({ name: 'A school group with this name already exists' });
        await trx.updateTable('school_groups').set({ name }).where('id', '=', group.id).execute();
        await trx.deleteFrom('school_group_schools').where('school_group_id', '=', group.id).execute();
        if (schoolIds.length > 0)
          await trx
            .insertInto('school_group_schools')
            .values(schoolIds.map((school_id) => ({ school_group_id: group.id, school_id })))
            .execute();
        await audit(trx, who(actor), ctx, now, {
          action: 'school-group.changed',
          organisationId: group.organisation_id,
          subjectAccountId: null,
          details: { name: [group.name, name], schools: schoolIds.length },
        });
      });
    },

    /** Deleting a group unassigns it and clears it as anyone's default (R10, by the schema's SET NULL). */
    async remove(actor: Actor, id: string, ctx: RequestContext): Promise<{ name: string; defaultsCleared: number }> {
      const group = await groupFor(actor, id);
      const now = clock.now();
      return db.transaction().execute(async (trx) => {
        const defaults = await trx
          .selectFrom('accounts')
          .select('id')
          .where('default_school_group_id', '=', group.id)
          .execute();
        await trx.deleteFrom('school_groups').where('id', '=', group.id).execute();
        await audit(trx, who(actor), ctx, now, {
          action: 'school-group.deleted',
          organisationId: group.organisation_id,
          subjectAccountId: null,
          details: { group: group.name, defaultsCleared: defaults.length },
        });
        for (const account of defaults) {
          await audit(trx, who(actor), ctx, now, {
            action: 'account.details-changed',
            organisationId: group.organisation_id,
            subjectAccountId: account.id,
            details: { changes: { defaultSchoolGroup: [group.name, null] } },
          });
        }
        return { name: group.name, defaultsCleared: defaults.length };
      });
    },
  };
}
