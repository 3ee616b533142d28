import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { ArtifactStorage, ByteRange } from './artifact-storage.js';

/** Blobs as files under one root directory; writes are a rename, so readers never see half a blob. */
export class LocalArtifactStorage implements ArtifactStorage {
  readonly kind = 'local' as const;

  constructor(private readonly root: string) {}

  private pathOf(key: string): string {
    const full = path.resolve(this.root, key);
    if (!full.startsWith(path.resolve(this.root) + path.sep)) throw new Error(`storage: key escapes the root: ${key}`);
    return full;
  }

  async putFile(tempPath: string, key: string): Promise<void> {
    const target = this.pathOf(key);
    await fsp.mkdir(path.dirname(target), { recursive: true });
    if ((await this.size(key)) !== null) {
      // Content-addressed: the same bytes are already there.
      await fsp.rm(tempPath, { force: true });
      return;
    }
    try {
      await fsp.rename(tempPath, target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
      // Temp dir on another filesystem: copy beside the target, then rename atomically.
      const staging = `${target}.${process.pid}.partial`;
      await fsp.copyFile(tempPath, staging);
      await fsp.rename(staging, target);
      await fsp.rm(tempPath, { force: true });
    }
  }

  async size(key: string): Promise<number | null> {
    try {
      return (await fsp.stat(this.pathOf(key))).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    const file = this.pathOf(key);
    await fsp.access(file);
    return fs.createReadStream(file, range ? { start: range.start, end: range.end } : {});
  }

  async delete(key: string): Promise<void> {
    await fsp.rm(this.pathOf(key), { force: true });
  }

  async *list(): AsyncIterable<string> {
    const walk = async function* (dir: string): AsyncIterable<string> {
      let entries: fs.Dirent[];
      try {
        entries = await fsp.readdir(dir, { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw err;
      }
      for (const entry of entries) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) yield* walk(full);
        else yield full;
      }
    };
    for await (const file of walk(this.root)) yield path.relative(this.root, file).split(path.sep).join('/');
  }
}
