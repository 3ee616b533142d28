import type { Readable } from 'node:stream';

export interface ByteRange {
  /** First byte, inclusive. */
  start: number;
  /** Last byte, inclusive. */
  end: number;
}

/**
 * Where artifact blobs live. Keys are content addresses (`sha256/ab/abcdef…`), so writing the same
 * content twice is a no-op and a blob is immutable once stored.
 */
export interface ArtifactStorage {
  readonly kind: 'local' | 's3';
  /** Moves a complete local file into storage under `key`; the temp file is gone afterwards. */
  putFile(tempPath: string, key: string): Promise<void>;
  /** Byte size of a stored blob, or null when absent. */
  size(key: string): Promise<number | null>;
  read(key: string, range?: ByteRange): Promise<Readable>;
  delete(key: string): Promise<void>;
  /** Every stored key; for garbage collection and tests. */
  list(): AsyncIterable<string>;
}


export function contentKey(sha256: string): string {
  return `sha256/${sha256.slice(0, 2)}/${sha256}`;
}
