import { Controller, Get, Param } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DeviceTelemetryDto, DeviceTelemetryQuery, TelemetryQuery, VersionTelemetryDto } from '@edgefleet/contracts';
import { UuidParam } from '../common/uuid-param.js';
import { ApiZodQuery, type Parsed, toOpenApiSchema, ZodQuery } from '../common/zod.js';
import { TelemetryService } from './telemetry.service.js';
import { Read } from '../auth/authz.decorators.js';
import { requestOrgId } from '../auth/request-context.js';

@ApiTags('devices')
@Controller()
export class TelemetryController {
  constructor(private readonly telemetry: TelemetryService) {}

  @Get('models/:id/versions/:v/telemetry')
  @Read()
  @ApiOperation({ summary: "A version's fleet telemetry per time bucket: count, errors, p50/p95 latency, field accuracy" })
  @ApiZodQuery(TelemetryQuery)
  @ApiOkResponse({ schema: toOpenApiSchema(VersionTelemetryDto) })
  get(@UuidParam('id', 'model') modelId: string, @Param('v') ref: string, @ZodQuery(TelemetryQuery) q: Parsed<typeof TelemetryQuery>) {
    return this.telemetry.forVersion(requestOrgId(), modelId, ref, q);
  }

  @Get('devices/:id/telemetry')
  @Read()
  @ApiOperation({ summary: "A device's telemetry per time bucket across the versions it ran (or one `versionId`): count, errors, p50/p95 latency, field accuracy" })
  @ApiZodQuery(DeviceTelemetryQuery)
  @ApiOkResponse({ schema: toOpenApiSchema(DeviceTelemetryDto) })
  device(@UuidParam('id', 'device') deviceId: string, @ZodQuery(DeviceTelemetryQuery) q: Parsed<typeof DeviceTelemetryQuery>) {
    return this.telemetry.forDevice(requestOrgId(), deviceId, q);
  }
}
