import pg from 'pg';
import { log } from './run.ts';

/**
 * The accounts of `npm run bench:admin-list`, generated inside PostgreSQL with generate_series:
 * a million rows in a few minutes, with no row passing through Node.
 *
 * - ~150 LAs. Three have fixed sizes — the big LA (50,000), a medium one (20,000) and a small
 *   one (5,000) — for "memory flat as the LA grows"; the rest share what is left (~6,400 each).
 * - Each LA's accounts are scattered over the whole table, as years of sign-ups from every LA
 *   leave them: account g goes to the LA of (g × PRIME) mod N, a permutation. Putting an LA's
 *   accounts side by side would make its list cheaper than a real one.
 * - Names from 100 first names and 200 surnames (some with apostrophes and hyphens) chosen by
 *   hash, so a surname search finds about 1 account in 200; usernames first.last.N and emails
 *   first.last.N@<la>.gov.uk as LAs issue them.
 * - Last sign-in over 0–40 months, skewed to the recent past (40·r^1.5 months, r uniform): about
 *   55% have not signed in for 12 months; 4% never signed in (counted from creation).
 *   Timestamps carry microseconds, as now() writes them.
 * - 8% archived (reason inactivity); Types of User in plausible shares, each with its default
 *   privileges in account_privileges; 85% enrolled in 2FA; a real argon2id hash on every account
 *   that has signed in (rows as wide as real ones).
 * - Warned accounts: active accounts inactive for 15–18 months get their warnings in
 *   lifecycle_notices (first, second, third by month), as the nightly job writes them.
 * - `lifecycle_due_at` is set on every account (not measured here; NULL would make the first
 *   nightly run compute it for all).
 */

export interface DataPlan {
  total: number;
  big: number;
  medium: number;
  small: number;
  las: number;
}

export interface GeneratedLa {
  id: number;
  code: string;
  accounts: number;
}

export interface Generated {
  big: GeneratedLa;
  medium: GeneratedLa;
  small: GeneratedLa;
  /** The surname the free-text search looks for (about 1 account in 200 has it). */
  searchText: string;
  seconds: number;
}

const FIRST_NAMES = [
  'Oliver',
  'George',
  'Harry',
  'Jack',
  'Jacob',
  'Noah',
  'Charlie',
  'Muhammad',
  'Thomas',
  'Oscar',
  'William',
  'James',
  'Henry',
  'Leo',
  'Alfie',
  'Joshua',
  'Freddie',
  'Archie',
  'Ethan',
  'Isaac',
  'Alexander',
  'Joseph',
  'Edward',
  'Samuel',
  'Max',
  'Daniel',
  'Arthur',
  'Lucas',
  'Mohammed',
  'Logan',
  'David',
  'Michael',
  'Paul',
  'Mark',
  'Andrew',
  'Richard',
  'Stephen',
  'Peter',
  'Christopher',
  'Simon',
  'Olivia',
  'Amelia',
  'Isla',
  'Ava',
  'Emily',
  'Isabella',
  'Mia',
  'Poppy',
  'Ella',
  'Lily',
  'Sophia',
  'Grace',
  'Evie',
  'Jessica',
  'Chloe',
  'Sophie',
  'Ruby',
  'Freya',
  'Charlotte',
  'Daisy',
  'Florence',
  'Alice',
  'Sienna',
  'Phoebe',
  'Matilda',
  'Evelyn',
  'Harper',
  'Sarah',
  'Emma',
  'Rachel',
  'Laura',
  'Helen',
  'Claire',
  'Karen',
  'Susan',
  'Julie',
  'Nicola',
  'Joanne',
  'Amanda',
  'Rebecca',
  'Priya',
  'Aisha',
  'Fatima',
  'Zainab',
  'Anjali',
  'Niamh',
  'Siobhan',
  'Aoife',
  'Ciara',
  'Rhiannon',
  'Seren',
  'Catrin',
  'Agnieszka',
  'Katarzyna',
  'Ioana',
  'Elena',
  'Maria',
  'Ana',
  'Chidi',
  'Ngozi',
  'Kwame',
];

const SURNAMES = [
  'Smith',
  'Jones',
  'Williams',
  'Taylor',
  'Brown',
  'Davies',
  'Evans',
  'Wilson',
  'Thomas',
  'Johnson',
  'Roberts',
  'Robinson',
  'Thompson',
  'Wright',
  'Walker',
  'White',
  'Edwards',
  'Hughes',
  'Green',
  'Hall',
  'Lewis',
  'Harris',
  'Clarke',
  'Patel',
  'Jackson',
  'Wood',
  'Turner',
  'Martin',
  'Cooper',
  'Hill',
  'Ward',
  'Morris',
  'Moore',
  'Clark',
  'Lee',
  'King',
  'Baker',
  'Harrison',
  'Morgan',
  'Allen',
  'James',
  'Scott',
  'Phillips',
  'Watson',
  'Davis',
  'Parker',
  'Price',
  'Bennett',
  'Young',
  'Griffiths',
  'Mitchell',
  'Kelly',
  'Cook',
  'Carter',
  'Richardson',
  'Bailey',
  'Collins',
  'Bell',
  'Shaw',
  'Murphy',
  'Miller',
  'Cox',
  'Richards',
  'Khan',
  'Marshall',
  'Anderson',
  'Simpson',
  'Ellis',
  'Adams',
  'Singh',
  'Begum',
  'Wilkinson',
  'Foster',
  'Chapman',
  'Powell',
  'Webb',
  'Rogers',
  'Gray',
  'Mason',
  'Ali',
  'Hunt',
  'Hussain',
  'Campbell',
  'Matthews',
  'Owen',
  'Palmer',
  'Holmes',
  'Mills',
  'Barnes',
  'Knight',
  'Lloyd',
  'Butler',
  'Russell',
  'Barker',
  'Fisher',
  'Stevens',
  'Jenkins',
  'Murray',
  'Dixon',
  'Harvey',
  'Graham',
  'Pearson',
  'Ahmed',
  'Fletcher',
  'Walsh',
  'Kaur',
  'Gibson',
  'Howard',
  'Andrews',
  'Stewart',
  'Elliott',
  'Reynolds',
  'Saunders',
  'Payne',
  'Fox',
  'Ford',
  'Pearce',
  'Day',
  'Brooks',
  'West',
  'Lawrence',
  'Cole',
  'Atkinson',
  'Bradley',
  'Spencer',
  'Gill',
  'Dawson',
  'Ball',
  'Burton',
  "O'Brien",
  'Watts',
  'Rose',
  'Booth',
  'Perry',
  'Ryan',
  'Grant',
  'Wells',
  'Armstrong',
  'Francis',
  'Rees',
  'Hayes',
  'Hart',
  'Hudson',
  'Newman',
  'Barrett',
  'Webster',
  'Hunter',
  'Gregory',
  'Carr',
  'Lowe',
  'Page',
  'Marsh',
  'Riley',
  'Dunn',
  'Woods',
  'Parsons',
  'Berry',
  'Stone',
  'Reid',
  'Holland',
  'Hawkins',
  'Harding',
  'Porter',
  'Robertson',
  'Newton',
  "O'Connor",
  'Oliver',
  'Reed',
  'Kennedy',
  'Williamson',
  'Bird',
  'Gardner',
  'Shah',
  'Dean',
  'Lane',
  'Cooke',
  'Bates',
  'Henderson',
  'Parry',
  'Burgess',
  'Bishop',
  'Walton',
  'Burns',
  'Nicholson',
  'Shepherd',
  'Ross',
  'Cross',
  'Long',
  'Freeman',
  'Warren',
  'Nicholls',
  'Hamilton',
  'Byrne',
  'Sutton',
  'McDonald',
  'Yates',
  'Hodgson',
  'Smith-Jones',
  'Nowak',
  'Kowalski',
  'Okafor',
  'Mensah',
  'Chen',
];

const JOB_TITLES = [
  'Data Analyst',
  'Senior Data Analyst',
  'Performance Officer',
  'School Improvement Adviser',
  'Education Officer',
  'Information Officer',
  'Head of Performance',
  'Virtual School Head',
  'Business Intelligence Lead',
  'Research Officer',
];

/** A multiplier coprime with `total`, so that (g × it) mod total visits every account once. */
function scatter(total: number): number {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  for (const prime of [7919, 104_729, 1_299_709, 15_485_863]) if (gcd(prime, total) === 1) return prime;
  throw new Error(`no scatter multiplier for ${total}`);
}

/**
 * A bulk load as PostgreSQL's manual advises ("Populating a Database"): the tables' secondary
 * indexes are dropped and built again afterwards from their own definitions (pg_get_indexdef, so
 * the schema ends up exactly as migrated), with a large maintenance_work_mem; and, when the role
 * may (a superuser, as on the bench's default server), foreign-key triggers are skipped for the
 * load (session_replication_role = replica) — the generated rows point only at rows that exist.
 * Indexes behind constraints (primary keys) stay.
 */
async function bulkLoad(client: pg.Client, tables: readonly string[], load: () => Promise<void>): Promise<void> {
  const { rows: indexes } = await client.query<{ name: string; definition: string }>(
    `
    SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition
    FROM pg_index i WHERE i.indrelid = ANY($1::regclass[]) AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)`,
    [tables],
  );
  for (const index of indexes) await client.query(`DROP INDEX ${index.name}`);
  await client.query(`SET maintenance_work_mem = '512MB'`);
  let replica = false;
  try {
    await client.query(`SET session_replication_role = replica`);
    replica = true;
  } catch {
    log('data: not allowed to skip foreign-key triggers during the load (not a superuser): slower');
  }
  try {
    await load();
  } finally {
    if (replica) await client.query(`SET session_replication_role = DEFAULT`);
  }
  log(`data: building ${indexes.length} indexes`);
  for (const index of indexes) await client.query(index.definition);
}

/**
 * Generates everything into the (migrated, empty) database at `url`. `passwordHash` and
 * `sealedTotp` are real values written on every generated account that has them.
 */
export async function generateAccounts(
  url: string,
  plan: DataPlan,
  values: { passwordHash: string; sealedTotp: string },
): Promise<Generated> {
  const started = performance.now();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const rest = plan.total - plan.big - plan.medium - plan.small;
    if (rest < plan.las - 3) throw new Error('BENCH_ACCOUNTS is too small for the fixed LA sizes');
    const { rows: las } = await client.query<{ id: number; la_code: string }>(
      `INSERT INTO organisations (kind, la_code, name, created_at)
       SELECT 'la', (100 + g)::text, 'Bench LA ' || (100 + g), '2019-01-01T00:00:00Z' FROM generate_series(0, $1::int - 1) g
       RETURNING id, la_code`,
      [plan.las],
    );
    las.sort((a, b) => a.la_code.localeCompare(b.la_code));
    const ids = las.map((la) => la.id);

    log(
      `data: ${plan.total.toLocaleString('en-GB')} accounts over ${plan.las} LAs (one of ${plan.big.toLocaleString('en-GB')})`,
    );
    await bulkLoad(client, ['accounts', 'account_privileges', 'lifecycle_notices'], async () => {
      // j = (g × PRIME) mod total: the account's place in the LA plan, scattered over the table.
      // r1…r6: independent uniform numbers in [0, 1) from g, by hashing.
      await client.query(
        `
        INSERT INTO accounts (id, organisation_id, username, first_name, last_name, email, job_title, phone, user_type, status,
          password_hash, password_changed_at, totp_secret, totp_enrolled_at, last_sign_in_at, created_at, archived_at, archive_reason,
          deletion_due_at, updated_at, lifecycle_due_at)
        SELECT gen_random_uuid(), org, username, first_name, last_name, email,
          CASE WHEN r4 < 0.7 THEN ($9::text[])[1 + floor(r4 / 0.7 * array_length($9::text[], 1))::int] END,
          CASE WHEN r5 < 0.3 THEN '020 7' || lpad((g % 1000000)::text, 6, '0') END,
          user_type,
          CASE WHEN archived THEN 'archived' ELSE 'active' END,
          CASE WHEN last_sign_in_at IS NOT NULL THEN $6::text END, CASE WHEN last_sign_in_at IS NOT NULL THEN created_at END,
          CASE WHEN r5 < 0.85 THEN $7::text END, CASE WHEN r5 < 0.85 THEN created_at END,
          last_sign_in_at, created_at,
          CASE WHEN archived THEN archived_at END, CASE WHEN archived THEN 'inactivity' END,
          CASE WHEN archived THEN archived_at + interval '18 months' END,
          created_at, now() + interval '1 day'
        FROM (
          SELECT g, r4, r5, ($8::int[])[1 + la_index] AS org, first_name, last_name,
            lower(regexp_replace(first_name || '.' || last_name, '[^A-Za-z.]', '', 'g')) || '.' || g AS username,
            lower(regexp_replace(first_name || '.' || last_name, '[^A-Za-z.]', '', 'g')) || '.' || g || '@la' || (100 + la_index) || '.gov.uk' AS email,
            CASE WHEN r3 < 0.01 THEN 'la_admin' WHEN r3 < 0.36 THEN 'la_officer' WHEN r3 < 0.56 THEN 'school_improvement'
              WHEN r3 < 0.66 THEN 'commissioned' WHEN r3 < 0.70 THEN 'virtual_school' ELSE 'read_only' END AS user_type,
            last_sign_in_at,
            COALESCE(last_sign_in_at, now()) - make_interval(secs => r2 * 24 * 30.44 * 86400) AS created_at,
            r6 < 0.08 AS archived,
            LEAST(now(), COALESCE(last_sign_in_at, now() - make_interval(secs => r2 * 24 * 30.44 * 86400)) + interval '18 months') AS archived_at
          FROM (
            SELECT g, r2, r3, r4, r5, r6,
              CASE WHEN j < $3 THEN 0 WHEN j < $3 + $4 THEN 1 WHEN j < $3 + $4 + $5 THEN 2 ELSE 3 + (j % ($10::int - 3)) END AS la_index,
              ($11::text[])[1 + floor(r0 * array_length($11::text[], 1))::int] AS first_name,
              ($12::text[])[1 + floor(r1 * array_length($12::text[], 1))::int] AS last_name,
              CASE WHEN r6 >= 0.08 AND r5 > 0.96 THEN NULL
                ELSE now() - make_interval(secs => 40 * power(r1b, 1.5) * 30.44 * 86400) END AS last_sign_in_at
            FROM (
              SELECT g, (g::bigint * $2) % $1 AS j,
                ((hashint8(g * 8 + 0) & 2147483647) / 2147483648.0::float8) AS r0, ((hashint8(g * 8 + 1) & 2147483647) / 2147483648.0::float8) AS r1,
                ((hashint8(g * 8 + 2) & 2147483647) / 2147483648.0::float8) AS r2, ((hashint8(g * 8 + 3) & 2147483647) / 2147483648.0::float8) AS r3,
                ((hashint8(g * 8 + 4) & 2147483647) / 2147483648.0::float8) AS r4, ((hashint8(g * 8 + 5) & 2147483647) / 2147483648.0::float8) AS r5,
                ((hashint8(g * 8 + 6) & 2147483647) / 2147483648.0::float8) AS r6, ((hashint8(g * 8 + 7) & 2147483647) / 2147483648.0::float8) AS r1b
              FROM generate_series(0, $1::bigint - 1) g
              OFFSET 0
          ) hashed
            OFFSET 0
        ) planned
          OFFSET 0
      ) shaped`,
        [
          plan.total,
          scatter(plan.total),
          plan.big,
          plan.medium,
          plan.small,
          values.passwordHash,
          values.sealedTotp,
          ids,
          JOB_TITLES,
          plan.las,
          FIRST_NAMES,
          SURNAMES,
        ],
      );
      log('data: privileges (the defaults of each Type of User)');
      await client.query(`
        INSERT INTO account_privileges (account_id, privilege)
        SELECT accounts.id, user_type_defaults.privilege FROM accounts JOIN user_type_defaults USING (user_type)`);
      log('data: lifecycle warnings of the accounts inactive for 15–18 months');
      await client.query(`
        INSERT INTO lifecycle_notices (account_id, period_start, stage, sent_at)
        SELECT id, since, stage, since + make_interval(months => 14 + n)
        FROM (SELECT id, GREATEST(last_sign_in_at, created_at, restored_at) AS since FROM accounts WHERE status = 'active') a
        CROSS JOIN LATERAL (VALUES (1, 'warning_1'), (2, 'warning_2'), (3, 'warning_3')) AS stages (n, stage)
        WHERE since <= now() - make_interval(months => 14 + n) AND since > now() - interval '18 months'`);
    });
    log('data: VACUUM ANALYZE');
    await client.query('VACUUM ANALYZE');
    const counts = await client.query<{ organisation_id: number; n: string }>(
      'SELECT organisation_id, count(*) AS n FROM accounts WHERE organisation_id = ANY($1::int[]) GROUP BY organisation_id',
      [ids.slice(0, 3)],
    );
    const size = (id: number) => Number(counts.rows.find((r) => r.organisation_id === id)?.n ?? 0);
    const la = (i: number): GeneratedLa => ({ id: ids[i]!, code: las[i]!.la_code, accounts: size(ids[i]!) });
    return {
      big: la(0),
      medium: la(1),
      small: la(2),
      searchText: 'thompson',
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await client.end();
  }
}
