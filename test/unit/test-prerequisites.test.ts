import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** `npm test`'s pretest step (scripts/test-prerequisites.mjs), issue 11: green or one line and a non-zero exit. */
const SCRIPT = fileURLToPath(new URL('../../scripts/test-prerequisites.mjs', import.meta.url));
const run = (env: Record<string, string>) =>
  spawnSync(process.execPath, [SCRIPT], { env: { ...process.env, ...env }, encoding: 'utf8' });

describe('the test prerequisites check', () => {
  it('passes silently on this machine, which has chromium-headless-shell and oathtool', () => {
    const result = run({});
    expect(result.status).toBe(0);
    expect(result.stdout + result.stderr).toBe('');
  });

  it('stops with one line naming the exact command when chromium-headless-shell is missing and it may not install', () => {
    const result = run({ CHROMIUM_PATH: '/nonexistent/chromium', NEXUS_NO_AUTO_INSTALL: '1' });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toEqual([
      'npm test needs chromium-headless-shell, which this machine lacks: run `sudo apt-get install -y chromium-headless-shell`, then npm test again.',
    ]);
  });
});
