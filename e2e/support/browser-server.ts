import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { TestProject } from 'vitest/node';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './browser-options.ts';
import { startNuService } from './nu-service.ts';

/**
 * Global setup of the browser journeys: one Chromium for the whole run, which every journey file
 * connects to (each with its own contexts), instead of each file starting and stopping its own;
 * the run's Nu Html Checker (nu-service.ts); and the run's memo of pages already found clean
 * (e2e/support/audit-memo.ts).
 */
declare module 'vitest' {
  export interface ProvidedContext {
    /** Playwright's WebSocket address of the run's Chromium. */
    chromiumEndpoint: string;
    /** The folder where the run's journey files note the pages that passed axe and the Nu checker. */
    auditMemoDir: string;
    /** Where the run's Nu Html Checker takes a page to check (nu-service.ts). */
    nuCheckerUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [server, nu] = await Promise.all([
    chromium.launchServer({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS }),
    startNuService(),
  ]);
  const memo = mkdtempSync(path.join(tmpdir(), 'nexus-audit-memo-'));
  project.provide('chromiumEndpoint', server.wsEndpoint());
  project.provide('auditMemoDir', memo);
  project.provide('nuCheckerUrl', nu.url);
  return async () => {
    await Promise.all([server.close(), nu.stop()]);
    rmSync(memo, { recursive: true, force: true });
  };
}
