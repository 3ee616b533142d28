import { Global, Module } from '@nestjs/common';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/env.js';
import { ARTIFACT_STORAGE, type ArtifactStorage } from './artifact-storage.js';
import { LocalArtifactStorage } from './local-storage.js';

function createStorage(config: AppConfig): ArtifactStorage {
  const storage = config.storage;
  switch (storage.kind) {
    case 'local':
      return new LocalArtifactStorage(storage.root);
    case 's3':
      throw new Error('STORAGE=s3 is not available in this build yet; use STORAGE=local');
  }
}

@Global()
@Module({
  providers: [{ provide: ARTIFACT_STORAGE, inject: [APP_CONFIG], useFactory: createStorage }],
  exports: [ARTIFACT_STORAGE],
})
export class StorageModule {}
