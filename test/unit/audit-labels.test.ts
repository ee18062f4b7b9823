import { describe, expect, it } from 'vitest';
import { auditActionLabel, hasActionLabel } from '../../src/domain/audit-labels.ts';
import { readableKey } from '../../src/domain/audit-values.ts';

describe('audit labels', () => {
  it('names actions, and an action without a name reads as its code in words', () => {
    expect(auditActionLabel('account.privileges-changed')).toBe('Privileges changed');
    expect(auditActionLabel('accounts.imported')).toBe('Accounts imported from a CSV file');
    expect(auditActionLabel('something.new')).toBe('Something new');
    expect(hasActionLabel('something.new')).toBe(false);
  });

  it('reads keys as words', () => {
    expect(readableKey('deletionDueAt')).toBe('Deletion due at');
    expect(readableKey('sessions_ended')).toBe('Sessions ended');
    expect(readableKey('cinClaAgreedBy')).toBe('CiN CLA agreed by');
    expect(readableKey('apiTokensRevoked')).toBe('API tokens revoked');
  });
});
