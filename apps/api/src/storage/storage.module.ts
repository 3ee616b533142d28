import { Global, Inject, Module, type OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/env.js';
import { ARTIFACT_STORAGE, type ArtifactStorage } from './artifact-storage.js';
import { LocalArtifactStorage } from './local-storage.js';
import { S3ArtifactStorage } from './s3-storage.js';

function createStorage(config: AppConfig): ArtifactStorage {
  const storage = config.storage;
  switch (storage.kind) {
    case 'local':
      return new LocalArtifactStorage(storage.root);
    case 's3':
      return new S3ArtifactStorage(storage);
  }
}

@Global()
@Module({
  providers: [{ provide: ARTIFACT_STORAGE, inject: [APP_CONFIG], useFactory: createStorage }],
  exports: [ARTIFACT_STORAGE],
})
export class StorageModule implements OnModuleDestroy {
  constructor(@Inject(ARTIFACT_STORAGE) private readonly storage: ArtifactStorage) {}

  onModuleDestroy(): void {
    // The S3 client pools keep-alive sockets; close them with the app rather than leave them to time out.
    if (this.storage instanceof S3ArtifactStorage) this.storage.destroy();
  }
}
