import { Module } from '@nestjs/common';
import { DesiredNotifier } from './desired-notifier.service.js';
import { DesiredStateService } from './desired-state.service.js';
import { DeviceHistoryController } from './device-history.controller.js';
import { DeviceHistoryService } from './device-history.service.js';
import { DevicesController } from './devices.controller.js';
import { DevicesService } from './devices.service.js';
import { EnrollmentTokensController } from './enrollment-tokens.controller.js';
import { EnrollmentTokensService } from './enrollment-tokens.service.js';
import { TelemetryController } from './telemetry.controller.js';
import { TelemetryService } from './telemetry.service.js';

/** The operator side of the fleet: enrollment tokens, devices, assignments (desired state), telemetry queries and device history. */
@Module({
  controllers: [EnrollmentTokensController, DevicesController, TelemetryController, DeviceHistoryController],
  providers: [EnrollmentTokensService, DevicesService, DeviceHistoryService, TelemetryService, DesiredStateService, DesiredNotifier],
  exports: [DesiredStateService, DesiredNotifier],
})
export class DevicesModule {}
