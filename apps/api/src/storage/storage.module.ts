import { Global, Inject, Module, type OnModuleDestroy } from '@nestjs/common';
import { type ArtifactStorage, closeArtifactStorage, createArtifactStorage } from '@edgefleet/platform';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/env.js';

export const ARTIFACT_STORAGE = Symbol('ARTIFACT_STORAGE');

@Global()
@Module({
  providers: [{ provide: ARTIFACT_STORAGE, inject: [APP_CONFIG], useFactory: (config: AppConfig) => createArtifactStorage(config.storage) }],
  exports: [ARTIFACT_STORAGE],
})
export class StorageModule implements OnModuleDestroy {
  constructor(@Inject(ARTIFACT_STORAGE) private readonly storage: ArtifactStorage) {}

  onModuleDestroy(): void {
    closeArtifactStorage(this.storage);
  }
}
