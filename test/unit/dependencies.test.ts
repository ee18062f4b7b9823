import { readFileSync } from 'node:fs';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

/**
 * npm 11 on Node 20 installs a package that needs Node 22 with only a warning, and it may break at
 * run time. The lock file is what a fresh `npm install` (and `npm ci`) gets, so it is checked here:
 * every package in it must accept the oldest Node the project promises (issue 11).
 */
const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  engines: { node: string };
};
const lock = JSON.parse(readFileSync(new URL('../../package-lock.json', import.meta.url), 'utf8')) as {
  packages: Record<
    string,
    {
      version?: string;
      engines?: { node?: string } | string[];
      scripts?: Record<string, string>;
      hasInstallScript?: boolean;
      resolved?: string;
    }
  >;
};

describe('the dependency tree', () => {
  const oldest = semver.minVersion(manifest.engines.node)!.version;

  it(`promises Node ${manifest.engines.node}, and the Node running the tests keeps that promise`, () => {
    expect(oldest).toBe('20.19.0');
    expect(semver.satisfies(process.version, manifest.engines.node)).toBe(true);
  });

  it('holds no package that needs a newer Node than the project promises', () => {
    const refusing = Object.entries(lock.packages)
      .filter(([path]) => path !== '')
      .flatMap(([path, info]) => {
        const node = Array.isArray(info.engines) ? undefined : info.engines?.node;
        return node && !semver.satisfies(oldest, node)
          ? [`${path.replace(/^.*node_modules\//, '')}@${info.version} needs node ${node}`]
          : [];
      });
    expect(refusing).toEqual([]);
  });

  it('runs no telemetry: @scarf/scarf is replaced by an empty local package', () => {
    const scarf = Object.entries(lock.packages).filter(([path]) => path.endsWith('node_modules/@scarf/scarf'));
    expect(scarf.length).toBeGreaterThan(0);
    for (const [, info] of scarf) {
      expect(info.resolved).toBe('vendor/no-telemetry');
      expect(info.hasInstallScript ?? false).toBe(false);
    }
  });
});
