import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { loadConfig } from '../config.ts';
import { SYSTEM, withRuntime } from './database.ts';
import { table } from './output.ts';

const collect = (value: string, previous: string[]) => [...previous, value];

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

  const clients = program
    .command('clients')
    .description('applications that sign people in through Nexus (R61); central support registers them');

  clients
    .command('add')
    .description('register an application; its client secret is printed once and never shown again')
    .requiredOption('--name <name>', 'the name people know the application by')
    .option('--redirect-uri <uri>', 'where Nexus sends people back after sign-in (exact; repeat for more)', collect, [])
    .option('--backchannel-logout-uri <uri>', 'where Nexus tells the application that a session has ended')
    .option('--jwks-uri <uri>', 'private_key_jwt instead of a secret: where the application publishes its public keys')
    .option('--jwks-file <file>', 'private_key_jwt instead of a secret: a JSON key set of its public keys')
    .action(
      async (options: {
        name: string;
        redirectUri: string[];
        backchannelLogoutUri?: string;
        jwksUri?: string;
        jwksFile?: string;
      }) => {
        const config = loadConfig();
        const { SYSTEM_CONTEXT } = await import('../services/request-context.ts');
        const input = {
          name: options.name,
          redirectUris: options.redirectUri,
          backchannelLogoutUri: options.backchannelLogoutUri,
        };
        const jwks = options.jwksFile === undefined ? undefined : await readFile(options.jwksFile, 'utf8');
        await withRuntime(config, async (runtime) => {
          const { applications } = runtime.services;
          const withKeys = options.jwksUri !== undefined || jwks !== undefined;
          const { application, clientSecret } = withKeys
            ? {
                ...(await applications.registerWithKeys(
                  SYSTEM,
                  { ...input, jwksUri: options.jwksUri, jwks },
                  SYSTEM_CONTEXT,
                )),
                clientSecret: undefined,
              }
            : await applications.register(SYSTEM, input, SYSTEM_CONTEXT);
          console.log(`Registered ${application.name}.`);
          console.log(`Issuer:        ${config.baseUrl}/oidc`);
          console.log(`Client ID:     ${application.clientId}`);
          if (clientSecret === undefined) {
            console.log('Client authentication: private_key_jwt (a JWT signed with one of its registered keys)');
            return;
          }
          console.log(`Client secret: ${clientSecret}`);
          console.log(
            '\nKeep the secret now: it is not stored and cannot be shown again (clients rotate-secret makes a new one).',
          );
        });
      },
    );

  clients
    .command('list')
    .description('the registered applications')
    .action(async () => {
      const config = loadConfig();
      await withRuntime(config, async (runtime) => {
        const rows = await runtime.services.applications.list(SYSTEM);
        if (rows.length === 0) return console.log('No applications are registered.');
        console.log(
          table(
            ['Client ID', 'Name', 'State', 'Return addresses'],
            rows.map((a) => [a.clientId, a.name, a.disabledAt ? 'disabled' : 'enabled', a.redirectUris.join(' ')]),
          ),
        );
      });
    });

  clients
    .command('rotate-secret')
    .argument('<client-id>')
    .description('give an application a new client secret, printed once; the old one stops working at once')
    .action(async (clientId: string) => {
      const config = loadConfig();
      const { SYSTEM_CONTEXT } = await import('../services/request-context.ts');
      await withRuntime(config, async (runtime) => {
        const { clientSecret } = await runtime.services.applications.rotateSecret(SYSTEM, clientId, SYSTEM_CONTEXT);
        console.log(`New client secret for ${clientId}: ${clientSecret}`);
      });
    });

  for (const [command, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    clients
      .command(command)
      .argument('<client-id>')
      .description(disabled ? 'stop an application signing anyone in; its tokens stop working' : 'enable it again')
      .action(async (clientId: string) => {
        const config = loadConfig();
        const { SYSTEM_CONTEXT } = await import('../services/request-context.ts');
        await withRuntime(config, async (runtime) => {
          await runtime.services.applications.setDisabled(SYSTEM, clientId, disabled, SYSTEM_CONTEXT);
          console.log(`${clientId} is ${disabled ? 'disabled' : 'enabled'}.`);
        });
      });
  }
}
