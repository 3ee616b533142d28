import { Module } from '@nestjs/common';
import { ArtifactsModule } from '../artifacts/artifacts.module.js';
import { ModelsModule } from '../models/models.module.js';
import { VersionsModule } from '../versions/versions.module.js';
import { DatasetsController } from './datasets.controller.js';
import { DatasetsService } from './datasets.service.js';

@Module({ imports: [ArtifactsModule, ModelsModule, VersionsModule], controllers: [DatasetsController], providers: [DatasetsService] })
export class DatasetsModule {}
