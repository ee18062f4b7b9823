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

function validate(text: string | Uint8Array, ctx = CTX) {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const { rows, problems, notices } = readImportFile(bytes, ACCOUNT_IMPORT_COLUMNS);
  const result = validateAccountRows(rows, ctx);
  return {
    plans: result.plans,
    problems: sortProblems([...problems, ...result.problems], ACCOUNT_IMPORT_COLUMNS),
    notices,
  };
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
      { line: 2, column: 'access_end_date', reason: 'Enter a real date, like 31/03/2027 or 2027-03-31' },
      { line: 3, column: 'username', reason: 'The username taken.user is already taken. Choose another one.' },
      { line: 3, column: 'access_end_date', reason: 'The access end date must be in the future' },
      { line: 4, column: 'schools', reason: '"100001" is not a URN and role, like 100001:consultant' },
      { line: 5, column: 'schools', reason: 'URN 100001 is listed twice' },
    ]);
  });

  it('a taken or repeated username is reported even on rows with other problems, so one upload lists them all', () => {
    const { problems } = validate(
      [
        'username,first_name,last_name,email,user_type,privileges',
        'Taken.User,A,B,not-an-email,read_only,',
        'twice,A,B,a@b.gov.uk,read_only,no_such_privilege',
        'twice,A,,a@b.gov.uk,read_only,',
      ].join('\n'),
    );
    expect(problems.filter((p) => p.column === 'username')).toEqual([
      { line: 2, column: 'username', reason: 'The username taken.user is already taken. Choose another one.' },
      { line: 4, column: 'username', reason: 'The username twice is also on line 3; each account needs its own' },
    ]);
    expect(problems.map((p) => `${p.line} ${p.column}`)).toEqual([
      '2 username',
      '2 email',
      '3 privileges',
      '4 username',
      '4 last_name',
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

  it('the header: repeated and missing columns are reported on line 1; an unknown one is not', () => {
    const { problems } = validate('username,username,first_name,email,favourite_colour\n');
    expect(problems.map((p) => [p.line, p.column])).toEqual(
      [
        [1, 'username'],
        [1, 'last_name'],
        [1, 'user_type'],
      ].sort((a, b) => {
        const order = ACCOUNT_IMPORT_COLUMNS.map((c) => c.name);
        return order.indexOf(a[1] as string) - order.indexOf(b[1] as string);
      }),
    );
  });
});

describe('files as spreadsheets save them (issue 14, items 10-13)', () => {
  const HEAD = 'username,first_name,last_name,email,user_type,job_title,phone,cin_cla_agreed_on,access_end_date';

  it('lines of delimiters only are empty rows, wherever they are, and are not counted as rows', () => {
    const { plans, problems } = validate(
      `${HEAD}\r\n,,,,,,,,\r\na.b,A,B,a@b.gov.uk,read_only,,,,\r\n,,,\r\n" ",,,,,,,,\r\n,,,,,,,,\r\n`,
    );
    expect(problems).toEqual([]);
    expect(plans.map((p) => [p.line, p.fields.username])).toEqual([[3, 'a.b']]);
    expect(validate(`${HEAD}\r\n,,,,,,,,\r\n;;;\r\n`.replace(';;;', ',,,')).problems).toEqual([
      { line: 1, column: '', reason: 'The file has a header line but no rows' },
    ]);
  });

  it('a line break inside a cell (Alt+Enter) becomes a space; in a list it separates entries', () => {
    const { plans, problems } = validate(
      'username,first_name,last_name,email,user_type,job_title,schools\n' +
        'a.b,A,B,a@b.gov.uk,read_only,"Senior\r\nData  \n\n Analyst","100001:consultant\n100002:governor"\n',
    );
    expect(problems).toEqual([]);
    expect(plans[0]!.fields.jobTitle).toBe('Senior Data Analyst');
    expect(plans[0]!.schools.map((s) => s.urn)).toEqual([100001, 100002]);
  });

  it("dates: DD/MM/YYYY, LibreOffice's DD/MM/YY and ISO are read; anything else names both forms", () => {
    const agreed = 'cin_cla_agreed_by,cin_cla_agreed_role,privileges';
    const ctx = { ...CTX, mayGive: () => true };
    const { plans, problems } = validate(
      [
        `${HEAD},${agreed}`,
        'a.b,A,B,a@b.gov.uk,virtual_school,,,15/01/2026,31/03/2027,Ann Head,Virtual Head,cin_cla',
        'c.d,C,D,c@d.gov.uk,virtual_school,,,2026-01-15,31/03/27,Ann Head,Virtual Head,cin_cla',
        'e.f,E,F,e@f.gov.uk,virtual_school,,,1/2/2026,2027-03-31,Ann Head,Virtual Head,cin_cla',
      ].join('\n'),
      ctx,
    );
    expect(problems).toEqual([]);
    expect(plans.map((p) => [p.cinClaAgreement?.agreedOn, p.accessEndDate])).toEqual([
      ['2026-01-15', '2027-03-31'],
      ['2026-01-15', '2027-03-31'],
      ['2026-02-01', '2027-03-31'],
    ]);
    const bad = validate(
      [
        `${HEAD},${agreed}`,
        'a.b,A,B,a@b.gov.uk,virtual_school,,,31/02/2026,03/31/2027,Ann Head,Virtual Head,cin_cla',
        'c.d,C,D,c@d.gov.uk,virtual_school,,,15/01/2027,01/11/2026,Ann Head,Virtual Head,cin_cla',
      ].join('\n'),
      ctx,
    );
    expect(bad.problems).toEqual([
      { line: 2, column: 'cin_cla_agreed_on', reason: 'Enter a real date, like 31/03/2027 or 2027-03-31' },
      { line: 2, column: 'access_end_date', reason: 'Enter a real date, like 31/03/2027 or 2027-03-31' },
      { line: 3, column: 'cin_cla_agreed_on', reason: 'The date of the agreement must be today or in the past' },
      { line: 3, column: 'access_end_date', reason: 'The access end date must be in the future' },
    ]);
  });

  it('a phone number that a spreadsheet kept as a number is a problem of its row, never repaired', () => {
    const { plans, problems } = validate(
      [
        HEAD,
        'a.b,A,B,a@b.gov.uk,read_only,,1632960001,,',
        'c.d,C,D,c@d.gov.uk,read_only,,4.48081570192E+11,,',
        'e.f,E,F,e@f.gov.uk,read_only,,01632 960001,,',
        'g.h,G,H,g@h.gov.uk,read_only,,+44 808 157 0192,,',
        "i.j,I,J,i@j.gov.uk,read_only,,'+44 808 157 0192,,",
      ].join('\n'),
    );
    expect(problems).toEqual([
      {
        line: 2,
        column: 'phone',
        reason:
          'The phone number 1632960001 has lost its leading 0 (or +): a spreadsheet drops it when it keeps a phone number as a number. Write the number in full, like 01632 960 001, in a column formatted as Text.',
      },
      {
        line: 3,
        column: 'phone',
        reason:
          'The phone number 4.48081570192E+11 was saved as a number in scientific notation, which loses digits. Write the number in full, like 01632 960 001, in a column formatted as Text.',
      },
    ]);
    // The apostrophe that CSV exports put before a leading + is taken off.
    expect(plans.map((p) => p.fields.phone)).toEqual(['01632 960001', '+44 808 157 0192', '+44 808 157 0192']);
  });

  it('semicolons, tabs, UTF-16 (LE and BE, with or without a byte-order mark) and Windows-1252 read alike', () => {
    const text =
      'username;first_name;last_name;email;user_type;job_title\r\nzoe.b;Zoë;Brontë;z@b.gov.uk;read_only;"Head; Café"\r\n';
    const tab = text.replaceAll(';', '\t').replace('"Head\t Café"', 'Head, Café');
    const bom = (encoding: 'utf16le', t: string) =>
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(t, encoding)]);
    const be = (t: string) => Buffer.from(Buffer.from(t, 'utf16le')).swap16();
    const files: Uint8Array[] = [
      Buffer.from(text),
      Buffer.from(tab),
      bom('utf16le', tab),
      Buffer.from(tab, 'utf16le'),
      Buffer.concat([Buffer.from([0xfe, 0xff]), be(tab)]),
      be(tab),
      Buffer.from(text, 'latin1'),
    ];
    for (const bytes of files) {
      const { plans, problems } = validate(bytes);
      expect(problems).toEqual([]);
      expect(plans.map((p) => [p.fields.firstName, p.fields.lastName])).toEqual([['Zoë', 'Brontë']]);
    }
    expect(validate(Buffer.from(text)).plans[0]!.fields.jobTitle).toBe('Head; Café');
    expect(validate(Buffer.from(tab)).plans[0]!.fields.jobTitle).toBe('Head, Café');
  });

  it('a cell count that does not match names the delimiter the file uses', () => {
    expect(validate('username;first_name;last_name;email;user_type\na.b;A;B;a@b.gov.uk;read;only\n').problems).toEqual([
      {
        line: 2,
        column: '',
        reason: 'The line has 6 cells but the header has 5. Put cells holding semicolons in double quotes.',
      },
    ]);
  });

  it('unknown columns are ignored, in any number, with one notice naming them', () => {
    const one = validate(
      'username,first_name,last_name,email,user_type,Notes\na.b,A,B,a@b.gov.uk,read_only,=call her\n',
    );
    expect(one.problems).toEqual([]);
    expect(one.plans).toHaveLength(1);
    expect(one.notices).toEqual(['The column "Notes" is not a column of this import, so it was ignored.']);
    const three = validate('Notes,username,first_name,last_name,email,user_type,Team,notes,Colour\n');
    expect(three.notices).toEqual([
      'The columns "Notes", "Team" and "Colour" are not columns of this import, so they were ignored.',
    ]);
    expect(validate('username,first_name,last_name,email,user_type\na.b,A,B,a@b.gov.uk,read_only\n').notices).toEqual(
      [],
    );
  });

  it('"none" in privileges means no privileges; an empty cell the defaults of the type', () => {
    const { plans } = validate(
      'username,first_name,last_name,email,user_type,privileges\na.b,A,B,a@b.gov.uk,la_officer,None\nc.d,C,D,c@d.gov.uk,la_officer,\n',
    );
    expect(plans.map((p) => p.privileges)).toEqual([[], ['view_users', 'summary_reports', 'pupil_level']]);
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
