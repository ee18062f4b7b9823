import { addMonthsUtc } from '../domain/calendar.ts';
import { typeDefaults, userTypeLabel, type Privilege, type UserType } from '../domain/privileges.ts';
import type { SchoolRole } from '../domain/school-roles.ts';
import type { TopicCode } from '../domain/topics.ts';

/**
 * The demo of SPEC §14 as plain data. PURE: `generateDemo(now)` draws everything from a seeded
 * PRNG (mulberry32), so the same `now` (and options) always gives the same description, ids
 * included. Every date is relative to `now`. `seed-demo.ts` writes it to the database.
 *
 * What it contains:
 * - a central support organisation and five real English LAs with their DfE LA codes;
 * - 18–28 generated schools per LA (unique 6-digit URNs, all five phases, one or two closed)
 *   and 2–3 school groups per LA;
 * - a few hundred generated accounts of every Type of User, with the type's default privileges
 *   and occasional deviations, last sign-ins spread over 0–40 months, some never signed in,
 *   some archived for each reason with the deletion date of R33, a few restored;
 * - placed accounts, so that on any date the demo shows an archive due this week, an access end
 *   date this month and an administrator's first warning in three days;
 * - the named demo accounts printed for newcomers, with known passwords and TOTP secrets.
 *   Their credentials come from a separate PRNG stream, so they never depend on `now`.
 *
 * Birmingham (the second LA) has exactly one active holder of `manage_users`
 * (`birmingham.admin`), to show the last-administrator protection (R17); Hertfordshire's only
 * administrator is about to be warned, which alerts central support (R38); every other LA has at
 * least two. This is the history as generated: demo-lifecycle.ts then brings it to the state
 * the nightly job would have left it in on `now` (warnings sent, archives and deletions done).
 */

export const DEMO_SEED = 0x4e455855; // "NEXU"

export type DemoSchoolPhase = 'Nursery' | 'Primary' | 'Secondary' | 'Special' | '16 plus';
export type DemoArchiveReason = 'manual' | 'inactivity' | 'access-ended' | 'provisioning';

/** A demo account printed for newcomers and written to data/demo-accounts.json (SPEC §14). */
export interface DemoAccount {
  username: string;
  password: string;
  totpSecret: string;
  /** Type of User code, e.g. `la_admin`. */
  type: string;
  typeLabel: string;
  /** LA name, or the support organisation's name. */
  la: string;
  /** `archived` for the one account that shows the archived sign-in message. */
  status: 'active' | 'archived';
}

export interface DemoOrganisation {
  key: string;
  kind: 'la' | 'central';
  laCode: string | null;
  name: string;
  slug: string;
  emailDomain: string;
  createdAt: Date;
}

export interface DemoSchool {
  urn: number;
  organisationKey: string;
  name: string;
  phase: DemoSchoolPhase;
  status: 'open' | 'closed';
  /** Not written: the GIAS import stamps its own time (kept so the generator's draws stay as they were). */
  updatedAt: Date;
}

export interface DemoSchoolGroup {
  key: string;
  organisationKey: string;
  name: string;
  createdAt: Date;
  schoolUrns: number[];
}

export interface DemoAccountRecord {
  id: string;
  organisationKey: string;
  username: string;
  firstName: string;
  lastName: string;
  email: string;
  jobTitle: string | null;
  phone: string | null;
  userType: UserType;
  privileges: Privilege[];
  status: 'active' | 'archived';
  createdAt: Date;
  createdBy: string | null;
  lastSignInAt: Date | null;
  restoredAt: Date | null;
  archivedAt: Date | null;
  archivedBy: string | null;
  archiveReason: DemoArchiveReason | null;
  deletionDueAt: Date | null;
  /** YYYY-MM-DD */
  accessEndDate: string | null;
  externalId: string | null;
  /** Generated accounts that have a password share one unguessable hash (see seed-demo.ts). */
  hasPassword: boolean;
  passwordChangedAt: Date | null;
  /** Set when an authenticator is enrolled; generated accounts get a random secret when seeded. */
  totpEnrolledAt: Date | null;
  schoolGroupKeys: string[];
  defaultSchoolGroupKey: string | null;
  schools: { urn: number; role: SchoolRole; assignedAt: Date }[];
  subscriptions: { topic: TopicCode; subscribedAt: Date }[];
  /** Only for the named demo accounts. */
  credentials: { password: string; totpSecret: string } | null;
  updatedAt: Date;
}

export interface DemoData {
  now: Date;
  organisations: DemoOrganisation[];
  schools: DemoSchool[];
  schoolGroups: DemoSchoolGroup[];
  accounts: DemoAccountRecord[];
  demoAccounts: DemoAccount[];
}

export interface DemoRetention {
  /** Days a manual archive is kept before deletion (R33). */
  manualDays: number;
  /** Calendar months an automatic archive (inactivity, access-ended, provisioning) is kept (R33). */
  automaticMonths: number;
}

export interface GenerateDemoOptions {
  supportName?: string;
  retention?: DemoRetention;
  seed?: number;
}

export const DEFAULT_RETENTION: DemoRetention = { manualDays: 30, automaticMonths: 18 };

// ---------------------------------------------------------------------------------------------
// Dates (calendar months in UTC, clamped to the month's last day, as R42)

const DAY_MS = 86_400_000;

/** Retention end of an archive (R33). */
export function deletionDueFor(
  reason: DemoArchiveReason,
  archivedAt: Date,
  retention: DemoRetention = DEFAULT_RETENTION,
): Date {
  return reason === 'manual'
    ? new Date(archivedAt.getTime() + retention.manualDays * DAY_MS)
    : addMonthsUtc(archivedAt, retention.automaticMonths);
}

function toSeconds(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

// ---------------------------------------------------------------------------------------------
// Seeded randomness

class Random {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  /** mulberry32 */
  uint32(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  float(): number {
    return this.uint32() / 4_294_967_296;
  }
  between(min: number, max: number): number {
    return min + this.float() * (max - min);
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.float() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.float() * items.length)]!;
  }
  weighted<T extends string>(weights: Readonly<Partial<Record<T, number>>>): T {
    const entries = Object.entries(weights) as [T, number][];
    const total = entries.reduce((sum, [, w]) => sum + w, 0);
    let r = this.float() * total;
    for (const [value, w] of entries) {
      if ((r -= w) < 0) return value;
    }
    return entries[entries.length - 1]![0];
  }
  shuffle<T>(items: readonly T[]): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(this.float() * (i + 1));
      [copy[i], copy[j]] = [copy[j]!, copy[i]!];
    }
    return copy;
  }
  sample<T>(items: readonly T[], count: number): T[] {
    return this.shuffle(items).slice(0, Math.max(0, Math.min(count, items.length)));
  }
  bytes(count: number): Uint8Array {
    const out = new Uint8Array(count);
    for (let i = 0; i < count; i += 4) {
      const value = this.uint32();
      for (let j = 0; j < 4 && i + j < count; j++) out[i + j] = (value >>> (8 * j)) & 0xff;
    }
    return out;
  }
  /** A valid RFC 4122 version-4 UUID. */
  uuid(): string {
    const b = this.bytes(16);
    b[6] = (b[6]! & 0x0f) | 0x40;
    b[8] = (b[8]! & 0x3f) | 0x80;
    const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

// ---------------------------------------------------------------------------------------------
// Content

interface LaPlan {
  code: string;
  name: string;
  slug: string;
  phonePrefix: string;
  places: readonly string[];
  schools: [number, number];
  accounts: [number, number];
  /** Activity of the generated administrators (Types of User `la_admin`) placed first. */
  admins: readonly Activity[];
  /** Exactly one active holder of manage_users (the first of `admins`, or the named administrator). */
  singleAdmin: boolean;
  /** Accounts placed so that the demo shows, on any date, what the lifecycle does this week and this month. */
  specials?: readonly { type: UserType; activity: Activity }[];
  /** The LA provisions accounts from its HR system over SCIM (external ids, `provisioning`). */
  scim: boolean;
  externalIdPrefix: string;
}

const LAS: readonly LaPlan[] = [
  {
    code: '202',
    name: 'Camden',
    slug: 'camden',
    phonePrefix: '020 7974',
    schools: [18, 24],
    accounts: [55, 65],
    admins: ['recent', 'warned'],
    singleAdmin: false,
    scim: false,
    externalIdPrefix: 'CAM',
    specials: [
      { type: 'la_officer', activity: 'archive-this-week' },
      { type: 'commissioned', activity: 'access-ends-this-month' },
    ],
    places: [
      'Kentish Town',
      'Gospel Oak',
      'Belsize Park',
      'Primrose Hill',
      'Hampstead',
      'Somers Town',
      'Kilburn',
      'Swiss Cottage',
      'Holborn',
      'Fitzrovia',
      'West Hampstead',
      'Fortune Green',
      'Highgate',
      'Dartmouth Park',
      'Bloomsbury',
      'Camden Town',
      'Chalk Farm',
      "Regent's Park",
      "King's Cross",
      'St Pancras',
      'Frognal',
      'South End Green',
      'Agar Grove',
      'Haverstock',
      'Brecknock',
      'Mornington',
    ],
  },
  {
    code: '330',
    name: 'Birmingham',
    slug: 'birmingham',
    phonePrefix: '0121 303',
    schools: [24, 28],
    accounts: [80, 95],
    admins: [],
    singleAdmin: true,
    scim: false,
    externalIdPrefix: 'BCC',
    places: [
      'Acocks Green',
      'Aston',
      'Bordesley Green',
      'Edgbaston',
      'Erdington',
      'Hall Green',
      'Handsworth',
      'Harborne',
      'Kings Heath',
      'Kings Norton',
      'Kingstanding',
      'Ladywood',
      'Moseley',
      'Northfield',
      'Perry Barr',
      'Selly Oak',
      'Small Heath',
      'Sparkhill',
      'Stechford',
      'Sutton Coldfield',
      'Yardley',
      'Balsall Heath',
      'Bournville',
      'Castle Vale',
      'Longbridge',
      'Weoley Castle',
      'Nechells',
      'Quinton',
    ],
  },
  {
    code: '341',
    name: 'Liverpool',
    slug: 'liverpool',
    phonePrefix: '0151 233',
    schools: [20, 26],
    accounts: [60, 75],
    admins: ['recent', 'recent', 'dormant'],
    singleAdmin: false,
    scim: false,
    externalIdPrefix: 'LCC',
    places: [
      'Anfield',
      'Aigburth',
      'Allerton',
      'Belle Vale',
      'Childwall',
      'Croxteth',
      'Everton',
      'Fazakerley',
      'Garston',
      'Kensington',
      'Kirkdale',
      'Norris Green',
      'Old Swan',
      'Speke',
      'Toxteth',
      'Walton',
      'Wavertree',
      'West Derby',
      'Woolton',
      'Gateacre',
      'Dingle',
      'Clubmoor',
      'Tuebrook',
      'Mossley Hill',
      'Knotty Ash',
      'Netherley',
    ],
  },
  {
    code: '886',
    name: 'Kent',
    slug: 'kent',
    phonePrefix: '03000 41',
    schools: [24, 28],
    accounts: [80, 95],
    admins: ['recent', 'recent', 'warned'],
    singleAdmin: false,
    scim: true,
    externalIdPrefix: 'KCC',
    places: [
      'Ashford',
      'Canterbury',
      'Dartford',
      'Deal',
      'Dover',
      'Faversham',
      'Folkestone',
      'Gravesend',
      'Herne Bay',
      'Maidstone',
      'Margate',
      'Ramsgate',
      'Sevenoaks',
      'Sittingbourne',
      'Tonbridge',
      'Tunbridge Wells',
      'Whitstable',
      'Hythe',
      'Sandwich',
      'Cranbrook',
      'Edenbridge',
      'Swanley',
      'Westerham',
      'Tenterden',
      'Broadstairs',
      'Paddock Wood',
      'Snodland',
      'Headcorn',
    ],
  },
  {
    code: '919',
    name: 'Hertfordshire',
    slug: 'hertfordshire',
    phonePrefix: '01992 55',
    schools: [20, 26],
    accounts: [70, 85],
    // Its only administrator is about to get a first warning: central support is alerted (R38).
    admins: ['due-this-week'],
    singleAdmin: true,
    scim: true,
    externalIdPrefix: 'HCC',
    places: [
      'Berkhamsted',
      "Bishop's Stortford",
      'Borehamwood',
      'Bushey',
      'Cheshunt',
      'Harpenden',
      'Hatfield',
      'Hemel Hempstead',
      'Hertford',
      'Hitchin',
      'Hoddesdon',
      'Letchworth',
      'Potters Bar',
      'Royston',
      'Sawbridgeworth',
      'St Albans',
      'Stevenage',
      'Tring',
      'Ware',
      'Watford',
      'Welwyn Garden City',
      'Baldock',
      'Radlett',
      'Buntingford',
      'Kings Langley',
      'Rickmansworth',
    ],
  },
];

const FIRST_NAMES = [
  'Oliver',
  'George',
  'Harry',
  'Jack',
  'Jacob',
  'Noah',
  'Charlie',
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
  'Muhammad',
  'Adam',
  'Ibrahim',
  'Yusuf',
  'Omar',
  'Ali',
  'Hamza',
  'Rhys',
  'Owen',
  'Dylan',
  'Callum',
  'Connor',
  'Liam',
  'Sean',
  'Declan',
  'Ciaran',
  'Aidan',
  'Kwame',
  'Tunde',
  'Chinedu',
  'Femi',
  'Rohan',
  'Arjun',
  'Vikram',
  'Sanjay',
  'Ravi',
  'Tomasz',
  'Piotr',
  'Marek',
  'Andrew',
  'Mark',
  'Paul',
  'Stephen',
  'David',
  'Richard',
  'Simon',
  'Gareth',
  'Neil',
  'Olivia',
  'Amelia',
  'Isla',
  'Ava',
  'Emily',
  'Sophia',
  'Grace',
  'Mia',
  'Poppy',
  'Ella',
  'Lily',
  'Evie',
  'Isabella',
  'Charlotte',
  'Jessica',
  'Freya',
  'Florence',
  'Ruby',
  'Alice',
  'Phoebe',
  'Sophie',
  'Hannah',
  'Lucy',
  'Chloe',
  'Eleanor',
  'Zara',
  'Aisha',
  'Fatima',
  'Maryam',
  'Amira',
  'Layla',
  'Yasmin',
  'Priya',
  'Anjali',
  'Kiran',
  'Nisha',
  'Siobhan',
  'Niamh',
  'Aoife',
  'Ciara',
  'Bethan',
  'Cerys',
  'Ffion',
  'Rhiannon',
  'Catriona',
  'Morag',
  'Abena',
  'Ngozi',
  'Funmi',
  'Chioma',
  'Agnieszka',
  'Katarzyna',
  'Joanna',
  'Rachel',
  'Sarah',
  'Helen',
  'Claire',
  'Louise',
  'Joanne',
  'Nicola',
  'Karen',
  'Julie',
  'Deborah',
  'Gemma',
  'Kirsty',
  'Leanne',
  'Nadia',
  'Shabana',
  'Tahmina',
];

const LAST_NAMES = [
  'Smith',
  'Jones',
  'Taylor',
  'Brown',
  'Williams',
  'Wilson',
  'Johnson',
  'Davies',
  'Robinson',
  'Wright',
  'Thompson',
  'Evans',
  'Walker',
  'White',
  'Roberts',
  'Green',
  'Hall',
  'Wood',
  'Jackson',
  'Clarke',
  'Patel',
  'Khan',
  'Lewis',
  'James',
  'Phillips',
  'Mason',
  'Mitchell',
  'Rose',
  'Davis',
  'Rodriguez',
  'Cox',
  'Alexander',
  'Morgan',
  'Moore',
  'Mills',
  'King',
  'Adams',
  'Garcia',
  'Hughes',
  'Lee',
  'Harris',
  'Martin',
  'Cooper',
  'Ward',
  'Turner',
  'Parker',
  'Baker',
  'Hill',
  'Edwards',
  'Collins',
  'Stewart',
  'Morris',
  'Bell',
  'Murphy',
  'Bailey',
  'Richardson',
  'Cook',
  'Harrison',
  'Kelly',
  'Marshall',
  'Chapman',
  'Fletcher',
  'Armstrong',
  'Hunt',
  'Webb',
  'Palmer',
  'Holmes',
  'Lloyd',
  'Griffiths',
  'Owen',
  'Pritchard',
  'Price',
  'Reid',
  'Campbell',
  'Murray',
  'MacDonald',
  'Fraser',
  'Sutherland',
  "O'Brien",
  "O'Connor",
  "O'Neill",
  'Doherty',
  'Gallagher',
  'Byrne',
  'Quinn',
  'Begum',
  'Hussain',
  'Ahmed',
  'Akhtar',
  'Rahman',
  'Islam',
  'Iqbal',
  'Malik',
  'Chaudhry',
  'Shah',
  'Sharma',
  'Singh',
  'Kaur',
  'Gill',
  'Mistry',
  'Desai',
  'Chowdhury',
  'Mensah',
  'Owusu',
  'Boateng',
  'Okafor',
  'Adeyemi',
  'Okonkwo',
  'Bello',
  'Abara',
  'Nowak',
  'Kowalski',
  'Wisniewski',
  'Nguyen',
  'Chen',
  'Wong',
  'Li',
  'Yilmaz',
  'Demir',
  'Costa',
  'Ferreira',
  'Santos',
  'Brennan',
  'Ashworth',
  'Barker',
  'Whitfield',
  'Pearson',
  'Hargreaves',
  'Lowe',
  'Sutton',
  'Fox',
  'Booth',
  'Kent-Davies',
  'Lloyd-Jones',
  'Bishop',
  'Nash',
  'Dunn',
];

const SAINTS = [
  'Mary',
  'Joseph',
  'Peter',
  'Paul',
  'Anne',
  'Patrick',
  'Michael',
  'Margaret',
  'Edmund',
  'Thomas',
  'Bede',
  'Dominic',
  'Teresa',
  'Luke',
  'Matthew',
  'John',
  'Andrew',
  'George',
  'Alban',
  'Augustine',
  'Catherine',
  'Francis',
  'Gregory',
  'Hilda',
];
const TREES = [
  'Rowan',
  'Oak',
  'Willow',
  'Beech',
  'Hawthorn',
  'Elm',
  'Cedar',
  'Maple',
  'Ash',
  'Hazel',
  'Birch',
  'Holly',
  'Chestnut',
  'Linden',
  'Alder',
  'Juniper',
];
const SPECIAL_SUFFIXES = ['House', 'Lodge', 'Field', 'Bank', 'Park', 'Hill', 'Grove', 'Meadow'];

/** Words for the demo passwords (3 words + digits; the PRNG makes them the same every time). */
const PASSWORD_WORDS = [
  'amber',
  'anchor',
  'badger',
  'bramble',
  'canyon',
  'cobalt',
  'copper',
  'cricket',
  'dapple',
  'ember',
  'falcon',
  'fennel',
  'fjord',
  'gable',
  'garnet',
  'harbour',
  'hazel',
  'heron',
  'indigo',
  'juniper',
  'kestrel',
  'lantern',
  'larch',
  'linnet',
  'maple',
  'marble',
  'meadow',
  'mistle',
  'nutmeg',
  'orchid',
  'osprey',
  'otter',
  'paddle',
  'pebble',
  'pepper',
  'plover',
  'quarry',
  'quill',
  'raven',
  'russet',
  'saffron',
  'salmon',
  'sorrel',
  'spruce',
  'tansy',
  'thistle',
  'timber',
  'tundra',
  'umber',
  'velvet',
  'walnut',
  'willow',
  'wren',
  'yarrow',
  'zephyr',
  'bracken',
  'cinder',
  'dormouse',
  'estuary',
  'foxglove',
  'granite',
  'heather',
  'inkwell',
  'jackdaw',
  'kelp',
  'lichen',
  'mallard',
  'nettle',
  'oriel',
  'puffin',
  'quartz',
  'rookery',
  'shingle',
  'teasel',
  'upland',
  'vervain',
  'wharf',
  'yeoman',
  'acorn',
  'beacon',
  'clover',
  'drizzle',
  'eddy',
  'flint',
  'gorse',
  'hollow',
  'islet',
  'jetty',
  'kiln',
  'lagoon',
  'moorland',
  'nimbus',
  'orchard',
  'pylon',
  'ripple',
  'sextant',
  'tideway',
  'valley',
  'weir',
  'bobbin',
  'crumpet',
  'dynamo',
  'gazebo',
  'hamlet',
  'magpie',
  'parsnip',
  'rhubarb',
  'skylark',
  'trellis',
] as const;

const JOB_TITLES: Readonly<Record<UserType, readonly string[]>> = {
  la_admin: [
    'Information Systems Manager',
    'Education Data Systems Lead',
    'Nexus System Administrator',
    'Data and Systems Manager',
    'Information Management Officer',
  ],
  la_officer: [
    'Data Analyst',
    'Senior Performance Analyst',
    'Research and Intelligence Officer',
    'Education Data Officer',
    'Insight Analyst',
    'Performance and Information Officer',
  ],
  school_improvement: [
    'School Improvement Adviser',
    'Senior School Improvement Officer',
    'Primary Adviser',
    'Secondary Adviser',
    'Early Years Adviser',
    'Education Standards Officer',
  ],
  commissioned: [
    'School Improvement Partner',
    'Education Consultant',
    'Associate Adviser',
    'Independent Education Consultant',
  ],
  virtual_school: [
    'Virtual School Head',
    'Deputy Virtual School Head',
    'Virtual School Education Adviser',
    'Designated Teacher Coordinator',
  ],
  read_only: [
    'Admissions Officer',
    'SEND Caseworker',
    'Early Years Officer',
    'Attendance Officer',
    'Governor Services Officer',
    'Family Support Worker',
    'Education Welfare Officer',
  ],
  support: ['Support Analyst', 'Service Desk Lead', 'Customer Success Manager', 'Technical Support Officer'],
};

/** Occasional deviations from a type's defaults (R14). `manage_users` only where it does not break the single-admin LA. */
const DEVIATIONS: Readonly<Record<UserType, readonly { add?: Privilege; remove?: Privilege }[]>> = {
  la_admin: [{ remove: 'nexus_admin' }, { remove: 'pupil_level' }, { add: 'cin_cla' }, { add: 'upload_data' }],
  la_officer: [
    { add: 'cin_cla' },
    { add: 'upload_data' },
    { add: 'manage_school_groups' },
    { remove: 'pupil_level' },
    { add: 'manage_users' },
  ],
  school_improvement: [{ add: 'pupil_level' }, { add: 'view_users' }],
  commissioned: [{ add: 'pupil_level' }],
  virtual_school: [{ remove: 'pupil_level' }, { add: 'view_users' }],
  read_only: [{ add: 'view_users' }, { add: 'upload_data' }],
  support: [],
};

type Activity =
  | 'recent' // signed in within the last 12 months
  | 'dormant' // 12–15 months
  | 'warned' // 15–18 months: the 15/16/17-month warnings
  | 'overdue' // 18–40 months, still active: the job archives them (after a final warning, R37)
  | 'never' // never signed in (inactive since creation)
  | 'restored' // archived for inactivity once, restored recently (R34)
  | 'due-this-week' // the first warning falls due in three days
  | 'archive-this-week' // warned three times; archived in four days
  | 'access-ends-this-month' // an access end date later this month (R11)
  | 'archived-inactivity'
  | 'archived-manual'
  | 'archived-access-ended'
  | 'archived-provisioning';

const ACTIVITY_WEIGHTS: Readonly<Record<Activity, number>> = {
  recent: 48,
  dormant: 9,
  warned: 10,
  overdue: 9,
  never: 8,
  restored: 1,
  'archived-inactivity': 6,
  'archived-manual': 3,
  'archived-access-ended': 3,
  'archived-provisioning': 2,
  // Placed, never drawn.
  'due-this-week': 0,
  'archive-this-week': 0,
  'access-ends-this-month': 0,
};

const GENERATED_TYPE_WEIGHTS: Readonly<Partial<Record<UserType, number>>> = {
  la_officer: 20,
  school_improvement: 18,
  commissioned: 16,
  virtual_school: 7,
  read_only: 32,
  la_admin: 4,
};

interface NamedPlan {
  username: string;
  organisation: 'central' | 'la0' | 'la1';
  type: UserType;
  firstName: string;
  lastName: string;
  jobTitle: string;
  createdMonthsAgo: number;
  lastSignInDaysAgo: number;
  archived?: { reason: 'access-ended'; daysAgo: number };
}

/** The accounts printed for newcomers. Order is the printing order. */
const NAMED: readonly NamedPlan[] = [
  {
    username: 'support',
    organisation: 'central',
    type: 'support',
    firstName: 'Alex',
    lastName: 'Morgan',
    jobTitle: 'Support Analyst',
    createdMonthsAgo: 47,
    lastSignInDaysAgo: 1,
  },
  {
    username: 'camden.admin',
    organisation: 'la0',
    type: 'la_admin',
    firstName: 'Priya',
    lastName: 'Shah',
    jobTitle: 'Information Systems Manager',
    createdMonthsAgo: 46,
    lastSignInDaysAgo: 1,
  },
  {
    username: 'camden.officer',
    organisation: 'la0',
    type: 'la_officer',
    firstName: 'Tom',
    lastName: 'Gallagher',
    jobTitle: 'Senior Data Analyst',
    createdMonthsAgo: 31,
    lastSignInDaysAgo: 3,
  },
  {
    username: 'camden.improvement',
    organisation: 'la0',
    type: 'school_improvement',
    firstName: 'Grace',
    lastName: 'Adeyemi',
    jobTitle: 'School Improvement Adviser',
    createdMonthsAgo: 26,
    lastSignInDaysAgo: 5,
  },
  {
    username: 'camden.readonly',
    organisation: 'la0',
    type: 'read_only',
    firstName: 'Hannah',
    lastName: 'Brooks',
    jobTitle: 'Admissions Officer',
    createdMonthsAgo: 14,
    lastSignInDaysAgo: 8,
  },
  {
    username: 'birmingham.admin',
    organisation: 'la1',
    type: 'la_admin',
    firstName: 'Imran',
    lastName: 'Hussain',
    jobTitle: 'Education Data Systems Lead',
    createdMonthsAgo: 45,
    lastSignInDaysAgo: 2,
  },
  {
    username: 'birmingham.officer',
    organisation: 'la1',
    type: 'la_officer',
    firstName: 'Sophie',
    lastName: 'Clarke',
    jobTitle: 'Performance Analyst',
    createdMonthsAgo: 33,
    lastSignInDaysAgo: 4,
  },
  {
    username: 'birmingham.improvement',
    organisation: 'la1',
    type: 'school_improvement',
    firstName: 'Daniel',
    lastName: 'Osei',
    jobTitle: 'Senior School Improvement Officer',
    createdMonthsAgo: 22,
    lastSignInDaysAgo: 6,
  },
  {
    username: 'birmingham.readonly',
    organisation: 'la1',
    type: 'read_only',
    firstName: 'Laura',
    lastName: 'Bennett',
    jobTitle: 'SEND Caseworker',
    createdMonthsAgo: 11,
    lastSignInDaysAgo: 9,
  },
  // Commissioned until recently; archived when the contract ended: signing in shows the archived message (R30).
  {
    username: 'camden.leaver',
    organisation: 'la0',
    type: 'commissioned',
    firstName: 'Martin',
    lastName: 'Doyle',
    jobTitle: 'School Improvement Partner',
    createdMonthsAgo: 20,
    lastSignInDaysAgo: 16,
    archived: { reason: 'access-ended', daysAgo: 12 },
  },
];

export const NAMED_DEMO_USERNAMES: readonly string[] = NAMED.map((n) => n.username);

// ---------------------------------------------------------------------------------------------
// Generator

function slugify(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'support'
  );
}

function usernamePart(name: string): string {
  return name.toLowerCase().replace(/[^a-z-]/g, '');
}

function demoPassword(rng: Random): string {
  const words = rng.sample(
    PASSWORD_WORDS.filter((w) => w.length >= 5),
    3,
  );
  const digits = String(rng.int(1000, 9999));
  return `${words[0]![0]!.toUpperCase()}${words[0]!.slice(1)}-${words[1]}-${words[2]}-${digits}`;
}

export function generateDemo(now: Date, options: GenerateDemoOptions = {}): DemoData {
  const supportName = options.supportName?.trim() || 'NCER Support';
  const retention = options.retention ?? DEFAULT_RETENTION;
  const seed = options.seed ?? DEMO_SEED;
  const at = toSeconds(now);
  const rng = new Random(seed);
  // Credentials have their own stream: they depend only on the seed, never on `now`.
  const credentialRng = new Random(seed ^ 0x5eed_c0de);

  const monthsAgo = (months: number): Date => {
    const whole = Math.floor(months);
    const hi = addMonthsUtc(at, -whole).getTime();
    const lo = addMonthsUtc(at, -(whole + 1)).getTime();
    return toSeconds(new Date(hi - (months - whole) * (hi - lo)));
  };
  const daysAgo = (days: number): Date => toSeconds(new Date(at.getTime() - days * DAY_MS));
  const between = (from: Date, to: Date): Date =>
    toSeconds(new Date(from.getTime() + rng.float() * Math.max(0, to.getTime() - from.getTime())));
  const latest = (...dates: (Date | null)[]): Date =>
    new Date(Math.max(...dates.filter((d): d is Date => d !== null).map((d) => d.getTime())));

  // Organisations
  const organisations: DemoOrganisation[] = [];
  const centralSlug = slugify(supportName);
  organisations.push({
    key: 'central',
    kind: 'central',
    laCode: null,
    name: supportName,
    slug: centralSlug,
    emailDomain: `${centralSlug}.org.uk`,
    createdAt: monthsAgo(48.5),
  });
  LAS.forEach((la, i) => {
    organisations.push({
      key: `la${i}`,
      kind: 'la',
      laCode: la.code,
      name: la.name,
      slug: la.slug,
      emailDomain: `${la.slug}.gov.uk`,
      createdAt: monthsAgo(48.2 - i * 0.05),
    });
  });
  const orgByKey = new Map(organisations.map((o) => [o.key, o]));

  // Schools and school groups
  const schools: DemoSchool[] = [];
  const schoolGroups: DemoSchoolGroup[] = [];
  const usedUrns = new Set<number>();
  const openSchoolsByOrg = new Map<string, DemoSchool[]>();
  const groupsByOrg = new Map<string, DemoSchoolGroup[]>();

  LAS.forEach((la, i) => {
    const orgKey = `la${i}`;
    const org = orgByKey.get(orgKey)!;
    const count = rng.int(la.schools[0], la.schools[1]);
    const phases: DemoSchoolPhase[] = ['Primary', 'Secondary', 'Special', 'Nursery', '16 plus'];
    while (phases.length < count) {
      phases.push(rng.weighted<DemoSchoolPhase>({ Primary: 62, Secondary: 20, Special: 7, Nursery: 6, '16 plus': 5 }));
    }
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

  // Accounts
  const accounts: DemoAccountRecord[] = [];
  const usernames = new Set<string>(NAMED.map((n) => n.username));
  const externalIds = new Set<string>();
  const demoAccounts: DemoAccount[] = [];

  const uniqueUsername = (first: string, last: string): string => {
    const base = `${usernamePart(first)}.${usernamePart(last)}`.slice(0, 60);
    let name = base;
    for (let n = 2; usernames.has(name); n++) name = `${base}${n}`;
    usernames.add(name);
    return name;
  };
  const phoneFor = (orgKey: string): string | null => {
    const la = LAS[Number(orgKey.slice(2))];
    if (!la) return rng.chance(0.5) ? `0300 123 ${rng.int(1000, 9999)}` : null;
    return rng.chance(0.55) ? `${la.phonePrefix} ${rng.int(1000, 9999)}` : null;
  };
  const groupsFor = (orgKey: string, type: UserType): { keys: string[]; defaultKey: string | null } => {
    const groups = groupsByOrg.get(orgKey) ?? [];
    const max =
      type === 'school_improvement' || type === 'commissioned'
        ? 2
        : type === 'la_admin' || type === 'la_officer'
          ? 2
          : 1;
    const count =
      groups.length === 0 ? 0 : rng.int(type === 'school_improvement' || type === 'commissioned' ? 1 : 0, max);
    const keys = rng
      .sample(groups, count)
      .map((g) => g.key)
      .sort();
    const defaultKey = keys.length > 0 && rng.chance(0.85) ? rng.pick(keys) : null;
    return { keys, defaultKey };
  };
  const schoolsFor = (orgKey: string, type: UserType, from: Date, to: Date): DemoAccountRecord['schools'] => {
    const open = openSchoolsByOrg.get(orgKey) ?? [];
    const plan: Readonly<Record<UserType, [number, number, readonly SchoolRole[]]>> = {
      commissioned: [2, 6, ['school_improvement_partner', 'consultant']],
      school_improvement: [3, 9, ['link_adviser', 'school_improvement_partner']],
      virtual_school: [0, 3, ['virtual_school_head']],
      read_only: [0, 2, ['education_welfare_officer', 'send_adviser', 'governor', 'data_manager', 'other']],
      la_officer: [0, 2, ['data_manager', 'other']],
      la_admin: [0, 0, []],
      support: [0, 0, []],
    };
    const [min, max, roles] = plan[type];
    if (open.length === 0 || max === 0) return [];
    return rng
      .sample(open, rng.int(min, max))
      .map((s) => ({ urn: s.urn, role: rng.pick(roles), assignedAt: between(from, to) }))
      .sort((a, b) => a.urn - b.urn);
  };
  const subscriptionsFor = (type: UserType, createdAt: Date, until: Date): DemoAccountRecord['subscriptions'] => {
    const subs: DemoAccountRecord['subscriptions'] = [];
    if (rng.chance(0.85)) subs.push({ topic: 'news', subscribedAt: createdAt });
    if (rng.chance(type === 'la_admin' || type === 'support' ? 0.7 : 0.25))
      subs.push({ topic: 'release_notes', subscribedAt: between(createdAt, until) });
    if (rng.chance(0.35)) subs.push({ topic: 'training', subscribedAt: between(createdAt, until) });
    if (rng.chance(type === 'la_officer' || type === 'la_admin' ? 0.6 : 0.15))
      subs.push({ topic: 'data_collection', subscribedAt: between(createdAt, until) });
    return subs;
  };
  const privilegesFor = (type: UserType, allowManageUsers: boolean): Privilege[] => {
    const held = new Set<Privilege>(typeDefaults(type));
    const options = DEVIATIONS[type].filter((d) => allowManageUsers || d.add !== 'manage_users');
    if (options.length > 0 && rng.chance(0.12)) {
      const d = rng.pick(options);
      if (d.add) held.add(d.add);
      if (d.remove) held.delete(d.remove);
    }
    return [...held].sort();
  };
  const adminsOf = (orgKey: string): DemoAccountRecord[] =>
    accounts.filter(
      (a) =>
        a.organisationKey === orgKey &&
        a.status === 'active' &&
        a.userType === 'la_admin' &&
        a.privileges.includes('manage_users'),
    );

  // Named demo accounts first (ids are drawn before any generated account).
  const orgKeyOf = (p: NamedPlan): string => (p.organisation === 'central' ? 'central' : p.organisation);
  let supportId: string | null = null;
  for (const plan of NAMED) {
    const orgKey = orgKeyOf(plan);
    const org = orgByKey.get(orgKey)!;
    const password = demoPassword(credentialRng);
    const totpSecret = base32(credentialRng.bytes(20));
    const id = rng.uuid();
    const createdAt = toSeconds(new Date(monthsAgo(plan.createdMonthsAgo).getTime() + 9.5 * 3_600_000));
    const lastSignInAt = daysAgo(plan.lastSignInDaysAgo + 0.3);
    const archivedAt = plan.archived
      ? toSeconds(
          new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate() - plan.archived.daysAgo, 2, 0, 0)),
        )
      : null;
    const admins = adminsOf(orgKey);
    const createdBy =
      plan.type === 'support' ? null : plan.type === 'la_admin' || admins.length === 0 ? supportId : admins[0]!.id;
    const groups = plan.type === 'support' ? { keys: [], defaultKey: null } : namedGroups(orgKey, plan.type);
    const schoolRows =
      plan.type === 'school_improvement' || plan.type === 'commissioned'
        ? rng
            .sample(openSchoolsByOrg.get(orgKey) ?? [], 4)
            .map((s) => ({
              urn: s.urn,
              role: (plan.type === 'commissioned' ? 'school_improvement_partner' : 'link_adviser') as SchoolRole,
              assignedAt: between(createdAt, archivedAt ?? at),
            }))
            .sort((a, b) => a.urn - b.urn)
        : [];
    const subs: DemoAccountRecord['subscriptions'] = [{ topic: 'news', subscribedAt: createdAt }];
    if (plan.type === 'la_admin' || plan.type === 'support')
      subs.push({ topic: 'release_notes', subscribedAt: createdAt });
    if (plan.type === 'la_officer') subs.push({ topic: 'data_collection', subscribedAt: createdAt });
    const record: DemoAccountRecord = {
      id,
      organisationKey: orgKey,
      username: plan.username,
      firstName: plan.firstName,
      lastName: plan.lastName,
      email: `${usernamePart(plan.firstName)}.${usernamePart(plan.lastName)}@${org.emailDomain}`,
      jobTitle: plan.jobTitle,
      phone: phoneFor(orgKey),
      userType: plan.type,
      privileges: [...typeDefaults(plan.type)].sort(),
      status: archivedAt ? 'archived' : 'active',
      createdAt,
      createdBy,
      lastSignInAt,
      restoredAt: null,
      archivedAt,
      archivedBy: null,
      archiveReason: plan.archived?.reason ?? null,
      deletionDueAt: archivedAt && plan.archived ? deletionDueFor(plan.archived.reason, archivedAt, retention) : null,
      accessEndDate: archivedAt ? isoDate(archivedAt) : null,
      externalId: null,
      hasPassword: true,
      passwordChangedAt: toSeconds(new Date(createdAt.getTime() + 3_600_000)),
      totpEnrolledAt: toSeconds(new Date(createdAt.getTime() + 3_700_000)),
      schoolGroupKeys: groups.keys,
      defaultSchoolGroupKey: groups.defaultKey,
      schools: schoolRows,
      subscriptions: subs,
      credentials: { password, totpSecret },
      updatedAt: latest(createdAt, archivedAt),
    };
    accounts.push(record);
    if (plan.type === 'support') supportId = id;
    demoAccounts.push({
      username: plan.username,
      password,
      totpSecret,
      type: plan.type,
      typeLabel: userTypeLabel(plan.type),
      la: org.name,
      status: record.status,
    });
  }

  function namedGroups(orgKey: string, type: UserType): { keys: string[]; defaultKey: string | null } {
    const groups = groupsByOrg.get(orgKey) ?? [];
    const keys =
      type === 'la_admin'
        ? groups.map((g) => g.key)
        : type === 'school_improvement' || type === 'commissioned'
          ? groups.filter((g) => !g.key.endsWith(':g1')).map((g) => g.key)
          : type === 'la_officer'
            ? groups.filter((g) => g.key.endsWith(':g1')).map((g) => g.key)
            : groups.slice(0, 1).map((g) => g.key);
    return { keys, defaultKey: keys[0] ?? null };
  }

  // Generated central support staff.
  for (const activity of ['recent', 'recent', 'dormant'] as const) {
    accounts.push(generatedAccount('central', 'support', activity, null));
  }

  // Generated LA accounts.
  LAS.forEach((la, i) => {
    const orgKey = `la${i}`;
    const count = rng.int(la.accounts[0], la.accounts[1]);
    const plans: { type: UserType; activity: Activity }[] = [
      ...la.admins.map((activity) => ({ type: 'la_admin' as UserType, activity })),
      ...(la.specials ?? []),
    ];
    // The single-admin LA keeps one former administrator, archived: restoring them is the way out.
    if (la.singleAdmin) plans.push({ type: 'la_admin', activity: 'archived-inactivity' });
    const typeWeights = la.singleAdmin ? { ...GENERATED_TYPE_WEIGHTS, la_admin: 0 } : GENERATED_TYPE_WEIGHTS;
    while (plans.length < count) {
      const type = rng.weighted(typeWeights);
      let activity = rng.weighted(ACTIVITY_WEIGHTS);
      if (activity === 'archived-access-ended' && type !== 'commissioned') activity = 'archived-inactivity';
      if (activity === 'archived-provisioning' && !la.scim) activity = 'archived-inactivity';
      plans.push({ type, activity });
    }
    for (const plan of plans) accounts.push(generatedAccount(orgKey, plan.type, plan.activity, la));
  });

  function generatedAccount(orgKey: string, type: UserType, activity: Activity, la: LaPlan | null): DemoAccountRecord {
    const org = orgByKey.get(orgKey)!;
    const id = rng.uuid();
    const firstName = rng.pick(FIRST_NAMES);
    const lastName = rng.pick(LAST_NAMES);
    const username = uniqueUsername(firstName, lastName);
    const jobTitle = rng.chance(0.9) ? rng.pick(JOB_TITLES[type]) : null;
    const phone = phoneFor(orgKey);
    const privileges = privilegesFor(type, !(la?.singleAdmin ?? false));

    let lastSignInAt: Date | null = null;
    let createdAt: Date;
    let restoredAt: Date | null = null;
    let archivedAt: Date | null = null;
    let archiveReason: DemoArchiveReason | null = null;
    let archivedBy: string | null = null;
    let accessEndDate: string | null = null;

    const createdBefore = (date: Date): Date => between(monthsAgo(48), date);
    const createdForAge = (age: number): Date => monthsAgo(Math.max(age, 1) + rng.float() * (48 - Math.max(age, 1)));

    switch (activity) {
      case 'recent': {
        const age = 12 * rng.float() ** 2;
        lastSignInAt = monthsAgo(age);
        createdAt = createdForAge(age);
        break;
      }
      case 'dormant':
      case 'warned':
      case 'overdue': {
        const [lo, hi] = activity === 'dormant' ? [12, 15] : activity === 'warned' ? [15, 18] : [18, 40];
        const age = rng.between(lo, hi);
        const never = activity !== 'dormant' && rng.chance(0.12);
        if (never) {
          createdAt = monthsAgo(age);
        } else {
          lastSignInAt = monthsAgo(age);
          createdAt = createdForAge(age);
        }
        break;
      }
      case 'due-this-week':
      case 'archive-this-week': {
        const [months, days] = activity === 'due-this-week' ? [15, 3] : [18, 4];
        lastSignInAt = toSeconds(new Date(addMonthsUtc(at, -months).getTime() + days * DAY_MS));
        createdAt = createdBefore(lastSignInAt);
        break;
      }
      case 'access-ends-this-month': {
        lastSignInAt = daysAgo(rng.between(1, 30));
        createdAt = createdBefore(lastSignInAt);
        // Later this month; ten days ahead when the month is about to end.
        const lastOfMonth = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 0));
        const daysLeft = Math.floor((lastOfMonth.getTime() - at.getTime()) / DAY_MS);
        accessEndDate = isoDate(
          daysLeft >= 3
            ? new Date(at.getTime() + Math.min(10, daysLeft) * DAY_MS)
            : new Date(at.getTime() + 10 * DAY_MS),
        );
        break;
      }
      case 'never': {
        // A quarter are new (invitation pending); the rest were invited and never came.
        createdAt = rng.chance(0.25) ? daysAgo(rng.between(0.2, 30)) : monthsAgo(rng.between(1, 15));
        break;
      }
      case 'restored': {
        lastSignInAt = monthsAgo(rng.between(20, 26));
        createdAt = createdBefore(lastSignInAt);
        // Archived for inactivity 18 months after that sign-in (2–8 months ago), restored since.
        restoredAt = monthsAgo(rng.between(0.5, 1.8));
        break;
      }
      case 'archived-inactivity': {
        archivedAt = monthsAgo(rng.between(0.1, 18.4));
        const inactiveSince = toSeconds(
          new Date(addMonthsUtc(archivedAt, -18).getTime() - rng.between(14, 25) * DAY_MS),
        );
        if (rng.chance(0.2)) {
          createdAt = inactiveSince;
        } else {
          lastSignInAt = inactiveSince;
          createdAt = createdBefore(inactiveSince);
        }
        archiveReason = 'inactivity';
        break;
      }
      case 'archived-manual': {
        archivedAt = daysAgo(rng.between(2, 36));
        lastSignInAt = toSeconds(new Date(archivedAt.getTime() - rng.between(0, 20 * 30) * DAY_MS));
        createdAt = createdBefore(lastSignInAt);
        archiveReason = 'manual';
        const admins = adminsOf(orgKey);
        archivedBy = admins.length > 0 ? rng.pick(admins).id : supportId;
        break;
      }
      case 'archived-access-ended': {
        const day = monthsAgo(rng.between(0.1, 17.9));
        archivedAt = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), 2, 0, 0));
        if (archivedAt > at) archivedAt = new Date(archivedAt.getTime() - DAY_MS);
        accessEndDate = isoDate(archivedAt);
        lastSignInAt = toSeconds(new Date(archivedAt.getTime() - rng.between(1, 200) * DAY_MS));
        createdAt = createdBefore(lastSignInAt);
        archiveReason = 'access-ended';
        break;
      }
      case 'archived-provisioning': {
        archivedAt = monthsAgo(rng.between(0.1, 17.9));
        lastSignInAt = toSeconds(new Date(archivedAt.getTime() - rng.between(1, 120) * DAY_MS));
        createdAt = createdBefore(lastSignInAt);
        archiveReason = 'provisioning';
        break;
      }
    }

    const status = archivedAt ? 'archived' : 'active';
    const provisioned =
      la?.scim === true && (archiveReason === 'provisioning' || (archiveReason === null && rng.chance(0.3)));
    let externalId: string | null = null;
    if (provisioned && la) {
      do externalId = `${la.externalIdPrefix}${rng.int(100000, 999999)}`;
      while (externalIds.has(externalId));
      externalIds.add(externalId);
    }
    if (type === 'commissioned' && status === 'active' && activity !== 'access-ends-this-month' && rng.chance(0.4)) {
      accessEndDate = isoDate(new Date(at.getTime() + rng.int(3, 300) * DAY_MS));
    }

    const admins = adminsOf(orgKey).filter((a) => a.createdAt <= createdAt);
    const createdBy = provisioned
      ? null
      : type === 'la_admin' || type === 'support' || admins.length === 0
        ? type === 'support'
          ? null
          : supportId
        : rng.pick(admins).id;

    const signedIn = lastSignInAt !== null;
    const enrolled = signedIn && rng.chance(0.95);
    const setUpAt = toSeconds(new Date(createdAt.getTime() + rng.between(0.02, 2) * DAY_MS));
    const firstUse = signedIn ? new Date(Math.min(setUpAt.getTime(), lastSignInAt!.getTime())) : null;
    const until = archivedAt ?? at;
    const groups = groupsFor(orgKey, type);

    return {
      id,
      organisationKey: orgKey,
      username,
      firstName,
      lastName,
      email: `${username}@${org.emailDomain}`,
      jobTitle,
      phone,
      userType: type,
      privileges,
      status,
      createdAt,
      createdBy,
      lastSignInAt,
      restoredAt,
      archivedAt,
      archivedBy,
      archiveReason,
      deletionDueAt: archivedAt && archiveReason ? deletionDueFor(archiveReason, archivedAt, retention) : null,
      accessEndDate,
      externalId,
      hasPassword: signedIn,
      passwordChangedAt: firstUse,
      totpEnrolledAt: enrolled ? firstUse : null,
      schoolGroupKeys: groups.keys,
      defaultSchoolGroupKey: groups.defaultKey,
      schools: schoolsFor(orgKey, type, createdAt, until),
      subscriptions: subscriptionsFor(type, createdAt, until),
      credentials: null,
      updatedAt: latest(createdAt, restoredAt, archivedAt),
    };
  }

  return { now: at, organisations, schools, schoolGroups, accounts, demoAccounts };
}

/** Names use the typographic apostrophe, as many in GIAS do: the demo's extract shows it surviving Windows-1252. */
function schoolName(rng: Random, phase: DemoSchoolPhase, places: readonly string[]): string {
  const place = rng.pick(places);
  const saint = rng.pick(SAINTS);
  switch (phase) {
    case 'Primary':
      return rng.pick([
        `${place} Primary School`,
        `${place} Primary School`,
        `${place} Community Primary School`,
        `${place} Infant School`,
        `${place} Junior School`,
        `${place} Primary Academy`,
        `St ${saint}’s Catholic Primary School`,
        `St ${saint}’s Church of England Primary School`,
        `${place} Church of England Primary School`,
      ]);
    case 'Secondary':
      return rng.pick([
        `${place} School`,
        `${place} Academy`,
        `${place} High School`,
        `St ${saint}’s Catholic High School`,
        `${place} Girls’ School`,
        `${place} Boys’ School`,
      ]);
    case 'Special':
      return `${rng.pick(TREES)} ${rng.pick(SPECIAL_SUFFIXES)} School`;
    case 'Nursery':
      return rng.pick([
        `${place} Nursery School`,
        `${place} Maintained Nursery School`,
        `${place} Children’s Centre Nursery School`,
      ]);
    case '16 plus':
      return rng.pick([`${place} Sixth Form College`, `${place} College`]);
  }
}

/** Row counts the seed writes, for tests and the console. */
export interface DemoCounts {
  organisations: number;
  schools: number;
  schoolGroups: number;
  schoolGroupSchools: number;
  accounts: number;
  activeAccounts: number;
  archivedAccounts: number;
  accountPrivileges: number;
  schoolAssignments: number;
  accountSchoolGroups: number;
  subscriptions: number;
}

export function demoCounts(data: DemoData): DemoCounts {
  const sum = (f: (a: DemoAccountRecord) => number): number => data.accounts.reduce((n, a) => n + f(a), 0);
  return {
    organisations: data.organisations.length,
    schools: data.schools.length,
    schoolGroups: data.schoolGroups.length,
    schoolGroupSchools: data.schoolGroups.reduce((n, g) => n + g.schoolUrns.length, 0),
    accounts: data.accounts.length,
    activeAccounts: data.accounts.filter((a) => a.status === 'active').length,
    archivedAccounts: data.accounts.filter((a) => a.status === 'archived').length,
    accountPrivileges: sum((a) => a.privileges.length),
    schoolAssignments: sum((a) => a.schools.length),
    accountSchoolGroups: sum((a) => a.schoolGroupKeys.length),
    subscriptions: sum((a) => a.subscriptions.length),
  };
}
