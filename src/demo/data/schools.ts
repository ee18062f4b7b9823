/**
 * The demo's generated schools: their phases and how the names are made. Names use the
 * typographic apostrophe, as many in GIAS do: the demo's extract shows it surviving Windows-1252.
 */

/** Every LA has one school of each phase, in this order, before the rest are drawn by PHASE_WEIGHTS. */
export const DEMO_SCHOOL_PHASES = ['Primary', 'Secondary', 'Special', 'Nursery', '16 plus'] as const;
export type DemoSchoolPhase = (typeof DEMO_SCHOOL_PHASES)[number];

export const PHASE_WEIGHTS: Readonly<Record<DemoSchoolPhase, number>> = {
  Primary: 62,
  Secondary: 20,
  Special: 7,
  Nursery: 6,
  '16 plus': 5,
};

/**
 * Name patterns by phase: `{place}` is one of the LA's places, `{saint}` one of SAINTS. A special
 * school is named `<tree> <suffix> School` instead (TREES, SPECIAL_SUFFIXES). A pattern listed
 * twice is twice as likely.
 */
export const SCHOOL_NAME_PATTERNS: Readonly<Record<Exclude<DemoSchoolPhase, 'Special'>, readonly string[]>> = {
  Primary: [
    '{place} Primary School',
    '{place} Primary School',
    '{place} Community Primary School',
    '{place} Infant School',
    '{place} Junior School',
    '{place} Primary Academy',
    'St {saint}’s Catholic Primary School',
    'St {saint}’s Church of England Primary School',
    '{place} Church of England Primary School',
  ],
  Secondary: [
    '{place} School',
    '{place} Academy',
    '{place} High School',
    'St {saint}’s Catholic High School',
    '{place} Girls’ School',
    '{place} Boys’ School',
  ],
  Nursery: ['{place} Nursery School', '{place} Maintained Nursery School', '{place} Children’s Centre Nursery School'],
  '16 plus': ['{place} Sixth Form College', '{place} College'],
};

export const SAINTS = [
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
export const TREES = [
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
export const SPECIAL_SUFFIXES = ['House', 'Lodge', 'Field', 'Bank', 'Park', 'Hill', 'Grove', 'Meadow'];
