import type { Organisation } from '../data/database.ts';

/** How the API spells the things it returns: camelCase, no internal columns. */

export function organisationJson(organisation: Pick<Organisation, 'la_code' | 'name'>) {
  return { laCode: organisation.la_code, name: organisation.name };
}

export function schoolJson(school: { urn: number; name: string; role: string; status: string }) {
  return { urn: school.urn, name: school.name, role: school.role, status: school.status };
}
