import { describe, expect, it } from 'vitest';
import { auditActionLabel, auditDetailLines } from '../../src/domain/audit-labels.ts';

describe('audit labels', () => {
  it('names actions and shows before → after with catalogue names', () => {
    expect(auditActionLabel('account.privileges-changed')).toBe('Privileges changed');
    expect(auditActionLabel('something.new')).toBe('something.new');
    expect(auditActionLabel('accounts.imported')).toBe('Accounts imported from a CSV file');
    expect(
      auditDetailLines({
        userType: ['la_officer', 'read_only'],
        added: ['cin_cla'],
        changes: { first_name: ['Tara', 'Tamsin'] },
        username: 'support',
      }),
    ).toEqual([
      'userType: LA Officer / Analyst → Read only',
      'added: Access to Children in Need (CiN) and Children Looked After (CLA) information',
      'first_name: Tara → Tamsin',
      'username: support',
    ]);
  });
});
