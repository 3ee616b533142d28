import { Controller, Get, Param } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { TelemetryQuery, VersionTelemetryDto } from '@edgefleet/contracts';
import { DEFAULT_ORG_ID } from '@edgefleet/db';
import { UuidParam } from '../common/uuid-param.js';
import { ApiZodQuery, type Parsed, toOpenApiSchema, ZodQuery } from '../common/zod.js';
import { TelemetryService } from './telemetry.service.js';

@ApiTags('devices')
@Controller()
export class TelemetryController {
  constructor(private readonly telemetry: TelemetryService) {}

  @Get('models/:id/versions/:v/telemetry')
  @ApiOperation({ summary: "A version's fleet telemetry per time bucket: count, errors, p50/p95 latency, field accuracy" })
  @ApiZodQuery(TelemetryQuery)
  @ApiOkResponse({ schema: toOpenApiSchema(VersionTelemetryDto) })
  get(@UuidParam('id', 'model') modelId: string, @Param('v') ref: string, @ZodQuery(TelemetryQuery) q: Parsed<typeof TelemetryQuery>) {
    return this.telemetry.forVersion(DEFAULT_ORG_ID, modelId, ref, q);
  }
}
