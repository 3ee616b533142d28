import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

/** A fresh directory removed after the calling test file finishes. */
export function useTempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `compress-${prefix}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
