import type { UserType } from '../../domain/privileges.ts';

/**
 * The demo accounts printed for newcomers (SPEC §14), with known passwords and TOTP secrets
 * (drawn by the generator from their own PRNG stream, so they never depend on `now`).
 * `la0` is the first of local-authorities.ts (Camden), `la1` the second (Birmingham).
 */

export interface DemoNamedAccount {
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
export const NAMED_ACCOUNTS: readonly DemoNamedAccount[] = [
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

export const NAMED_DEMO_USERNAMES: readonly string[] = NAMED_ACCOUNTS.map((n) => n.username);
