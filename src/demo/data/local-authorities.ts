import type { UserType } from '../../domain/privileges.ts';
import type { Activity } from './account-mix.ts';

/**
 * The demo's Local Authorities (SPEC §14): five real English LAs with their DfE LA codes, the
 * places their generated schools are named after, how many schools and accounts each gets, and
 * the story each LA tells:
 * - Camden shows, on any date, an archive due this week and an access end date this month;
 * - Birmingham has exactly one active holder of `manage_users` (`birmingham.admin`, see
 *   named-accounts.ts): the last-administrator protection (R17);
 * - Hertfordshire's only administrator is about to get a first warning, which alerts central
 *   support (R38);
 * - Camden, Liverpool and Kent have two administrators or more;
 * - Kent and Hertfordshire provision accounts from their HR systems over SCIM.
 * Order matters: the first LA is `la0`, the second `la1`… (named-accounts.ts refers to them so).
 */

export interface DemoLocalAuthority {
  code: string;
  name: string;
  slug: string;
  phonePrefix: string;
  places: readonly string[];
  /** How many schools are generated: between the two, inclusive. */
  schools: [number, number];
  /** How many accounts are generated (the placed ones included): between the two, inclusive. */
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

export const LOCAL_AUTHORITIES: readonly DemoLocalAuthority[] = [
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
