import type { StorageConfig } from '../config/platform-config.js';
import type { ArtifactStorage } from './artifact-storage.js';
import { LocalArtifactStorage } from './local-storage.js';
import { S3ArtifactStorage } from './s3-storage.js';

export function createArtifactStorage(config: StorageConfig): ArtifactStorage {
  switch (config.kind) {
    case 'local':
      return new LocalArtifactStorage(config.root);
    case 's3':
      return new S3ArtifactStorage(config);
  }
}

/** Releases what a storage holds open (the S3 client's keep-alive sockets). */
export function closeArtifactStorage(storage: ArtifactStorage): void {
  if (storage instanceof S3ArtifactStorage) storage.destroy();
}
