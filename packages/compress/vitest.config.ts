import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globals: false,
    include: ['src/**/*.spec.ts'],
    // Tests open real onnxruntime sessions and inflate multi-MB datasets.
    testTimeout: 60_000,
  },
});
