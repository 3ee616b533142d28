import { Module } from '@nestjs/common';
import { ArtifactsModule } from '../artifacts/artifacts.module.js';
import { ModelsModule } from '../models/models.module.js';
import { PipelinesModule } from '../pipelines/pipelines.module.js';
import { VersionsController } from './versions.controller.js';
import { VersionsService } from './versions.service.js';

@Module({ imports: [ArtifactsModule, ModelsModule, PipelinesModule], controllers: [VersionsController], providers: [VersionsService], exports: [VersionsService] })
export class VersionsModule {}
