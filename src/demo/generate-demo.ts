import { LOCAL_AUTHORITIES } from './data/local-authorities.ts';
import { DEFAULT_RETENTION, demoTime, toSeconds } from './demo-dates.ts';
import type { DemoData, DemoOrganisation, DemoRetention } from './demo-model.ts';
import { generateAccounts } from './generate-accounts.ts';
import { generateSchools } from './generate-schools.ts';
import { Random } from './random.ts';

/**
 * The demo of SPEC §14, generated from the data of data/ (what the demo shows: the LAs and
 * their stories, the named accounts, names, the account mix), a seed and `now`. PURE: everything
 * is drawn from a seeded PRNG (mulberry32), so the same `now` (and options) always gives the
 * same demo, ids included. Every date is relative to `now`. seed-demo.ts writes it.
 *
 * What it contains:
 * - a central support organisation and five real English LAs with their DfE LA codes;
 * - 18–28 generated schools per LA (unique 6-digit URNs, all five phases, one or two closed)
 *   and 2–3 school groups per LA (generate-schools.ts);
 * - a few hundred generated accounts of every Type of User, with the type's default privileges
 *   and occasional deviations, last sign-ins spread over 0–40 months, some never signed in,
 *   some archived for each reason with the deletion date of R33, a few restored
 *   (generate-accounts.ts, generate-history.ts);
 * - placed accounts, so that on any date the demo shows an archive due this week, an access end
 *   date this month and an administrator's first warning in three days;
 * - the named demo accounts printed for newcomers, with known passwords and TOTP secrets.
 *   Their credentials come from a separate PRNG stream, so they never depend on `now`.
 *
 * This is the history as generated: demo-lifecycle.ts then brings it to the state the nightly
 * job would have left it in on `now` (warnings sent, archives and deletions done).
 */

export const DEMO_SEED = 0x4e455855; // "NEXU"

export interface GenerateDemoOptions {
  supportName?: string;
  retention?: DemoRetention;
  seed?: number;
}

export function generateDemo(now: Date, options: GenerateDemoOptions = {}): DemoData {
  const supportName = options.supportName?.trim() || 'NCER Support';
  const seed = options.seed ?? DEMO_SEED;
  const at = toSeconds(now);
  const rng = new Random(seed);
  const time = demoTime(at, rng);
  const organisations = demoOrganisations(supportName, time.monthsAgo);
  const organisationByKey = new Map(organisations.map((o) => [o.key, o]));
  const schools = generateSchools(rng, time, organisationByKey);
  const { accounts, demoAccounts } = generateAccounts({
    rng,
    credentialRng: new Random(seed ^ 0x5eed_c0de),
    time,
    retention: options.retention ?? DEFAULT_RETENTION,
    organisations: organisationByKey,
    schools,
  });
  return {
    now: at,
    organisations,
    schools: schools.schools,
    schoolGroups: schools.schoolGroups,
    accounts,
    demoAccounts,
  };
}

/** The central support organisation (`central`), then the LAs (`la0`, `la1`… in LOCAL_AUTHORITIES' order). */
function demoOrganisations(supportName: string, monthsAgo: (months: number) => Date): DemoOrganisation[] {
  const centralSlug = slugify(supportName);
  return [
    {
      key: 'central',
      kind: 'central',
      laCode: null,
      name: supportName,
      slug: centralSlug,
      emailDomain: `${centralSlug}.org.uk`,
      createdAt: monthsAgo(48.5),
    },
    ...LOCAL_AUTHORITIES.map((la, i): DemoOrganisation => ({
      key: `la${i}`,
      kind: 'la',
      laCode: la.code,
      name: la.name,
      slug: la.slug,
      emailDomain: `${la.slug}.gov.uk`,
      createdAt: monthsAgo(48.2 - i * 0.05),
    })),
  ];
}

function slugify(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'support'
  );
}
