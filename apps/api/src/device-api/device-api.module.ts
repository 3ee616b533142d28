import { Module } from '@nestjs/common';
import { ArtifactsModule } from '../artifacts/artifacts.module.js';
import { DevicesModule } from '../devices/devices.module.js';
import { DeviceApiController } from './device-api.controller.js';
import { DeviceApiService } from './device-api.service.js';
import { DeviceAuthGuard, DeviceAuthService } from './device-auth.js';
import { DeviceShadowController } from './device-shadow.controller.js';
import { DeviceShadowService } from './device-shadow.service.js';
import { DevicesGateway } from './devices.gateway.js';

/** The API edge agents call (`/api/device/...`, `/devices` socket namespace), authenticated per device. */
@Module({
  imports: [ArtifactsModule, DevicesModule],
  controllers: [DeviceApiController, DeviceShadowController],
  providers: [DeviceApiService, DeviceShadowService, DeviceAuthService, DeviceAuthGuard, DevicesGateway],
})
export class DeviceApiModule {}
