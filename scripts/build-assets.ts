/**
 * Builds the static assets served under /assets:
 *
 *   app.css                   src/web/styles/app.scss compiled with Sass (compressed)
 *   govuk-frontend.min.js     GOV.UK Frontend 6 (ES module) + .map
 *   moj-frontend.min.js       MoJ Frontend 11 (ES module) + .map
 *   accessible-autocomplete.min.js / .css   GOV.UK's accessible autocomplete (UMD bundle) + .maps,
 *                             for the school picker (src/web/assets/school-picker.mjs)
 *   simplewebauthn-browser.min.js   @simplewebauthn/browser (UMD bundle), for passkeys.mjs
 *   images/*                  only the images app.css refers to, never crown/crest/logo files
 *   init.mjs, favicon.svg     our own files from src/web/assets/
 *
 * Incremental: app.css is recompiled only when the content of a Sass input (our .scss files, the
 * installed package versions, this script) or the version of sass changed since it was built (a
 * SHA-256 of the inputs and the sass version are kept in .app-css-inputs beside it); other files are
 * copied only when the source is newer than the copy. Prints nothing unless something was built.
 * Writes are atomic (temp file + rename), so processes starting together never serve a half-written
 * file.
 *
 * sass is a development dependency: a production install (`npm run build`, then
 * `npm ci --omit=dev`) has none, and serves the app.css built for the same inputs; when the inputs
 * changed since (or there is no app.css), it stops with an error saying to run the build.
 *
 *   await buildAssets()                // → <project>/dist/assets
 *   npx tsx scripts/build-assets.ts [outDir] [--force]
 *
 * A relative outDir is resolved against the project root, not the working directory.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const NODE_MODULES = path.join(ROOT, 'node_modules');
const GOVUK = path.join(NODE_MODULES, 'govuk-frontend');
const MOJ = path.join(NODE_MODULES, '@ministryofjustice', 'frontend');
const AUTOCOMPLETE = path.join(NODE_MODULES, 'accessible-autocomplete');
const WEBAUTHN_BROWSER = path.join(NODE_MODULES, '@simplewebauthn', 'browser');
const STYLES_DIR = path.join(ROOT, 'src', 'web', 'styles');
const OWN_ASSETS_DIR = path.join(ROOT, 'src', 'web', 'assets');
const SCSS_ENTRY = path.join(STYLES_DIR, 'app.scss');
const THIS_FILE = fileURLToPath(import.meta.url);

/** Where images named in the CSS are looked up, in order. */
const IMAGE_DIRS = [path.join(GOVUK, 'dist', 'govuk', 'assets', 'images'), path.join(MOJ, 'moj', 'assets', 'images')];

/** Branding we must not use: the crown, crests, GOV.UK / MoJ logos and icons. */
const BRANDED_IMAGE = /crest|crown|logo|^govuk-|^moj-|^favicon/i;

const COPIES: ReadonlyArray<readonly [from: string, to: string]> = [
  [path.join(GOVUK, 'dist', 'govuk', 'govuk-frontend.min.js'), 'govuk-frontend.min.js'],
  [path.join(GOVUK, 'dist', 'govuk', 'govuk-frontend.min.js.map'), 'govuk-frontend.min.js.map'],
  [path.join(MOJ, 'moj', 'moj-frontend.min.js'), 'moj-frontend.min.js'],
  [path.join(MOJ, 'moj', 'moj-frontend.min.js.map'), 'moj-frontend.min.js.map'],
  [path.join(WEBAUTHN_BROWSER, 'dist', 'bundle', 'index.umd.min.js'), 'simplewebauthn-browser.min.js'],
  ...['accessible-autocomplete.min.js', 'accessible-autocomplete.min.css'].flatMap((name) =>
    [name, `${name}.map`].map((file) => [path.join(AUTOCOMPLETE, 'dist', file), file] as const),
  ),
];

const inflight = new Map<string, Promise<void>>();

export function buildAssets(outDir = 'dist/assets', options: { force?: boolean } = {}): Promise<void> {
  const dir = path.resolve(ROOT, outDir);
  // Callers in one process (e.g. several test apps) share one build.
  let running = inflight.get(dir);
  if (!running) {
    running = build(dir, options.force ?? false).finally(() => inflight.delete(dir));
    inflight.set(dir, running);
  }
  return running;
}

async function build(outDir: string, forced: boolean): Promise<void> {
  const started = Date.now();
  const built: string[] = [];
  await mkdir(path.join(outDir, 'images'), { recursive: true });

  // npm extracts package files with a fixed old mtime, so an upgrade of the design system does
  // not make its files look newer: record the installed versions and rebuild all when they change.
  const stampPath = path.join(outDir, '.versions');
  const versions = `${await packageVersion(GOVUK)} ${await packageVersion(MOJ)} ${await packageVersion(AUTOCOMPLETE)} ${await packageVersion(WEBAUTHN_BROWSER)}\n`;
  const force = forced || (await readFile(stampPath, 'utf8').catch(() => '')) !== versions;

  // 1. CSS, cached by the content of its inputs: a checkout or a copy that changes file times
  // without changing a file does not recompile it, and an edit always does.
  const cssPath = path.join(outDir, 'app.css');
  const cssHashPath = path.join(outDir, '.app-css-inputs');
  const [inputsHash, sass] = await Promise.all([sassInputsHash(versions), sassVersion()]);
  const [builtHash, builtWith] = (await readFile(cssHashPath, 'utf8').catch(() => '')).split('\n');
  let css: string | undefined;
  if (!force && builtHash === inputsHash && (sass === undefined || builtWith === sass)) {
    css = await readFile(cssPath, 'utf8').catch(() => undefined);
  }
  if (css === undefined) {
    if (sass === undefined) {
      throw new Error(
        `build-assets: ${path.relative(ROOT, cssPath)} is ${builtHash === inputsHash && !force ? 'missing' : 'not built from the current styles'}, and sass (a development dependency) is not installed: run \`npm run build\` with the development dependencies installed (npm install), then install for production`,
      );
    }
    css = await compileCss();
    await writeAtomic(cssPath, css);
    await writeAtomic(cssHashPath, `${inputsHash}\n${sass}\n`);
    built.push('app.css');
  }

  // 2. Images: exactly those app.css refers to, minus branded ones.
  const wanted = new Set<string>();
  for (const match of css.matchAll(/url\(\s*["']?\/assets\/images\/([^"')?#]+)/g)) {
    const name = match[1]!;
    if (!BRANDED_IMAGE.test(name)) wanted.add(name);
  }
  const copies: Array<readonly [string, string]> = [...COPIES];
  for (const name of [...wanted].sort()) {
    const source = await firstExisting(IMAGE_DIRS.map((dir) => path.join(dir, name)));
    if (source) copies.push([source, path.join('images', name)]);
    else console.warn(`build-assets: app.css refers to images/${name}, which no package provides`);
  }
  for (const existing of await readdir(path.join(outDir, 'images'))) {
    if (!wanted.has(existing) && !existing.endsWith('.tmp'))
      await rm(path.join(outDir, 'images', existing), { force: true });
  }

  // 3. Our own files.
  for (const file of await listFiles(OWN_ASSETS_DIR)) {
    copies.push([file, path.relative(OWN_ASSETS_DIR, file)]);
  }

  // 4. Copy what is missing or out of date.
  const thisFileTime = (await mtime(THIS_FILE)) ?? 0;
  for (const [from, to] of copies) {
    const target = path.join(outDir, to);
    const [fromTime, toTime] = await Promise.all([mtime(from), mtime(target)]);
    if (fromTime === null) throw new Error(`build-assets: missing input ${path.relative(ROOT, from)}`);
    if (!force && toTime !== null && toTime >= fromTime && toTime >= thisFileTime) continue;
    await mkdir(path.dirname(target), { recursive: true });
    const temp = `${target}.${process.pid}.tmp`;
    await copyFile(from, temp);
    await rename(temp, target);
    built.push(to);
  }

  if (force) await writeAtomic(stampPath, versions);

  if (built.length > 0) {
    const summary =
      built.length > 6 ? `${built.slice(0, 6).join(', ')} and ${built.length - 6} more` : built.join(', ');
    console.log(
      `build-assets: ${summary} → ${path.relative(process.cwd(), outDir) || '.'} (${Date.now() - started} ms)`,
    );
  }
}

/**
 * SHA-256 of what app.css is made from: our .scss files (names and contents), this script, and the
 * installed versions of the design system packages. The version of sass is kept beside it.
 */
async function sassInputsHash(versions: string): Promise<string> {
  const files = [...(await listFiles(STYLES_DIR)).filter((file) => file.endsWith('.scss')).sort(), THIS_FILE];
  const hash = createHash('sha256').update(versions);
  for (const file of files) hash.update(`\0${path.relative(ROOT, file)}\0`).update(await readFile(file));
  return hash.digest('hex');
}

async function compileCss(): Promise<string> {
  // Loaded only when needed: importing sass costs about a second, a no-op run a few ms.
  const sass = await import('sass');
  const result = sass.compile(SCSS_ENTRY, {
    // MoJ Frontend loads "node_modules/govuk-frontend/dist/govuk/base", hence ROOT as well.
    loadPaths: [NODE_MODULES, ROOT],
    style: 'compressed',
    quietDeps: true,
    logger: {
      warn(message, { deprecation, span }) {
        // GOV.UK Frontend's own @warn deprecation notices triggered by MoJ Frontend's Sass
        // (e.g. the `govuk-text-colour` mixin). They would be silenced with
        // $govuk-suppressed-warnings, but MoJ pins that setting, so filter them here.
        if (message.includes('$govuk-suppressed-warnings')) return;
        const file = span?.url?.protocol === 'file:' ? path.relative(ROOT, fileURLToPath(span.url)) : '';
        const where = span ? ` (${file}:${span.start.line + 1})` : '';
        console.warn(`build-assets: Sass ${deprecation ? 'deprecation' : 'warning'}: ${message}${where}`);
      },
    },
  });
  return result.css;
}

/** The installed sass ("sass@1.2.3"), or undefined when it is not installed (a production install). */
async function sassVersion(): Promise<string | undefined> {
  try {
    return await packageVersion(path.join(NODE_MODULES, 'sass'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function packageVersion(dir: string): Promise<string> {
  const pkg = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as { name: string; version: string };
  return `${pkg.name}@${pkg.version}`;
}

async function writeAtomic(file: string, content: string): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, content);
  await rename(temp, file);
}

async function mtime(file: string): Promise<number | null> {
  try {
    return (await stat(file)).mtimeMs;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

async function firstExisting(files: string[]): Promise<string | null> {
  for (const file of files) if ((await mtime(file)) !== null) return file;
  return null;
}

/** Files under dir, recursively (dot files skipped); [] when dir does not exist. */
async function listFiles(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const files: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(full)));
    else if (entry.isFile()) files.push(full);
  }
  return files;
}

const invokedDirectly = process.argv[1] !== undefined && path.resolve(process.argv[1]) === THIS_FILE;
if (invokedDirectly) {
  const args = process.argv.slice(2);
  const force = args.includes('--force');
  const dir = args.find((arg) => !arg.startsWith('--'));
  buildAssets(dir, { force }).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
