import { buildAssets } from '../../scripts/build-assets.ts';

/** Pages link to the built stylesheet; build it once before the suites that serve pages. */
export default async function setup(): Promise<void> {
  // Tests that spawn bin/nexus-accounts.js run the compiled JavaScript: compile it once here as well.
  await Promise.all([
    buildAssets(),
    import('../../scripts/build-code.mjs').then((code) => code.ensureBuilt({ quiet: true })),
  ]);
}
