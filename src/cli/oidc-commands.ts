import type { Command } from 'commander';
import { loadConfig } from '../config.ts';
import { SYSTEM, withRuntime } from './database.ts';

/** The OpenID Connect provider's signing keys and applications (R61, issue 16). */
export function addOidcCommands(program: Command): void {
  program
    .command('keys')
    .description('the signing keys of the OpenID Connect provider at BASE_URL/oidc (R61)')
    .command('rotate')
    .description('make a new signing key; the old one stays in the key set until every token it signed has expired')
    .action(async () => {
      const config = loadConfig();
      const [{ who }, { formatDateTime }] = await Promise.all([
        import('../services/audit.ts'),
        import('../services/deps.ts'),
      ]);
      await withRuntime(config, async (runtime) => {
        const r = await runtime.services.oidcKeys.rotate(who(SYSTEM));
        const zone = config.lifecycle.timezone;
        console.log(`New signing key ${r.kid}; it signs tokens from ${formatDateTime(r.signsFrom, zone)}.`);
        if (r.previousKid && r.previousRetiresAt)
          console.log(
            `The previous key ${r.previousKid} signs until then and stays in the key set until ${formatDateTime(r.previousRetiresAt, zone)}.`,
          );
      });
    });
}
