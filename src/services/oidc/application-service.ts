import { randomBytes } from 'node:crypto';
import type { AdapterPayload } from 'oidc-provider';
import {
  findOidcClient,
  insertOidcClient,
  listOidcClients,
  setOidcClientDisabled,
  setOidcClientSecret,
  type OidcClient,
} from '../../data/queries/oidc-client-queries.ts';
import { findOidcState } from '../../data/queries/oidc-state-queries.ts';
import { authorise, type Actor } from '../../domain/access.ts';
import { NotFoundError, RuleError, ValidationError } from '../../domain/errors.ts';
import { clientIdFor, validateApplication } from '../../domain/oidc-clients.ts';
import { audit, who } from '../audit.ts';
import type { ServiceDeps } from '../deps.ts';
import type { RequestContext } from '../request-context.ts';
import { hashToken } from '../sign-in/secrets.ts';
import { clientMetadataOf } from './client-metadata.ts';
import { interactionUidOf } from '../../domain/interaction-path.ts';

/** An application as central support sees it: never its secret. */
export interface Application {
  readonly clientId: string;
  readonly name: string;
  readonly redirectUris: readonly string[];
  readonly backchannelLogoutUri: string | null;
  readonly disabledAt: Date | null;
  readonly createdAt: Date;
  readonly secretRotatedAt: Date;
  /** At the token endpoint: its client secret, or a JWT signed with its own keys (`private_key_jwt`). */
  readonly authentication: 'secret' | 'keys';
}

function applicationOf(row: OidcClient): Application {
  return {
    clientId: row.client_id,
    name: row.name,
    redirectUris: row.redirect_uris,
    backchannelLogoutUri: row.backchannel_logout_uri,
    disabledAt: row.disabled_at,
    createdAt: row.created_at,
    secretRotatedAt: row.secret_rotated_at,
    authentication: row.secret_hash === null ? 'keys' : 'secret',
  };
}

/** What the return origin is read from: the stored interaction's parameters, and its expiry (the library's seconds). */
interface InteractionFields {
  readonly params?: unknown;
  readonly exp?: unknown;
}

/** How many interactions' return origins a process remembers (each page of a sign-in asks again). */
const REMEMBERED_ORIGINS = 1000;

/** The secret is 32 random bytes: a SHA-256 of it cannot be reversed by trying guesses. */
const newSecret = () => randomBytes(32).toString('base64url');

/**
 * The applications that sign people in through Nexus (R61, issue 16 item 5): registered, listed,
 * given a new secret and disabled by central support only (`applications.manage`), each audited.
 * The secret is shown once and kept as its SHA-256.
 */
export function createApplicationService({ db, clock }: ServiceDeps) {
  // An interaction's return address never changes: once read, its origin is kept until the interaction expires.
  const returnOrigins = new Map<string, { origin: string; until: number }>();

  /** Keeps an interaction's return origin until the interaction expires; returns it. */
  function rememberReturnOrigin(uid: string, interaction: InteractionFields | undefined): string | undefined {
    const { redirect_uri } = (interaction?.params ?? {}) as { redirect_uri?: unknown };
    const origin = typeof redirect_uri === 'string' ? URL.parse(redirect_uri)?.origin : undefined;
    const exp = interaction?.exp;
    if (origin && typeof exp === 'number') {
      returnOrigins.delete(uid);
      returnOrigins.set(uid, { origin, until: exp * 1000 });
      if (returnOrigins.size > REMEMBERED_ORIGINS) returnOrigins.delete(returnOrigins.keys().next().value!);
    }
    return origin;
  }

  async function existing(clientId: unknown): Promise<OidcClient> {
    const row = typeof clientId === 'string' && clientId.length <= 100 ? await findOidcClient(db, clientId) : undefined;
    if (!row) throw new NotFoundError('There is no application with that client ID');
    return row;
  }

  /** Registers an application; its new client secret, unless it signs with its own keys. */
  async function create(
    actor: Actor,
    input: Parameters<typeof validateApplication>[0],
    ctx: RequestContext,
  ): Promise<{ application: Application; clientSecret?: string }> {
    authorise(actor, 'applications.manage');
    const { value, errors } = validateApplication(input);
    if (!value) throw new ValidationError(errors);
    const now = clock.now();
    const clientId = clientIdFor(value.name, randomBytes(4).toString('hex'));
    const { credential } = value;
    const clientSecret = credential.kind === 'secret' ? newSecret() : undefined;
    const by = who(actor);
    await db.transaction().execute(async (trx) => {
      await insertOidcClient(trx, {
        clientId,
        name: value.name,
        ...(clientSecret ? { secretHash: hashToken(clientSecret) } : {}),
        ...(credential.kind === 'jwks-uri' ? { jwksUri: credential.jwksUri } : {}),
        ...(credential.kind === 'jwks' ? { jwks: credential.jwks } : {}),
        redirectUris: value.redirectUris,
        backchannelLogoutUri: value.backchannelLogoutUri,
        createdAt: now,
        createdBy: by.accountId,
      });
      await audit(trx, by, ctx, now, {
        action: 'application.registered',
        organisationId: null,
        subjectAccountId: null,
        details: {
          application: value.name,
          clientId,
          redirectUris: value.redirectUris,
          backchannelLogoutUri: value.backchannelLogoutUri,
          ...(clientSecret ? {} : { authentication: 'private_key_jwt' }),
        },
      });
    });
    return { application: applicationOf((await findOidcClient(db, clientId))!), clientSecret };
  }

  return {
    async list(actor: Actor): Promise<Application[]> {
      authorise(actor, 'applications.manage');
      return (await listOidcClients(db)).map(applicationOf);
    },

    async view(actor: Actor, clientId: unknown): Promise<Application> {
      authorise(actor, 'applications.manage');
      return applicationOf(await existing(clientId));
    },

    /** Returns the client secret in plain text: the only time anyone sees it. */
    async register(
      actor: Actor,
      input: { name?: unknown; redirectUris?: unknown; backchannelLogoutUri?: unknown },
      ctx: RequestContext,
    ): Promise<{ application: Application; clientSecret: string }> {
      const { name, redirectUris, backchannelLogoutUri } = input;
      const { application, clientSecret } = await create(actor, { name, redirectUris, backchannelLogoutUri }, ctx);
      return { application, clientSecret: clientSecret! };
    },

    /**
     * An application that authenticates with a JWT signed by its own keys (`private_key_jwt`): its
     * key set's address or the key set itself (public keys only). No secret is made.
     */
    async registerWithKeys(
      actor: Actor,
      input: {
        name?: unknown;
        redirectUris?: unknown;
        backchannelLogoutUri?: unknown;
        jwksUri?: unknown;
        jwks?: unknown;
      },
      ctx: RequestContext,
    ): Promise<{ application: Application }> {
      if (!input.jwksUri && !input.jwks)
        throw new ValidationError({ jwks: 'Give the key set (--jwks-file) or its address (--jwks-uri)' });
      return { application: (await create(actor, input, ctx)).application };
    },

    /** A new secret at once; the old one stops working (the application must be given the new one). */
    async rotateSecret(actor: Actor, clientId: unknown, ctx: RequestContext): Promise<{ clientSecret: string }> {
      authorise(actor, 'applications.manage');
      const row = await existing(clientId);
      if (row.secret_hash === null)
        throw new RuleError(`${row.name} signs in with its own keys: it has no client secret to replace`);
      const now = clock.now();
      const clientSecret = newSecret();
      await db.transaction().execute(async (trx) => {
        await setOidcClientSecret(trx, row.client_id, hashToken(clientSecret), now);
        await audit(trx, who(actor), ctx, now, {
          action: 'application.secret-rotated',
          organisationId: null,
          subjectAccountId: null,
          details: { application: row.name, clientId: row.client_id },
        });
      });
      return { clientSecret };
    },

    /** Disabled: nobody signs in to it, and its tokens stop working. */
    async setDisabled(actor: Actor, clientId: unknown, disabled: boolean, ctx: RequestContext): Promise<void> {
      authorise(actor, 'applications.manage');
      const row = await existing(clientId);
      if ((row.disabled_at !== null) === disabled)
        throw new RuleError(`${row.name} is already ${disabled ? 'disabled' : 'enabled'}`);
      const now = clock.now();
      await db.transaction().execute(async (trx) => {
        await setOidcClientDisabled(trx, row.client_id, disabled ? now : null);
        await audit(trx, who(actor), ctx, now, {
          action: disabled ? 'application.disabled' : 'application.enabled',
          organisationId: null,
          subjectAccountId: null,
          details: { application: row.name, clientId: row.client_id },
        });
      });
    },

    /**
     * The origin of the application a sign-in in progress returns to, when `returnTo` is the
     * provider's interaction: the sign-in pages let their forms lead there (Chromium applies the
     * Content-Security-Policy's form-action to every redirect a form's answer makes, and the last
     * step's answer ends at the application's registered return address).
     */
    async returnOriginOf(returnTo: string | undefined): Promise<string | undefined> {
      const uid = interactionUidOf(returnTo);
      if (!uid) return undefined;
      // The library's own clock, which set the interaction's `exp`.
      const known = returnOrigins.get(uid);
      if (known && known.until > Date.now()) return known.origin;
      const interaction = await findOidcState(db, 'Interaction', { id: uid }, clock.now());
      return rememberReturnOrigin(uid, interaction?.payload);
    },

    /**
     * An interaction the provider has just started in this process: its return origin is kept
     * now, so that the sign-in page it leads to need not read it back.
     */
    interactionStarted(uid: string, interaction: InteractionFields): void {
      rememberReturnOrigin(uid, interaction);
    },

    /** The provider's view of a client (its adapter asks for any client id it meets): undefined for an unknown or disabled one. */
    async clientMetadata(clientId: string): Promise<AdapterPayload | undefined> {
      const row = clientId.length <= 100 ? await findOidcClient(db, clientId) : undefined;
      return row && clientMetadataOf(row);
    },
  };
}
