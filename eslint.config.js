// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import globals from 'globals';

/**
 * The rooms of the checkout and the one way their imports point (docs/architecture.md draws it):
 *   cli       -> bench, reports, scenarios, result, engine/index.ts   the command line, on top
 *   bench     -> reports, scenarios, result, engine/index.ts          the load generator
 *   reports   -> result                                               everything that reads result files
 *   scenarios -> scenarios/sdk -> result                              workloads, written with their SDK
 *   result    -> engine/index.ts (types)                              the result format, at the harness's bottom
 *   engine    -> nothing outside engine/; its services -> persistence interfaces, never a backend
 *   tools     -> anything (developer benchmarks); nothing imports tools/ or test/
 */
const ROOMS = ['./cli', './bench', './reports', './scenarios', './result', './engine', './tools', './test'];
const others = (...allowed) => ROOMS.filter((r) => !allowed.includes(r));
const engineEntry = (target) => ({
  target,
  from: './engine',
  except: ['./index.ts'],
  message: 'outside engine/, import only its public entry, engine/index.ts.',
});
const boundaries = {
  zones: [
    { target: './engine', from: others('./engine'), message: 'engine/ depends on nothing outside engine/.' },
    {
      target: ['./engine/history', './engine/matching', './engine/frontend', './engine/visibility'],
      from: ['./engine/persistence/memory', './engine/persistence/cassandra', './engine/persistence/postgres'],
      message: 'Services use persistence interfaces; only engine/server.ts picks a backend.',
    },
    { target: './result', from: others('./result', './engine'), message: 'result/ is the bottom of the harness.' },
    engineEntry('./result'),
    {
      target: './scenarios/sdk',
      from: others('./scenarios', './result'),
      message: 'the scenario SDK may import only result/ (units).',
    },
    {
      target: './scenarios/sdk',
      from: './scenarios',
      except: ['./sdk'],
      message: 'the scenario SDK knows no scenario.',
    },
    {
      target: './scenarios/!(sdk)/**',
      from: others('./scenarios'),
      message: 'scenarios may import only the scenario SDK (scenarios/sdk).',
    },
    {
      target: './scenarios/*.ts',
      from: others('./scenarios'),
      message: 'scenarios may import only the scenario SDK (scenarios/sdk).',
    },
    { target: './reports', from: others('./reports', './result'), message: 'reports/ may import only result/.' },
    {
      target: './bench',
      from: others('./bench', './reports', './scenarios', './result', './engine'),
      message: 'bench/ may not import the CLI, tools or tests.',
    },
    engineEntry('./bench'),
    { target: './cli', from: ['./tools', './test'], message: 'cli/ may not import tools or tests.' },
    engineEntry('./cli'),
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
