import { LOCAL_AUTHORITIES } from './data/local-authorities.ts';
import {
  DEMO_SCHOOL_PHASES,
  PHASE_WEIGHTS,
  SAINTS,
  SCHOOL_NAME_PATTERNS,
  SPECIAL_SUFFIXES,
  TREES,
  type DemoSchoolPhase,
} from './data/schools.ts';
import type { DemoTime } from './demo-dates.ts';
import type { DemoOrganisation, DemoSchool, DemoSchoolGroup } from './demo-model.ts';
import type { Random } from './random.ts';

/** The generated schools and school groups, with the indexes the account generator draws from. */
export interface GeneratedSchools {
  schools: DemoSchool[];
  schoolGroups: DemoSchoolGroup[];
  /** By organisation key: the LA's open schools, in name order. */
  openSchoolsByOrg: Map<string, DemoSchool[]>;
  groupsByOrg: Map<string, DemoSchoolGroup[]>;
}

/**
 * Each LA's schools (LOCAL_AUTHORITIES' range; one of each phase, the rest by PHASE_WEIGHTS; unique
 * names and 6-digit URNs; one or two closed, never the first of a phase) in name order, and its 2–3
 * school groups: a primary cluster, the secondary and post-16 schools, and often "Schools causing concern".
 */
export function generateSchools(
  rng: Random,
  time: DemoTime,
  organisations: ReadonlyMap<string, DemoOrganisation>,
): GeneratedSchools {
  const { monthsAgo, between } = time;
  const schools: DemoSchool[] = [];
  const schoolGroups: DemoSchoolGroup[] = [];
  const usedUrns = new Set<number>();
  const openSchoolsByOrg = new Map<string, DemoSchool[]>();
  const groupsByOrg = new Map<string, DemoSchoolGroup[]>();

  LOCAL_AUTHORITIES.forEach((la, i) => {
    const orgKey = `la${i}`;
    const org = organisations.get(orgKey)!;
    const count = rng.int(la.schools[0], la.schools[1]);
    const phases: DemoSchoolPhase[] = [...DEMO_SCHOOL_PHASES];
    while (phases.length < count) phases.push(rng.weighted(PHASE_WEIGHTS));
    const names = new Set<string>();
    const closedCount = rng.int(1, 2);
    const closedAt = new Set(
      rng.sample(
        [...phases.keys()].filter((k) => k >= 5),
        closedCount,
      ),
    );
    const laSchools: DemoSchool[] = [];
    phases.forEach((phase, k) => {
      let name = '';
      for (let attempt = 0; attempt < 50 && (name === '' || names.has(name)); attempt++)
        name = schoolName(rng, phase, la.places);
      if (names.has(name)) name = `${name} ${k + 1}`;
      names.add(name);
      let urn = rng.int(100000, 149999);
      while (usedUrns.has(urn)) urn = rng.int(100000, 149999);
      usedUrns.add(urn);
      const closed = closedAt.has(k);
      laSchools.push({
        urn,
        organisationKey: orgKey,
        name,
        phase,
        status: closed ? 'closed' : 'open',
        updatedAt: closed ? monthsAgo(rng.between(2, 30)) : between(org.createdAt, monthsAgo(1)),
      });
    });
    laSchools.sort((a, b) => a.name.localeCompare(b.name));
    schools.push(...laSchools);
    const open = laSchools.filter((s) => s.status === 'open');
    openSchoolsByOrg.set(orgKey, open);

    const groups: DemoSchoolGroup[] = [];
    const place = rng.pick(la.places);
    const secondaries = open.filter((s) => s.phase === 'Secondary' || s.phase === '16 plus');
    const primaries = open.filter((s) => s.phase === 'Primary' || s.phase === 'Nursery');
    groups.push({
      key: `${orgKey}:g0`,
      organisationKey: orgKey,
      name: `${place} primary cluster`,
      createdAt: monthsAgo(rng.between(30, 46)),
      schoolUrns: rng.sample(primaries, rng.int(5, 8)).map((s) => s.urn),
    });
    groups.push({
      key: `${orgKey}:g1`,
      organisationKey: orgKey,
      name: 'Secondary and post-16',
      createdAt: monthsAgo(rng.between(30, 46)),
      schoolUrns: secondaries.map((s) => s.urn),
    });
    if (rng.chance(0.7)) {
      groups.push({
        key: `${orgKey}:g2`,
        organisationKey: orgKey,
        name: 'Schools causing concern',
        createdAt: monthsAgo(rng.between(3, 20)),
        schoolUrns: rng.sample(open, rng.int(3, 5)).map((s) => s.urn),
      });
    }
    schoolGroups.push(...groups);
    groupsByOrg.set(orgKey, groups);
  });
  return { schools, schoolGroups, openSchoolsByOrg, groupsByOrg };
}

/** A school's name by its phase's patterns (data/schools.ts); draws the place and the saint first, always. */
function schoolName(rng: Random, phase: DemoSchoolPhase, places: readonly string[]): string {
  const place = rng.pick(places);
  const saint = rng.pick(SAINTS);
  if (phase === 'Special') return `${rng.pick(TREES)} ${rng.pick(SPECIAL_SUFFIXES)} School`;
  return rng
    .pick(SCHOOL_NAME_PATTERNS[phase])
    .replace(/\{(place|saint)\}/g, (_match: string, key: string) => (key === 'place' ? place : saint));
}
