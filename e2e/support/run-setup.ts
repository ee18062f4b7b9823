import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startNuService } from './nu-service.ts';

/**
 * Global setup of the browser journeys (each worker launches its own Chromium: browser.ts): the
 * run's Nu Html Checker (nu-service.ts), and the run's memo of pages already found clean
 * (e2e/support/audit-memo.ts).
 */
declare module 'vitest' {
  export interface ProvidedContext {
    /** The folder where the run's journey files note the pages that passed axe and the Nu checker. */
    auditMemoDir: string;
    /** Where the run's Nu Html Checker takes a page to check (nu-service.ts). */
    nuCheckerUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const nu = await startNuService();
  const memo = mkdtempSync(path.join(tmpdir(), 'nexus-audit-memo-'));
  project.provide('auditMemoDir', memo);
  project.provide('nuCheckerUrl', nu.url);
  return async () => {
    await nu.stop();
    rmSync(memo, { recursive: true, force: true });
  };
}
