// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import globals from 'globals';

/**
 * The one-way dependencies of DESIGN.md, enforced:
 *   reports  -> bench/result (types) only
 *   bench    -> engine public entry (engine/index.ts) only
 *   scenarios-> bench scenario API (bench/scenario-api) only
 *   engine   -> nothing outside engine/; its services -> persistence interfaces, never a backend
 */
const boundaries = {
  zones: [
    {
      target: './engine',
      from: ['./bench', './scenarios', './reports', './test'],
      message: 'engine/ depends on nothing outside engine/.',
    },
    {
      target: ['./engine/history', './engine/matching', './engine/frontend', './engine/visibility'],
      from: ['./engine/persistence/memory', './engine/persistence/cassandra'],
      message: 'Services use persistence interfaces; only engine/server.ts picks a backend.',
    },
    { target: './bench', from: './engine', except: ['./index.ts'], message: 'bench/ may import only engine/index.ts.' },
    { target: './bench', from: './test', message: 'bench/ may not import tests.' },
    {
      target: './scenarios',
      from: './bench',
      except: ['./scenario-api'],
      message: 'scenarios/ may import only bench/scenario-api.',
    },
    {
      target: './scenarios',
      from: ['./engine', './reports', './test'],
      message: 'scenarios/ may import only bench/scenario-api.',
    },
    {
      target: './reports',
      from: './bench',
      except: ['./result'],
      message: 'reports/ may import only bench/result types.',
    },
    {
      target: './reports',
      from: ['./engine', './scenarios', './test'],
      message: 'reports/ may import only bench/result types.',
    },
  ],
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'results/**', 'test-artifacts/**', '.cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['eslint.config.js', 'bin/*.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })] },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'inline-type-imports' },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      // Protobuf enums are open (an unknown value decodes as a number), and records keep them as numbers:
      // comparing a stored number with an enum constant is the intended operation.
      '@typescript-eslint/no-unsafe-enum-comparison': 'off',
      'import-x/no-cycle': ['error', { maxDepth: Infinity }],
      'import-x/no-restricted-paths': ['error', boundaries],
    },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts'],
    rules: {
      // Tests may reach behind the boundaries (a matching test builds its queue on the memory store).
      'import-x/no-restricted-paths': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: globals.node },
  },
);
