import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

/**
 * Suites that start the API, the worker and several agent processes (and Chromium). Beside each other or beside the
 * compression suites they starve one another on a two-core machine, so they run one at a time after the rest.
 */
const FLEET_SUITES = ['test/dashboard-e2e-fleet.e2e-spec.ts', 'test/rollouts-fleet.e2e-spec.ts'];

export default defineConfig({
  // Nest's dependency injection needs decorator metadata, which only SWC (not esbuild/oxc) emits.
  plugins: [swc.vite({ module: { type: 'es6' }, jsc: { target: 'es2022', parser: { syntax: 'typescript', decorators: true }, transform: { legacyDecorator: true, decoratorMetadata: true } } })],
  test: {
    globals: false,
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'api',
          include: ['src/**/*.spec.ts', 'test/**/*.e2e-spec.ts'],
          exclude: FLEET_SUITES,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: { name: 'fleet', include: FLEET_SUITES, fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
