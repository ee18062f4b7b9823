#!/usr/bin/env node
// Run by npm before `npm test` and `npm run test:e2e`: the browser journeys need Debian's
// chromium-headless-shell (e2e/support/browser-options.ts), and Java for the Nu Html Checker (vnu.jar) that judges every page they visit; the TOTP
// check needs Debian's oathtool (an independent implementation). A machine without them gets them
// installed when this runs as root with apt-get (as on a fresh machine of this project's kind);
// anywhere else it stops at once with one line naming the exact command, so that nothing is
// skipped silently and no test runs half-equipped.
// Plain JavaScript, no dependencies: it must work before anything else does.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium-headless-shell';
const OATHTOOL = '/usr/bin/oathtool';
const JAVA = process.env.JAVA ?? 'java';

const hasJava = () => spawnSync(JAVA, ['-version'], { stdio: 'ignore' }).status === 0;

/** Debian package names of what is missing. */
const missing = () => [
  ...(existsSync(CHROMIUM) ? [] : ['chromium-headless-shell']),
  ...(existsSync(OATHTOOL) ? [] : ['oathtool']),
  ...(hasJava() ? [] : ['default-jre-headless']),
];

const need = missing();
if (need.length === 0) process.exit(0);

const command = `apt-get install -y ${need.join(' ')}`;
const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

if (!hasApt || !isRoot || process.env.NEXUS_NO_AUTO_INSTALL === '1') {
  const how = hasApt ? `sudo ${command}` : `install ${need.join(' and ')} (Debian: ${command})`;
  console.error(`npm test needs ${need.join(' and ')}, which this machine lacks: run \`${how}\`, then npm test again.`);
  process.exit(1);
}

console.error(`npm test needs ${need.join(' and ')}: installing with \`apt-get update && ${command}\` (once)…`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
for (const args of [
  ['update', '-qq'],
  ['install', '-y', '-qq', ...need],
]) {
  const result = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env });
  if (result.status !== 0) {
    console.error(
      `Could not install ${need.join(' and ')} (apt-get ${args[0]} exited ${result.status ?? result.signal}): run \`${command}\` by hand, then npm test again.`,
    );
    process.exit(1);
  }
}
const still = missing();
if (still.length > 0) {
  console.error(
    `apt-get installed ${need.join(' and ')} but ${still.join(' and ')} is still missing (chromium at ${CHROMIUM}, oathtool at ${OATHTOOL}, Java as ${JAVA}): set CHROMIUM_PATH or JAVA, or install it by hand.`,
  );
  process.exit(1);
}
