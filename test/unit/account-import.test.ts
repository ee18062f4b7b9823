import { describe, expect, it } from 'vitest';
import {
  ACCOUNT_IMPORT_COLUMNS,
  validateAccountRows,
  type AccountImportContext,
} from '../../src/domain/account-import.ts';
import { readImportFile, sortProblems } from '../../src/domain/import-file.ts';
import { typeDefaults, type Privilege } from '../../src/domain/privileges.ts';
import { SCHOOL_IMPORT_COLUMNS, validateSchoolRows } from '../../src/domain/school-import.ts';

const held = new Set<Privilege>(typeDefaults('la_admin'));
const CTX: AccountImportContext = {
  isCentral: false,
  mayGive: (p) => held.has(p),
  schoolIdsByUrn: new Map([
    [100001, 1],
    [100002, 2],
  ]),
  groupIdsByName: new Map([['north cluster', 7]]),
  takenUsernames: new Set(['taken.user']),
  today: '2026-11-02',
  laName: 'Camden',
};

function validate(text: string, ctx = CTX) {
  const { rows, problems } = readImportFile(Buffer.from(text, 'utf8'), ACCOUNT_IMPORT_COLUMNS);
  const result = validateAccountRows(rows, ctx);
  return { plans: result.plans, problems: sortProblems([...problems, ...result.problems], ACCOUNT_IMPORT_COLUMNS) };
}

describe('account import rows (pure)', () => {
  it("a valid row becomes a plan with the type's defaults, schools, groups and end date", () => {
    const { plans, problems } = validate(
      'Username,First_Name,last_name,email,user_type,schools,school_groups,access_end_date\nJo.Bloggs, Jo ,Bloggs,jo@camden.gov.uk,LA_OFFICER,100001:consultant; 100002:Link Adviser,North Cluster,2027-03-31\n',
    );
    expect(problems).toEqual([]);
    expect(plans).toEqual([
      {
        line: 2,
        fields: {
          username: 'jo.bloggs',
          firstName: 'Jo',
          lastName: 'Bloggs',
          email: 'jo@camden.gov.uk',
          jobTitle: null,
          phone: null,
          userType: 'la_officer',
        },
        privileges: ['view_users', 'summary_reports', 'pupil_level'],
        cinClaAgreement: null,
        schools: [
          { schoolId: 1, urn: 100001, role: 'consultant' },
          { schoolId: 2, urn: 100002, role: 'link_adviser' },
        ],
        groupIds: [7],
        accessEndDate: '2027-03-31',
      },
    ]);
  });

  it('privileges may be listed with spaces, semicolons or commas and replace the defaults', () => {
    const { plans } = validate(
      'username,first_name,last_name,email,user_type,privileges\na.b,A,B,a@b.gov.uk,read_only,"summary_reports; pupil_level,view_users"\n',
    );
    expect(plans[0]!.privileges).toEqual(['view_users', 'summary_reports', 'pupil_level']);
  });

  it('every problem of every row is reported, in file order', () => {
    const { plans, problems } = validate(
      [
        'username,first_name,last_name,email,user_type,schools,access_end_date',
        'x,,B,bad,read_only,100009:consultant,2026-02-30',
        'taken.user,A,B,a@b.gov.uk,read_only,,2026-11-02',
        'ok.one,A,B,a@b.gov.uk,read_only,100001,',
        'ok.two,A,B,a@b.gov.uk,read_only,100001:consultant;100001:governor,',
      ].join('\n'),
    );
    expect(plans).toEqual([]);
    expect(problems).toEqual([
      { line: 2, column: 'username', reason: 'Username must be 3 characters or more' },
      { line: 2, column: 'first_name', reason: 'Enter first name' },
      { line: 2, column: 'email', reason: 'Enter an email address in the correct format, like name@example.gov.uk' },
      { line: 2, column: 'schools', reason: 'URN 100009 is not a school of Camden' },
      { line: 2, column: 'access_end_date', reason: 'Enter a real date, like 2027-03-31' },
      { line: 3, column: 'username', reason: 'The username taken.user is already taken. Choose another one.' },
      { line: 3, column: 'access_end_date', reason: 'The access end date must be in the future' },
      { line: 4, column: 'schools', reason: '"100001" is not a URN and role, like 100001:consultant' },
      { line: 5, column: 'schools', reason: 'URN 100001 is listed twice' },
    ]);
  });

  it('formula cells are refused in every column but phone, where + starts an international number', () => {
    const { problems } = validate(
      'username,first_name,last_name,email,user_type,job_title,phone\na.b,A,B,a@b.gov.uk,read_only,"\tHead",+44 808 157 0192\n',
    );
    expect(problems).toEqual([
      {
        line: 2,
        column: 'job_title',
        reason: 'The cell starts with "a tab", which a spreadsheet would run as a formula. Remove that character.',
      },
    ]);
  });

  it('empty columns after the last one, as spreadsheets save them, are ignored while empty', () => {
    const ok = validate(
      'username,first_name,last_name,email,user_type,,\na.b,A,B,a@b.gov.uk,read_only,,\nc.d,C,D,c@d.gov.uk,read_only\n',
    );
    expect(ok.problems).toEqual([]);
    expect(ok.plans.map((p) => p.fields.username)).toEqual(['a.b', 'c.d']);
    const stray = validate('username,first_name,last_name,email,user_type,\na.b,A,B,a@b.gov.uk,read_only,surprise\n');
    expect(stray.problems).toEqual([
      { line: 2, column: '', reason: 'The line has a value in a column without a name' },
    ]);
    const gap = validate('username,,first_name,last_name,email,user_type\n');
    expect(gap.problems).toEqual([{ line: 1, column: '', reason: 'A column of the header line has no name' }]);
  });

  it('duplicates within the file name the first line, in any case', () => {
    const { problems } = validate(
      'username,first_name,last_name,email,user_type\nsame.one,A,B,a@b.gov.uk,read_only\nSAME.ONE,A,B,a@b.gov.uk,read_only\n',
    );
    expect(problems).toEqual([
      { line: 3, column: 'username', reason: 'The username same.one is also on line 2; each account needs its own' },
    ]);
  });

  it('the header: unknown, repeated and missing columns are reported on line 1', () => {
    const { problems } = validate('username,username,first_name,email,favourite_colour\n');
    expect(problems.map((p) => [p.line, p.column])).toEqual(
      [
        [1, 'username'],
        [1, 'favourite_colour'],
        [1, 'last_name'],
        [1, 'user_type'],
      ].sort((a, b) => {
        const order = ACCOUNT_IMPORT_COLUMNS.map((c) => c.name);
        return order.indexOf(a[1] as string) - order.indexOf(b[1] as string);
      }),
    );
  });
});

describe('school assignment rows (pure)', () => {
  const ctx = {
    accountIdsByUsername: new Map([
      ['jo.bloggs', 'id-1'],
      ['sam.smith', 'id-2'],
    ]),
    schoolIdsByUrn: new Map([
      [100001, 1],
      [100002, 2],
    ]),
    laName: 'Camden',
  };
  const rows = (text: string) => readImportFile(Buffer.from(text), SCHOOL_IMPORT_COLUMNS).rows;

  it('groups the rows by account', () => {
    const { plans, problems } = validateSchoolRows(
      rows('username,urn,role\nJo.Bloggs,100001,consultant\njo.bloggs,100002,Governor\nsam.smith,100001,other\n'),
      ctx,
    );
    expect(problems).toEqual([]);
    expect(plans).toEqual([
      {
        accountId: 'id-1',
        username: 'jo.bloggs',
        schools: [
          { schoolId: 1, urn: 100001, role: 'consultant' },
          { schoolId: 2, urn: 100002, role: 'governor' },
        ],
      },
      { accountId: 'id-2', username: 'sam.smith', schools: [{ schoolId: 1, urn: 100001, role: 'other' }] },
    ]);
  });

  it('reports unknown accounts, schools, roles and repeated pairs', () => {
    const { problems } = validateSchoolRows(
      rows(
        'username,urn,role\nnobody,100001,consultant\njo.bloggs,999,consultant\njo.bloggs,100001,pilot\njo.bloggs,100002,other\njo.bloggs,100002,governor\n',
      ),
      ctx,
    );
    expect(problems).toEqual([
      { line: 2, column: 'username', reason: 'nobody is not an account of Camden' },
      { line: 3, column: 'urn', reason: '999 is not the URN of a school of Camden' },
      { line: 4, column: 'role', reason: '"pilot" is not a school role' },
      { line: 6, column: 'urn', reason: 'jo.bloggs already has URN 100002 on line 5' },
    ]);
  });
});
