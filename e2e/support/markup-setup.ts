import { afterAll, beforeAll, expect } from 'vitest';
import { measuredNarrow } from './browser.ts';
import { forgetCollected, nuCheckCollected } from './markup.ts';

/**
 * Set-up of every journey file (vitest.config.ts, setupFiles): when the file ends, the Nu Html
 * Checker has judged the HTML of every page it audited, in one Java run. Being here rather than in
 * each file, no file can forget it. Files share modules (isolate: false), so each starts afresh.
 */
beforeAll(() => {
  measuredNarrow.clear();
  forgetCollected();
});

afterAll(async () => {
  const { errors } = await nuCheckCollected();
  expect(errors, 'the Nu Html Checker on the pages this file audited').toEqual([]);
}, 120_000);
