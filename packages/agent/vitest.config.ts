import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { globals: false, include: ['src/**/*.spec.ts', 'test/**/*.spec.ts'], testTimeout: 30_000, hookTimeout: 30_000 },
});
