import { buildAssets } from '../../scripts/build-assets.ts';

/** Pages link to the built stylesheet; build it once before the suites that serve pages. */
export default async function setup(): Promise<void> {
  await buildAssets();
}
