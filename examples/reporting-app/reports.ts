import type { Person, School } from './person.ts';

/**
 * The demo reports and the Nexus privilege each needs. Which reports a person may open is decided
 * here, on the server, from the current claims: hiding a link is not enough.
 */

export interface Report {
  readonly slug: string;
  readonly title: string;
  readonly description: string;
  readonly privilege: string;
}

export const REPORTS: readonly Report[] = [
  {
    slug: 'school-census-summary',
    title: 'School census summary',
    description: 'Numbers on roll, year groups and attendance, school by school.',
    privilege: 'summary_reports',
  },
  {
    slug: 'pupil-level-attainment',
    title: 'Pupil-level attainment',
    description: 'Each pupil’s results at key stages 2 and 4.',
    privilege: 'pupil_level',
  },
  {
    slug: 'children-in-need-and-looked-after',
    title: 'Children in Need and Children Looked After',
    description: 'Pupils known to children’s social care, and the Virtual School’s cohort.',
    privilege: 'cin_cla',
  },
];

/** The reports the person may open, each for every one of their schools. */
export function reportsFor(person: Person): readonly Report[] {
  return REPORTS.filter((r) => person.privileges.includes(r.privilege));
}

/** One report of one school, if the person may open it; undefined otherwise. */
export function reportOfSchool(
  person: Person,
  slug: string,
  urn: number,
): { report: Report; school: School } | undefined {
  const report = reportsFor(person).find((r) => r.slug === slug);
  const school = person.schools.find((s) => s.urn === urn);
  return report && school ? { report, school } : undefined;
}
