import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareTemplateDatabase } from '@edgefleet/platform/testing';
import type { TestProject } from 'vitest/node';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabase: string;
  }
}

/** Migrates a template database once per run with the committed migrations; each test file clones it. */
export default async function setup(project: TestProject) {
  const { template, drop } = await prepareTemplateDatabase(repoRoot);
  project.provide('templateDatabase', template);
  return drop;
}
