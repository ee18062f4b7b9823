import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettierConfig from 'eslint-config-prettier';

export default tseslint.config(
  // scratch-tmp/ is git-ignored scratch work (it may hold copies of the tree with their own tsconfig.json).
  { ignores: ['node_modules', 'data', 'dist', 'coverage', '.tmp', 'scratch-tmp'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  // The one tsconfig.json is here (without this, typescript-eslint refuses to guess between candidates).
  { languageOptions: { parserOptions: { tsconfigRootDir: import.meta.dirname } } },
  // TypeScript is linted with its types (the project service reads tsconfig.json); .js and .mjs stay untyped.
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true } },
  },
  // Fastify's plugins, hooks and reply decorators are async by contract (the other form takes a
  // `done` callback), so an async function there need not await anything.
  {
    files: ['src/**/*-routes.ts', 'src/**/*-plugin.ts', 'src/http/**/*.ts', 'src/web/plugins/**/*.ts'],
    rules: { '@typescript-eslint/require-await': 'off' },
  },
  // Tests: Vitest's asymmetric matchers (expect.any, stringMatching, objectContaining, …) are typed
  // `any` by design, to stand in for any field of an expected object. The other no-unsafe-* rules stay
  // on, so an `any` that a test goes on to use (a member, a call, an argument) is still reported.
  {
    files: ['test/**/*.ts', 'e2e/**/*.ts'],
    rules: { '@typescript-eslint/no-unsafe-assignment': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  // Queries live in src/data (ARCHITECTURE.md): elsewhere, call a query function from src/data/queries.
  // Services still own their transactions: db.transaction() is allowed everywhere.
  {
    files: ['src/**/*.ts'],
    ignores: ['src/data/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "CallExpression[callee.type='MemberExpression'][callee.property.name=/^(selectFrom|insertInto|updateTable|deleteFrom|mergeInto|replaceInto|selectNoFrom)$/]",
          message:
            'Queries live in src/data/queries: call (or add) a query function there, a plain function taking `db | trx`.',
        },
        {
          // Kysely's db.with('name', …) (a CTE); Array.prototype.with(index, value) takes a number.
          selector:
            "CallExpression[callee.type='MemberExpression'][callee.property.name=/^with(Recursive)?$/][arguments.0.type='Literal'][arguments.0.raw=/^['\"]/]",
          message:
            'Queries live in src/data/queries: call (or add) a query function there, a plain function taking `db | trx`.',
        },
        {
          selector: "ImportSpecifier[imported.name='sql']",
          message: 'Raw SQL lives in src/data/queries: call (or add) a query function there.',
        },
      ],
    },
  },
  // Formatting is Prettier's (run by `npm run lint`); this turns off the rules that would disagree with it.
  prettierConfig,
);
