import type { LaIdentityProvider, Organisation } from '../../data/database.ts';
import {
  breakGlassCandidates,
  findIdentityProvider,
  insertIdentityProvider,
  recordConnectionTest,
  replaceBreakGlass,
  updateIdentityProvider,
  type BreakGlassCandidate,
  type ConnectionTestRow,
} from '../../data/queries/identity-provider-queries.ts';
import type { Actor } from '../../domain/access.ts';
import { NotFoundError, RuleError, StaleVersionError, ValidationError } from '../../domain/errors.ts';
import {
  isLoopbackHttp,
  signInMode,
  validateProviderSettings,
  type IdentifyingClaim,
  type ProviderSettings,
  type ProviderSettingsInput,
  type SignInMode,
} from '../../domain/identity-providers.ts';
import { audit, auditSupportRead, who } from '../audit.ts';
import type { ServiceDeps } from '../deps.ts';
import { organisationInScope } from '../organisation-scope.ts';
import type { RequestContext } from '../request-context.ts';
import { testProviderConnection, type ConnectionTest } from './connection-test.ts';

/** The settings as a page may show them: never the secret, only that one is stored. */
export interface ProviderView {
  readonly issuer: string;
  readonly clientId: string;
  readonly secretStored: true;
  readonly claim: IdentifyingClaim;
  readonly mode: SignInMode;
  readonly archiveOnRefusal: boolean;
  readonly breakGlass: readonly string[];
  readonly mfaAcr: string | null;
  readonly version: number;
  readonly updatedAt: Date;
  readonly lastTest: { readonly at: Date; readonly ok: boolean; readonly message: string | null } | null;
}

export const STALE_SETTINGS_MESSAGE =
  'Someone else changed these settings after you opened them. The page now shows them as they are: make your change again.';

const MESSAGE_MAX = 1000;

function present(row: LaIdentityProvider, breakGlass: readonly BreakGlassCandidate[]): ProviderView {
  return {
    issuer: row.issuer,
    clientId: row.client_id,
    secretStored: true,
    claim: row.identifying_claim,
    mode: signInMode(row),
    archiveOnRefusal: row.archive_on_refusal,
    breakGlass: breakGlass.filter((c) => c.named).map((c) => c.id),
    mfaAcr: row.mfa_acr,
    version: row.version,
    updatedAt: row.updated_at,
    lastTest:
      row.last_tested_at && row.last_test_ok !== null
        ? { at: row.last_tested_at, ok: row.last_test_ok, message: row.last_test_message }
        : null,
  };
}

/** The settings of an audit event, in its words: never the secret. */
function auditedSettings(s: ProviderSettings, usernames: ReadonlyMap<string, string>) {
  return {
    issuer: s.issuer,
    clientId: s.clientId,
    claim: s.claim,
    signIn: s.mode,
    archiveOnRefusal: s.archiveOnRefusal,
    breakGlass: s.breakGlass.map((id) => usernames.get(id) ?? id),
    mfaAcr: s.mfaAcr,
  };
}

/** The form's hidden version: a number, or undefined for a form shown before any settings were saved. */
function formVersion(value: unknown): number | undefined {
  return typeof value === 'string' && /^[0-9]{1,9}$/.test(value) ? Number(value) : undefined;
}

/**
 * An LA's own OpenID Connect provider (R64, issue 15 item 1): an administrator of the LA (or
 * central support, working in that LA) saves its settings, tests the connection and turns it
 * on. Only LAs have one: central support always signs in with password and two-factor
 * authentication. Sign-in through the provider is items 2–4 of the issue, not yet built.
 */
export function createIdentityProviderService({ db, clock, config, secretBox }: ServiceDeps) {
  // http:// issuers only where this service itself runs on this machine (development and tests).
  const allowLoopbackHttp = (() => {
    try {
      return isLoopbackHttp(new URL(config.baseUrl));
    } catch {
      return false;
    }
  })();

  async function laInScope(actor: Actor, la: unknown): Promise<Organisation> {
    const organisation = await organisationInScope(db, actor, la, 'identity-provider.manage');
    if (organisation.kind !== 'la') throw new NotFoundError();
    return organisation;
  }

  const test = (settings: { issuer: string; clientId: string }): Promise<ConnectionTest> =>
    testProviderConnection(settings, { allowLoopbackHttp });

  return {
    allowLoopbackHttp,

    /**
     * The page: the LA, its settings (null before the first save) and the accounts that may be
     * named break-glass. Central support without an LA chosen gets `la: false` and nothing else.
     */
    async view(actor: Actor, la: unknown, ctx: RequestContext, options: { auditRead?: boolean } = {}) {
      const organisation = await organisationInScope(db, actor, la, 'identity-provider.manage');
      if (organisation.kind !== 'la') return { organisation, isLa: false as const, settings: null, candidates: [] };
      const [row, candidates] = await Promise.all([
        findIdentityProvider(db, organisation.id),
        breakGlassCandidates(db, organisation.id),
      ]);
      // A page shown again after a form (refused or a test) is not another read: the form's own event, if any, says it.
      if (options.auditRead !== false)
        await auditSupportRead(db, actor, ctx, clock.now(), {
          organisationId: organisation.id,
          what: 'Sign-in settings',
        });
      return { organisation, isLa: true as const, settings: row ? present(row, candidates) : null, candidates };
    },

    /**
     * Saves the settings over the version the form was shown (StaleVersionError otherwise). A
     * secret left empty keeps the stored one. Turning sign-in on, or changing the issuer while
     * it is on, tests the connection first: a failing provider is never turned on.
     */
    async save(
      actor: Actor,
      la: unknown,
      input: ProviderSettingsInput & { version?: unknown },
      ctx: RequestContext,
    ): Promise<{ changed: boolean; tested: boolean }> {
      const organisation = await laInScope(actor, la);
      const [existing, candidates] = await Promise.all([
        findIdentityProvider(db, organisation.id),
        breakGlassCandidates(db, organisation.id),
      ]);
      const expectedVersion = formVersion(input.version);
      if (existing ? expectedVersion !== existing.version : expectedVersion !== undefined)
        throw new StaleVersionError(existing?.version ?? 0, STALE_SETTINGS_MESSAGE);
      const { value, errors } = validateProviderSettings(input, {
        allowLoopbackHttp,
        secretStored: existing !== undefined,
        breakGlassChoices: new Set(candidates.map((c) => c.id)),
      });
      if (!value) throw new ValidationError(errors);

      const before = existing ? present(existing, candidates) : undefined;
      const usernames = new Map(candidates.map((c) => [c.id, c.username]));
      const after = auditedSettings(value, usernames);
      const changes: Record<string, [unknown, unknown]> = {};
      if (before) {
        const was = auditedSettings({ ...before, clientSecret: undefined }, usernames);
        for (const key of Object.keys(after) as (keyof typeof after)[])
          if (JSON.stringify(was[key]) !== JSON.stringify(after[key])) changes[key] = [was[key], after[key]];
        if (Object.keys(changes).length === 0 && value.clientSecret === undefined)
          return { changed: false, tested: false };
      }

      const turningOn = value.mode !== 'off' && (!existing || !existing.enabled || existing.issuer !== value.issuer);
      let tested: ConnectionTestRow | undefined;
      if (turningOn) {
        const result = await test(value);
        if (!result.ok)
          throw new ValidationError({
            signIn: `Sign-in with the LA account was not turned on, because the connection test failed. ${result.problem}`,
          });
        tested = { at: clock.now(), ok: true, message: null };
      }

      const now = clock.now();
      const by = { accountId: actor.kind === 'account' ? actor.accountId : null, now };
      await db.transaction().execute(async (trx) => {
        const row = {
          issuer: value.issuer,
          clientId: value.clientId,
          // Kept as it is unless replaced; the version check below makes sure it is still the one read.
          clientSecretSealed: value.clientSecret ? secretBox.seal(value.clientSecret) : existing!.client_secret_sealed,
          claim: value.claim,
          enabled: value.mode !== 'off',
          required: value.mode === 'required',
          archiveOnRefusal: value.archiveOnRefusal,
          mfaAcr: value.mfaAcr,
        };
        const saved = existing
          ? await updateIdentityProvider(
              trx,
              organisation.id,
              existing.version,
              row,
              by,
              tested ?? (existing.issuer !== value.issuer ? 'clear' : undefined),
            )
          : await insertIdentityProvider(trx, organisation.id, row, by, tested ?? null);
        if (!saved) throw new StaleVersionError(existing?.version ?? 0, STALE_SETTINGS_MESSAGE);
        await replaceBreakGlass(trx, organisation.id, value.breakGlass);
        await audit(trx, who(actor), ctx, now, {
          action: existing ? 'identity-provider.changed' : 'identity-provider.configured',
          organisationId: organisation.id,
          subjectAccountId: null,
          details: {
            ...(existing ? { changes } : after),
            // That a secret was stored or replaced; never the secret itself.
            ...(existing && value.clientSecret !== undefined ? { secretReplaced: true } : {}),
            ...(tested ? { connectionTested: true } : {}),
          },
        });
      });
      return { changed: true, tested: tested !== undefined };
    },

    /** "Test the connection" of the saved settings: the result is kept beside them and audited. */
    async testConnection(actor: Actor, la: unknown, ctx: RequestContext): Promise<ConnectionTest> {
      const organisation = await laInScope(actor, la);
      const row = await findIdentityProvider(db, organisation.id);
      if (!row) throw new RuleError('Save the settings before testing the connection');
      const result = await test({ issuer: row.issuer, clientId: row.client_id });
      const now = clock.now();
      const message = result.ok ? null : result.problem.slice(0, MESSAGE_MAX);
      await db.transaction().execute(async (trx) => {
        // Kept only while the issuer tested is still the one saved; the event is written either way.
        await recordConnectionTest(trx, organisation.id, row.issuer, { at: now, ok: result.ok, message });
        await audit(trx, who(actor), ctx, now, {
          action: 'identity-provider.tested',
          organisationId: organisation.id,
          subjectAccountId: null,
          details: {
            issuer: row.issuer,
            outcome: result.ok ? 'works' : 'failed',
            ...(message ? { problem: message } : {}),
          },
        });
      });
      return result;
    },
  };
}

export type IdentityProviderService = ReturnType<typeof createIdentityProviderService>;
