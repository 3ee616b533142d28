import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/coverage/**', 'data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Packages are imported through their entry point only.
      'no-restricted-imports': ['error', { patterns: [{ group: ['@edgefleet/*/*', '!@edgefleet/platform/testing'], message: 'import the package entry point' }] }],
    },
  },
  {
    // Only the config module reads the environment (scripts and tests set up their own).
    files: ['apps/*/src/**/*.ts'],
    ignores: ['apps/*/src/config/**', 'apps/*/src/main.*.ts'],
    rules: { 'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'read config through AppConfig' }] },
  },
);
