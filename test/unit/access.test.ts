import { describe, expect, it } from 'vitest';
import {
  ACCESS_RULES,
  can,
  decide,
  type Action,
  type Actor,
  type Decision,
  type Target,
} from '../../src/domain/access.ts';
import { typeDefaults, type Privilege, type UserType } from '../../src/domain/privileges.ts';

/**
 * The authorisation and tenant-scope table of src/domain/access.ts, walked as a matrix:
 * every action × every kind of actor → allow (ok), forbidden (403) or not found (404: the
 * target is outside the actor's scope, and answering 404 does not reveal it exists, R4).
 *
 * Signed-out requests and an archived account's old session never reach this table: the
 * session layer refuses them first (tested with the sign-in journey).
 */

const CAMDEN = 11;
const BIRMINGHAM = 12;
const CENTRAL = 1;

function account(id: string, organisationId: number, type: UserType, organisationKind: 'la' | 'central' = 'la'): Actor {
  return {
    kind: 'account',
    accountId: id,
    organisationId,
    organisationKind,
    privileges: new Set<Privilege>(typeDefaults(type)),
    label: id,
  };
}

/** The columns of the table. */
const ACTORS = {
  /** Camden LA Administrator: manage_users, nexus_admin, view_users, manage_school_groups, … */
  admin: account('camden.admin', CAMDEN, 'la_admin'),
  /** Camden LA Officer: view_users but no manage_users. */
  officer: account('camden.officer', CAMDEN, 'la_officer'),
  /** Camden Read only: summary_reports only, i.e. none of the privileges the table asks for. */
  reader: account('camden.reader', CAMDEN, 'read_only'),
  /** Birmingham LA Administrator: every admin privilege, but another LA. */
  otherLa: account('birmingham.admin', BIRMINGHAM, 'la_admin'),
  /** Central support: every privilege, every LA (R4). */
  support: account('support', CENTRAL, 'support', 'central'),
  /** The system (command line, scheduled jobs). */
  system: { kind: 'system', label: 'command line' } as Actor,
} as const;
type ActorName = keyof typeof ACTORS;

/** The targets of the rows. */
const TARGETS = {
  /** An account of Camden that is not the actor. */
  'Camden user': () => ({ organisationId: CAMDEN, accountId: 'camden.someone' }),
  /** Camden as a whole (lists, creation, LA-wide pages). */
  Camden: () => ({ organisationId: CAMDEN }),
  /** The actor's own account. */
  'own account': (actor: Actor) =>
    actor.kind === 'account' ? { organisationId: actor.organisationId, accountId: actor.accountId } : {},
  /** No particular LA or account (central support pages). */
  '—': () => ({}),
} satisfies Record<string, (actor: Actor) => Target>;
type TargetName = keyof typeof TARGETS;

type Cell = 'ok' | 403 | 404;
const DECISION: Record<Cell, Decision> = { ok: 'allow', 403: 'forbidden', 404: 'not-found' };

const MATRIX: readonly [Action, TargetName, Cell, Cell, Cell, Cell, Cell, Cell][] = [
  //  action                        target          admin  officer reader otherLa support system
  ['home.view', 'own account', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'],
  ['home.view', 'Camden user', 404, 404, 404, 404, 404, 'ok'],
  ['my-account.view', 'own account', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'],
  ['my-account.view', 'Camden user', 404, 404, 404, 404, 404, 'ok'],
  ['my-account.change-password', 'own account', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'],
  ['my-account.change-password', 'Camden user', 404, 404, 404, 404, 404, 'ok'],
  ['my-account.communications', 'own account', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'],
  ['my-account.communications', 'Camden user', 404, 404, 404, 404, 404, 'ok'],
  ['my-account.passkeys', 'own account', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'],
  ['my-account.passkeys', 'Camden user', 404, 404, 404, 404, 404, 'ok'],
  ['users.list', 'Camden', 'ok', 'ok', 403, 404, 'ok', 'ok'],
  ['users.list-contacts', 'Camden', 'ok', 'ok', 403, 'ok', 'ok', 'ok'],
  ['users.export', 'Camden', 'ok', 'ok', 403, 404, 'ok', 'ok'],
  ['users.view', 'Camden user', 'ok', 'ok', 403, 404, 'ok', 'ok'],
  ['users.view-schools', 'Camden user', 'ok', 'ok', 403, 404, 'ok', 'ok'],
  ['users.view-audit', 'Camden user', 'ok', 403, 403, 404, 'ok', 'ok'],
  ['users.create', 'Camden', 'ok', 403, 403, 404, 'ok', 'ok'],
  ['users.resend-invitation', 'Camden user', 'ok', 403, 403, 404, 'ok', 'ok'],
  ['users.import', 'Camden', 'ok', 403, 403, 404, 'ok', 'ok'],
  ['users.edit', 'Camden user', 'ok', 403, 403, 404, 'ok', 'ok'],
  ['users.edit', 'own account', 'ok', 403, 403, 'ok', 'ok', 'ok'],
  ['users.edit-schools', 'Camden user', 'ok', 403, 403, 404, 'ok', 'ok'],
  ['users.edit-privileges', 'Camden user', 'ok', 403, 403, 404, 'ok', 'ok'],
  ['users.archive', 'Camden user', 'ok', 403, 403, 404, 'ok', 'ok'],
  ['users.archive', 'own account', 403, 403, 403, 403, 403, 'ok'],
  ['users.delete', 'Camden user', 'ok', 403, 403, 404, 'ok', 'ok'],
  ['users.delete', 'own account', 403, 403, 403, 403, 403, 'ok'],
  ['users.restore', 'Camden user', 'ok', 403, 403, 404, 'ok', 'ok'],
  ['users.reset-two-factor', 'Camden user', 'ok', 403, 403, 404, 'ok', 'ok'],
  ['school-groups.manage', 'Camden', 'ok', 403, 403, 404, 'ok', 'ok'],
  ['audit.view', 'Camden', 'ok', 403, 403, 404, 'ok', 'ok'],
  ['lifecycle.view', 'Camden', 'ok', 403, 403, 404, 'ok', 'ok'],
  ['security-alerts.view', 'Camden', 'ok', 403, 403, 404, 'ok', 'ok'],
  ['reviews.manage', 'Camden', 'ok', 403, 403, 404, 'ok', 'ok'],
  ['api-tokens.manage', 'Camden', 'ok', 403, 403, 404, 'ok', 'ok'],
  ['identity-provider.manage', 'Camden', 'ok', 403, 403, 404, 'ok', 'ok'],
  ['support.sent-email', '—', 403, 403, 403, 403, 'ok', 'ok'],
  ['support.topic-messages', '—', 403, 403, 403, 403, 'ok', 'ok'],
  ['support.school-imports', '—', 403, 403, 403, 403, 'ok', 'ok'],
  ['support.la-context', '—', 403, 403, 403, 403, 'ok', 'ok'],
  ['applications.manage', '—', 403, 403, 403, 403, 'ok', 'ok'],
];

const COLUMNS: readonly ActorName[] = ['admin', 'officer', 'reader', 'otherLa', 'support', 'system'];

describe('the access table (src/domain/access.ts)', () => {
  it('covers every action of ACCESS_RULES, and nothing else', () => {
    expect(new Set(MATRIX.map(([action]) => action))).toEqual(new Set(Object.keys(ACCESS_RULES)));
  });

  it.each(MATRIX)('%s on %s', (action, targetName, ...cells) => {
    const actual = Object.fromEntries(
      COLUMNS.map((name) => [name, decide(ACTORS[name], action, TARGETS[targetName](ACTORS[name]))]),
    );
    const expected = Object.fromEntries(COLUMNS.map((name, i) => [name, DECISION[cells[i]!]]));
    expect(actual).toEqual(expected);
    // `can` (used to show or hide links) agrees with `decide` everywhere.
    for (const name of COLUMNS) {
      expect(can(ACTORS[name], action, TARGETS[targetName](ACTORS[name]))).toBe(actual[name] === 'allow');
    }
  });
});

describe('nobody archives or deletes their own account (R29)', () => {
  it('only archive and delete are marked notSelf', () => {
    const notSelf = Object.entries(ACCESS_RULES)
      .filter(([, rule]) => 'notSelf' in rule && rule.notSelf)
      .map(([action]) => action);
    expect(notSelf.sort()).toEqual(['users.archive', 'users.delete']);
  });

  it('refuses it even when the account is named without its LA, and even for central support', () => {
    for (const actor of [ACTORS.admin, ACTORS.support]) {
      if (actor.kind !== 'account') throw new Error('unreachable');
      expect(decide(actor, 'users.archive', { accountId: actor.accountId })).toBe('forbidden');
      expect(decide(actor, 'users.delete', { accountId: actor.accountId })).toBe('forbidden');
    }
  });

  it('central support may archive and delete another account of the central organisation or of any LA', () => {
    for (const target of [
      { organisationId: CENTRAL, accountId: 'support.colleague' },
      { organisationId: BIRMINGHAM, accountId: 'birmingham.someone' },
    ]) {
      expect(decide(ACTORS.support, 'users.archive', target)).toBe('allow');
      expect(decide(ACTORS.support, 'users.delete', target)).toBe('allow');
    }
  });

  it('an administrator may archive or delete another administrator of the same LA', () => {
    const colleague = { organisationId: CAMDEN, accountId: 'camden.admin2' };
    expect(decide(ACTORS.admin, 'users.archive', colleague)).toBe('allow');
    expect(decide(ACTORS.admin, 'users.delete', colleague)).toBe('allow');
  });
});

describe('privileges are checked before scope', () => {
  it('an actor without the privilege gets 403 whatever the LA, so the table never leaks existence to them either', () => {
    const birminghamReader = account('birmingham.reader', BIRMINGHAM, 'read_only');
    expect(decide(birminghamReader, 'users.view', { organisationId: CAMDEN, accountId: 'camden.someone' })).toBe(
      'forbidden',
    );
    expect(
      decide(birminghamReader, 'users.view', { organisationId: BIRMINGHAM, accountId: 'birmingham.someone' }),
    ).toBe('forbidden');
  });

  it('an LA administrator holding manage_users without nexus_admin cannot reset two-factor authentication (R28)', () => {
    const actor: Actor = { ...ACTORS.admin, privileges: new Set<Privilege>(['manage_users', 'view_users']) } as Actor;
    expect(decide(actor, 'users.reset-two-factor', { organisationId: CAMDEN, accountId: 'camden.someone' })).toBe(
      'forbidden',
    );
    expect(decide(actor, 'users.edit', { organisationId: CAMDEN, accountId: 'camden.someone' })).toBe('allow');
  });

  it('a central account without the support privilege is not central support', () => {
    const central = account('central.clerk', CENTRAL, 'read_only', 'central');
    expect(decide(central, 'support.sent-email')).toBe('forbidden');
    expect(decide(central, 'users.view', { organisationId: CAMDEN, accountId: 'camden.someone' })).toBe('forbidden');
  });
});

describe('the support privilege outside the central organisation', () => {
  it('grants nothing to an LA account that holds it by mistake', () => {
    const stray = {
      kind: 'account' as const,
      accountId: 'a',
      organisationId: 7,
      organisationKind: 'la' as const,
      privileges: new Set(['support' as const]),
      label: 'stray',
    };
    expect(decide(stray, 'support.sent-email')).toBe('forbidden');
    expect(decide(stray, 'users.list', { organisationId: 8 })).toBe('forbidden');
  });
});
