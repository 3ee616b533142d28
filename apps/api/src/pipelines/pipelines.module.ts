import { Module } from '@nestjs/common';
import { ArtifactsModule } from '../artifacts/artifacts.module.js';
import { ModelsModule } from '../models/models.module.js';
import { QueuesModule } from '../queues/queues.module.js';
import { PipelinesController } from './pipelines.controller.js';
import { PipelinesService } from './pipelines.service.js';
import { VariantsController } from './variants.controller.js';
import { VariantsService } from './variants.service.js';

@Module({
  imports: [ArtifactsModule, ModelsModule, QueuesModule],
  controllers: [PipelinesController, VariantsController],
  providers: [PipelinesService, VariantsService],
  exports: [PipelinesService],
})
export class PipelinesModule {}
