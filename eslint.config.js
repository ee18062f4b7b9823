import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettierConfig from 'eslint-config-prettier';

export default tseslint.config(
  { ignores: ['node_modules', 'data', 'dist', 'coverage', '.tmp'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    languageOptions: { parserOptions: { projectService: false } },
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
