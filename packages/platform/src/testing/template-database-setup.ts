import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { prepareTemplateDatabase } from './test-database.js';

// packages/platform/{src,dist}/testing → the repository root, where scripts/prisma.mjs lives.
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

declare module 'vitest' {
  export interface ProvidedContext {
    /** Name of the migrated template database each test file clones (see `createTestDatabase`). */
    templateDatabase: string;
  }
}

/**
 * A vitest globalSetup: migrates a template database once per run with the committed migrations and
 * provides its name as `templateDatabase`; each test file clones it.
 */
export async function setupTemplateDatabase(project: TestProject): Promise<() => Promise<void>> {
  const { template, drop } = await prepareTemplateDatabase(repoRoot);
  project.provide('templateDatabase', template);
  return drop;
}
