import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { fsyncDir, readJsonOrNull, writeFileAtomic } from '../state/atomic-file.js';

export const InstalledModel = z
  .object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), versionId: z.string().uuid(), variantId: z.string().uuid(), modelId: z.string().uuid().optional(), installedAt: z.string() })
  .strict();
export type InstalledModel = z.infer<typeof InstalledModel>;

/** `<state>/active.json`. Persisted, hence `v`. */
export const ActivePointers = z.object({ v: z.literal(1), current: InstalledModel.nullable(), previous: InstalledModel.nullable() }).strict();
export type ActivePointers = z.infer<typeof ActivePointers>;

/**
 * Content-addressed model files (`<state>/models/<sha256>.onnx`) and the `current`/`previous` pointers. Every
 * write is temp + fsync + rename, so a crash at any point leaves the old or the new pointer file, both of which name
 * files that are fully in place.
 */
export class ModelStore {
  readonly modelsDir: string;
  readonly activeFile: string;
  constructor(readonly stateDir: string) {
    this.modelsDir = path.join(stateDir, 'models');
    this.activeFile = path.join(stateDir, 'active.json');
  }

  pathOf(sha256: string) {
    return path.join(this.modelsDir, `${sha256}.onnx`);
  }

  async has(sha256: string): Promise<boolean> {
    return (await fs.stat(this.pathOf(sha256)).catch(() => null))?.isFile() ?? false;
  }

  /** Moves a verified download into the store (same filesystem: rename; the file was fsynced by the copy below). */
  async install(verifiedFile: string, sha256: string): Promise<string> {
    await fs.mkdir(this.modelsDir, { recursive: true });
    const target = this.pathOf(sha256);
    const handle = await fs.open(verifiedFile, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(verifiedFile, target);
    await fsyncDir(this.modelsDir);
    return target;
  }

  async pointers(): Promise<ActivePointers> {
    const raw = await readJsonOrNull(this.activeFile);
    return raw === null ? { v: 1, current: null, previous: null } : ActivePointers.parse(raw);
  }

  /**
   * Makes `model` current and the old current previous, in one atomic rename. `alsoKeep` names files the pruning
   * after it must leave (a shadow candidate installed but not active).
   */
  async activate(model: InstalledModel, alsoKeep: readonly string[] = []): Promise<ActivePointers> {
    const before = await this.pointers();
    const next: ActivePointers = { v: 1, current: model, previous: before.current?.sha256 === model.sha256 ? before.previous : before.current };
    await writeFileAtomic(this.activeFile, JSON.stringify(next));
    await this.prune(next, alsoKeep);
    return next;
  }

  /** Deletes model files that neither pointer (nor `alsoKeep`) names, and stray temp files. */
  async prune(keep: ActivePointers, alsoKeep: readonly string[] = []): Promise<void> {
    const names = new Set([keep.current?.sha256, keep.previous?.sha256, ...alsoKeep].filter(Boolean).map((s) => `${s}.onnx`));
    for (const f of await fs.readdir(this.modelsDir).catch(() => [] as string[])) {
      if (!names.has(f)) await fs.rm(path.join(this.modelsDir, f), { force: true });
    }
  }
}
