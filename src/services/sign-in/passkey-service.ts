import { randomUUID } from 'node:crypto';
import type { Account, Executor, Passkey } from '../../data/database.ts';
import { findAccountById } from '../../data/queries/account-queries.ts';
import {
  credentialExists,
  deletePasskey,
  insertPasskey,
  passkeysOf,
  setChallenge,
  takeChallenge,
} from '../../data/queries/passkey-queries.ts';
import { decide, type Actor } from '../../domain/access.ts';
import { NotFoundError, ValidationError } from '../../domain/errors.ts';
import { fullName } from '../../domain/names.ts';
import { PASSKEY_CHALLENGE_MINUTES, passkeyName } from '../../domain/passkeys.ts';
import { enqueueEmail } from '../../mail/enqueue.ts';
import { passkeyChangedEmail } from '../../mail/templates/account-emails.ts';
import { audit, who } from '../audit.ts';
import { formatDateTime, mailDomain, type ServiceDeps } from '../deps.ts';
import type { RequestContext } from '../request-context.ts';
import { readCredentialResponse, registrationOptions, verifyRegistration } from './webauthn.ts';
import { isUniqueViolation } from '../../data/unique-violation.ts';

export const NEEDS_JAVASCRIPT =
  'Adding a passkey needs JavaScript, and a browser that supports passkeys. Turn JavaScript on, or use another browser.';
const REFUSED = 'The passkey was not added. Try again, and confirm with your fingerprint, face or PIN when asked.';

/** My account's passkeys (R65): add one (WebAuthn registration), see them, remove one. */
export function createPasskeyService(deps: ServiceDeps) {
  const { db, clock, config } = deps;

  async function ownAccount(actor: Actor): Promise<Account> {
    if (actor.kind !== 'account' || decide(actor, 'my-account.passkeys', { accountId: actor.accountId }) !== 'allow')
      throw new NotFoundError();
    const account = await findAccountById(db, actor.accountId);
    if (!account) throw new NotFoundError();
    return account;
  }

  async function notify(
    trx: Executor,
    account: Account,
    passkey: Passkey | { id: string; name: string },
    change: 'added' | 'removed',
    now: Date,
  ) {
    await enqueueEmail(trx, mailDomain(config), {
      dedupKey: `passkey-${change}:${passkey.id}`,
      template: `passkey-${change}`,
      to: { address: account.email, name: fullName(account) },
      organisationId: account.organisation_id,
      accountId: account.id,
      content: passkeyChangedEmail({
        platformName: config.platformName,
        firstName: account.first_name,
        username: account.username,
        passkeyName: passkey.name,
        change,
        when: formatDateTime(now, config.lifecycle.timezone),
      }),
      now,
    });
  }

  return {
    async list(actor: Actor): Promise<Passkey[]> {
      const account = await ownAccount(actor);
      return passkeysOf(db, account.id);
    },

    /**
     * Opens a registration on the signed-in session and returns what the browser needs to create
     * the passkey: the challenge is kept server-side, bound to this session, for a few minutes.
     */
    async registrationOptions(actor: Actor, sessionIdHash: string) {
      const account = await ownAccount(actor);
      const options = await registrationOptions(
        config,
        { id: account.id, username: account.username, displayName: fullName(account) },
        await passkeysOf(db, account.id),
      );
      await setChallenge(db, sessionIdHash, {
        value: options.challenge,
        purpose: 'register',
        expiresAt: new Date(clock.now().getTime() + PASSKEY_CHALLENGE_MINUTES * 60_000),
      });
      return options;
    },

    async add(
      actor: Actor,
      input: { name: string | undefined; response: string | undefined },
      ctx: RequestContext & { sessionIdHash: string },
    ): Promise<Passkey> {
      const account = await ownAccount(actor);
      const named = passkeyName(input.name);
      // A name first: the page's script asks the authenticator only once the name is good.
      if ('error' in named) throw new ValidationError({ name: named.error });
      if (!input.response) throw new ValidationError({ passkey: NEEDS_JAVASCRIPT });
      const answer = readCredentialResponse(input.response);
      if (!answer) throw new ValidationError({ passkey: REFUSED });

      const now = clock.now();
      // Taken before the check, so a refused answer spends the challenge too: a new attempt starts afresh.
      const challenge = await takeChallenge(db, ctx.sessionIdHash, 'register', now);
      const credential = challenge ? await verifyRegistration(config, answer, challenge) : undefined;
      if (!credential) throw new ValidationError({ passkey: REFUSED });
      const alreadyAdded = () => new ValidationError({ passkey: 'This passkey is already added.' });
      if (await credentialExists(db, credential.credentialId)) throw alreadyAdded();

      const id = randomUUID();
      try {
        await db.transaction().execute(async (trx) => {
          await insertPasskey(trx, { id, accountId: account.id, ...credential, name: named.name, now });
          await audit(trx, who(actor), ctx, now, {
            action: 'passkey.added',
            organisationId: account.organisation_id,
            subjectAccountId: account.id,
            details: { name: named.name },
          });
          await notify(trx, account, { id, name: named.name }, 'added', now);
        });
      } catch (error) {
        // The look-up above can race another request adding the same credential: the index decides.
        if (isUniqueViolation(error)) throw alreadyAdded();
        throw error;
      }
      return (await passkeysOf(db, account.id)).find((p) => p.id === id)!;
    },

    /** One of your own passkeys, for the page that asks before removing it. */
    async find(actor: Actor, id: string): Promise<Passkey> {
      const account = await ownAccount(actor);
      const passkey = (await passkeysOf(db, account.id)).find((p) => p.id === id);
      if (!passkey) throw new NotFoundError();
      return passkey;
    },

    async remove(actor: Actor, id: string, ctx: RequestContext): Promise<Passkey> {
      const account = await ownAccount(actor);
      const now = clock.now();
      const removed = await db.transaction().execute(async (trx) => {
        const passkey = /^[0-9a-f-]{36}$/i.test(id) ? await deletePasskey(trx, account.id, id) : undefined;
        if (!passkey) return undefined;
        await audit(trx, who(actor), ctx, now, {
          action: 'passkey.removed',
          organisationId: account.organisation_id,
          subjectAccountId: account.id,
          details: { name: passkey.name },
        });
        await notify(trx, account, passkey, 'removed', now);
        return passkey;
      });
      if (!removed) throw new NotFoundError();
      return removed;
    },
  };
}
