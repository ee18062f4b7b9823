import type { Command } from 'commander';
import { loadConfig } from '../config.ts';
import { systemClock } from '../domain/clock.ts';
import { ValidationError } from '../domain/errors.ts';
import { generateTotp, TOTP_PERIOD_SECONDS } from '../domain/totp.ts';
import { withRuntime } from './database.ts';
import { demoFile, printDemoAccounts, readDemoAccounts, seedIfEmpty } from './demo-accounts.ts';

/** The demo: its data on an empty database, and the two-factor codes of its accounts. */

/** `seed-demo`: the demo data on an empty database, and the list of demo accounts. */
export function addSeedDemoCommand(program: Command): void {
  program
    .command('seed-demo')
    .description('create the demo data on an empty database and print the demo accounts')
    .action(async () => {
      const config = loadConfig();
      const seeded = await withRuntime(config, (runtime) => seedIfEmpty(runtime, config));
      if (!seeded) {
        console.log('The database already has data, so the demo was not created.');
        const known = readDemoAccounts(config);
        if (known) await printDemoAccounts(known);
        return;
      }
      await printDemoAccounts(seeded);
      console.log(`\nWritten to ${demoFile(config)}`);
    });
}

/** `demo-code USERNAME`: the current two-factor code of a demo account. */
export function addDemoCodeCommand(program: Command): void {
  program
    .command('demo-code')
    .argument('<username>')
    .description('print the current two-factor code of a demo account (demo data only)')
    .action((username: string) => {
      const config = loadConfig();
      const accounts = readDemoAccounts(config);
      if (!accounts)
        throw new ValidationError({
          username: `There is no demo data in ${config.dataDir}. Run "npm start" on an empty database first.`,
        });
      const account = accounts.find((a) => a.username.toLowerCase() === username.trim().toLowerCase());
      if (!account)
        throw new ValidationError({
          username: `"${username}" is not a demo account. Demo accounts: ${accounts.map((a) => a.username).join(', ')}`,
        });
      const now = systemClock.now();
      const remaining = TOTP_PERIOD_SECONDS - (Math.floor(now.getTime() / 1000) % TOTP_PERIOD_SECONDS);
      console.log(generateTotp(account.totpSecret, now));
      console.error(`(valid for another ${remaining} s)`);
    });
}
