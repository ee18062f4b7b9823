/** Types of scripts/build-code.mjs (plain JavaScript, so that bin/nexus-accounts.js can run it before anything is compiled). */

/** Where the compiled tree goes: dist/js/src/cli.js for src/cli.ts. */
export declare const OUT_DIR: string;

/**
 * Compiles src/ and scripts/build-assets.ts into dist/js when their content changed since the last
 * build (or when `force`); returns the folder. Prints one line to stderr when it compiled, unless `quiet`.
 */
export declare function ensureBuilt(options?: { force?: boolean; quiet?: boolean }): Promise<string>;
