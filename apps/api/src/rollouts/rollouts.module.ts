import { Module } from '@nestjs/common';
import { DevicesModule } from '../devices/devices.module.js';
import { RolloutsController } from './rollouts.controller.js';
import { RolloutsService } from './rollouts.service.js';

/** Operators' side of rollouts; the worker's controller advances them (apps/worker/src/rollouts). */
@Module({
  imports: [DevicesModule],
  controllers: [RolloutsController],
  providers: [RolloutsService],
})
export class RolloutsModule {}
