import type { Executor } from '../../data/database.ts';
import { findOrganisation } from '../../data/queries/account-queries.ts';
import {
  accountIdsDefaultingTo,
  accountsDefaultingTo,
  deleteSchoolGroup,
  findSchoolGroup,
  insertSchoolGroup,
  schoolGroupNamed,
  schoolGroupsWithCounts,
  schoolIdsOfGroup,
  updateSchoolGroup,
} from '../../data/queries/school-group-queries.ts';
import { schoolIdsOfOrganisation } from '../../data/queries/school-queries.ts';
import { schoolsOfOrganisation } from '../../data/queries/user-detail-queries.ts';
import type { Actor } from '../../domain/access.ts';
import { NotFoundError, ValidationError } from '../../domain/errors.ts';
import { authorise } from '../../domain/access.ts';
import { audit, who } from '../audit.ts';
import type { ServiceDeps } from '../deps.ts';
import { organisationInScope } from '../organisation-scope.ts';
import type { RequestContext } from '../request-context.ts';

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
    const group = await findSchoolGroup(db, Number(id));
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
    const found = await schoolIdsOfOrganisation(trx, organisationId, schoolIds);
    if (found.length !== schoolIds.length)
      throw new ValidationError({ schoolIds: 'Select schools of this Local Authority' });
  }

  return {
    async list(actor: Actor, la?: string) {
      const organisation = await organisationFor(actor, la);
      const groups = await schoolGroupsWithCounts(db, organisation.id);
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
      const members = group ? await schoolIdsOfGroup(db, group.id) : [];
      const defaultFor = group ? await accountsDefaultingTo(db, group.id) : [];
      return { organisation, group, schools, members, defaultFor };
    },

    async create(actor: Actor, la: string | undefined, input: GroupInput, ctx: RequestContext): Promise<number> {
      const organisation = await organisationFor(actor, la);
      const { name, schoolIds } = validate(input);
      const now = clock.now();
      return db.transaction().execute(async (trx) => {
        await memberCheck(trx, organisation.id, schoolIds);
        const clash = await schoolGroupNamed(trx, organisation.id, name);
        if (clash) throw new ValidationError({ name: 'A school group with this name already exists' });
        const groupId = await insertSchoolGroup(trx, { organisationId: organisation.id, name, schoolIds, now });
        await audit(trx, who(actor), ctx, now, {
          action: 'school-group.created',
          organisationId: organisation.id,
          subjectAccountId: null,
          details: { group: name, schools: schoolIds.length },
        });
        return groupId;
      });
    },

    async update(actor: Actor, id: string, input: GroupInput, ctx: RequestContext): Promise<void> {
      const group = await groupFor(actor, id);
      const { name, schoolIds } = validate(input);
      const now = clock.now();
      await db.transaction().execute(async (trx) => {
        await memberCheck(trx, group.organisation_id, schoolIds);
        const clash = await schoolGroupNamed(trx, group.organisation_id, name, group.id);
        if (clash) throw new ValidationError({ name: 'A school group with this name already exists' });
        await updateSchoolGroup(trx, group.id, name, schoolIds);
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
        const defaults = await accountIdsDefaultingTo(trx, group.id);
        await deleteSchoolGroup(trx, group.id);
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
