/**
 * Compiles the TypeScript the command line runs (src/**, and scripts/build-assets.ts, which
 * `serve` imports) to plain JavaScript in dist/js, ahead of time: `nexus-accounts` and `npm start`
 * then run JavaScript, without tsx transpiling every module at each start.
 *
 * Plain JavaScript itself (not TypeScript) because bin/nexus-accounts.js runs it before anything is
 * compiled. The check is by content: a SHA-256 of every input (file names and contents, this
 * script, tsconfig.json, the esbuild version) is kept in dist/js/.inputs-hash, so a checkout, an
 * edit or an upgrade rebuilds, and nothing else does. The check costs a few milliseconds.
 *
 * Each file is transpiled on its own by esbuild (no bundling: one output file per source file,
 * the same module graph and lazy imports as under tsx), with
 *   - relative imports of `.ts` files rewritten to `.js` (every one checked to name a compiled file);
 *   - `import.meta.url` replaced by the source file's own URL, so paths worked out from it
 *     (PROJECT_ROOT, the assets script's folders) are the same as when the source runs under tsx.
 * The whole tree is written to a temporary folder and moved into place with renames, so processes
 * starting together (tests spawn many) never import a half-written tree; several building at once
 * produce the same files.
 *
 *   node scripts/build-code.mjs [--force]     (npm run build)
 *   import { ensureBuilt } from './build-code.mjs'; const dir = await ensureBuilt();
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

const THIS_FILE = fileURLToPath(import.meta.url);
const ROOT = path.resolve(path.dirname(THIS_FILE), '..');
/** Where the compiled tree goes: dist/js/src/cli.js for src/cli.ts. */
export const OUT_DIR = path.join(ROOT, 'dist', 'js');
const HASH_FILE = '.inputs-hash';
/** Folders compiled whole, and single files compiled as well. */
const SOURCE_DIRS = ['src'];
const SOURCE_FILES = ['scripts/build-assets.ts'];
/** Settings that change what esbuild emits; the hash covers the whole tsconfig.json anyway. */
const TSCONFIG_KEYS = ['verbatimModuleSyntax', 'useDefineForClassFields', 'experimentalDecorators', 'target'];

/** Relative `.ts` specifiers in esbuild's output (it always prints double quotes). */
const TS_SPECIFIER = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s*)"(\.\.?\/[^"\n]*?)\.ts"/g;

async function listTs(dir) {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (error.code === 'ENOENT') return [];
    throw error;
  }
  const files = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await listTs(full)));
    else if (
      entry.isFile() &&
      entry.name.endsWith('.ts') &&
      !entry.name.endsWith('.d.ts') &&
      !entry.name.endsWith('.test.ts')
    )
      files.push(full);
  }
  return files;
}

/** The inputs, relative to ROOT (sorted, '/' separators), with their contents. */
async function readInputs() {
  const files = [...SOURCE_FILES.map((file) => path.join(ROOT, file))];
  for (const dir of SOURCE_DIRS) files.push(...(await listTs(path.join(ROOT, dir))));
  const relative = files.map((file) => path.relative(ROOT, file).split(path.sep).join('/')).sort();
  const contents = await Promise.all(relative.map((file) => readFile(path.join(ROOT, file), 'utf8')));
  return relative.map((file, i) => ({ file, text: contents[i] }));
}

async function esbuildVersion() {
  const pkg = JSON.parse(await readFile(path.join(ROOT, 'node_modules', 'esbuild', 'package.json'), 'utf8'));
  return pkg.version;
}

function hashOf(inputs, extras) {
  const hash = createHash('sha256');
  for (const extra of extras) hash.update(`${extra}\0`);
  for (const { file, text } of inputs) hash.update(`${file}\0${text.length}\0${text}\0`);
  return hash.digest('hex');
}

/** tsconfig.json's compiler options that matter to esbuild (the file has no comments). */
function tsconfigRaw(text) {
  const options = JSON.parse(text).compilerOptions ?? {};
  return {
    compilerOptions: Object.fromEntries(
      TSCONFIG_KEYS.filter((key) => key in options).map((key) => [key, options[key]]),
    ),
  };
}

async function readHash(dir) {
  return (await readFile(path.join(dir, HASH_FILE), 'utf8').catch(() => '')).trim();
}

async function compile(inputs, hash, tsconfig, target) {
  const esbuild = await import('esbuild');
  const known = new Set(inputs.map((input) => input.file));
  // allSettled, not all: on a failure the caller removes `target`, which must not race the
  // writes of the other files (that surfaced as ENOTEMPTY instead of the real error).
  const results = await Promise.allSettled(
    inputs.map(async ({ file, text }) => {
      const source = path.join(ROOT, file);
      const result = await esbuild.transform(text, {
        loader: 'ts',
        format: 'esm',
        target: 'node20',
        platform: 'node',
        sourcefile: source,
        sourcemap: 'external',
        sourcesContent: false,
        tsconfigRaw: tsconfig,
        define: { 'import.meta.url': JSON.stringify(pathToFileURL(source).href) },
      });
      const outFile = path.join(target, file.replace(/\.ts$/, '.js'));
      const code = result.code.replace(TS_SPECIFIER, (_match, prefix, specifier) => {
        const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(file), `${specifier}.ts`));
        if (!known.has(resolved)) {
          throw new Error(
            `build-code: ${file} imports ${specifier}.ts, which is not among the compiled files (${SOURCE_DIRS.join(', ')}, ${SOURCE_FILES.join(', ')})`,
          );
        }
        return `${prefix}"${specifier}.js"`;
      });
      await mkdir(path.dirname(outFile), { recursive: true });
      await writeFile(outFile, `${code}//# sourceMappingURL=${path.basename(outFile)}.map\n`);
      await writeFile(`${outFile}.map`, result.map);
    }),
  );
  const failure = results.find((result) => result.status === 'rejected');
  if (failure) throw failure.reason;
  await writeFile(path.join(target, 'package.json'), '{ "type": "module" }\n');
  await writeFile(path.join(target, HASH_FILE), `${hash}\n`);
}

/** Moves the freshly built `temp` to OUT_DIR, replacing an older tree; tolerates a concurrent builder. */
async function install(temp, hash) {
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await rename(temp, OUT_DIR);
      return;
    } catch (error) {
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
    }
    // Another process may have installed the same inputs meanwhile: keep its tree.
    if ((await readHash(OUT_DIR)) === hash) {
      await rm(temp, { recursive: true, force: true });
      return;
    }
    const old = path.join(path.dirname(OUT_DIR), `.js-old-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      await rename(OUT_DIR, old);
    } catch (error) {
      if (error.code !== 'ENOENT') throw error;
    }
    await rm(old, { recursive: true, force: true });
  }
  throw new Error(`build-code: could not move the compiled files into ${OUT_DIR}: another process keeps replacing it`);
}

/**
 * Compiles when the inputs changed since the last build (or when `force`); returns OUT_DIR.
 * Prints one line to stderr when it compiled, nothing otherwise.
 */
export async function ensureBuilt(options = {}) {
  const started = performance.now();
  const [inputs, version, tsconfigText, self] = await Promise.all([
    readInputs(),
    esbuildVersion(),
    readFile(path.join(ROOT, 'tsconfig.json'), 'utf8'),
    readFile(THIS_FILE, 'utf8'),
  ]);
  const hash = hashOf(inputs, [`esbuild ${version}`, tsconfigText, self]);
  if (!options.force && (await readHash(OUT_DIR)) === hash) return OUT_DIR;

  await mkdir(path.dirname(OUT_DIR), { recursive: true });
  const temp = path.join(path.dirname(OUT_DIR), `.js-new-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await compile(inputs, hash, tsconfigRaw(tsconfigText), temp);
    await install(temp, hash);
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
  if (!options.quiet) {
    console.error(
      `build-code: compiled ${inputs.length} TypeScript files → ${path.relative(process.cwd(), OUT_DIR) || '.'} (${Math.round(performance.now() - started)} ms)`,
    );
  }
  return OUT_DIR;
}

const invokedDirectly = process.argv[1] !== undefined && path.resolve(process.argv[1]) === THIS_FILE;
if (invokedDirectly) {
  ensureBuilt({ force: process.argv.includes('--force') }).catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
