import { chromium } from 'playwright-core';
import type { TestProject } from 'vitest/node';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './browser-options.ts';

/**
 * Global setup of the browser journeys: one Chromium for the whole run, which every journey file
 * connects to (each with its own contexts), instead of each file starting and stopping its own.
 */
declare module 'vitest' {
  export interface ProvidedContext {
    /** Playwright's WebSocket address of the run's Chromium. */
    chromiumEndpoint: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await chromium.launchServer({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  project.provide('chromiumEndpoint', server.wsEndpoint());
  return () => server.close();
}
