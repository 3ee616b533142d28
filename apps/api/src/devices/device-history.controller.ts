import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DeviceHistoryItem, DeviceHistoryQuery, pageOf } from '@edgefleet/contracts';
import { Read } from '../auth/authz.decorators.js';
import { requestOrgId } from '../auth/request-context.js';
import { UuidParam } from '../common/uuid-param.js';
import { ApiZodQuery, type Parsed, toOpenApiSchema, ZodQuery } from '../common/zod.js';
import { DeviceHistoryService } from './device-history.service.js';

@ApiTags('devices')
@Controller()
export class DeviceHistoryController {
  constructor(private readonly history: DeviceHistoryService) {}

  @Get('devices/:id/history')
  @Read()
  @ApiOperation({
    summary: "A device's history, newest first",
    description: 'Enrollment, edits, assignments, revocation, the running version and health it reported changing, and its rollout transitions.',
  })
  @ApiZodQuery(DeviceHistoryQuery)
  @ApiOkResponse({ schema: toOpenApiSchema(pageOf(DeviceHistoryItem)) })
  list(@UuidParam('id', 'device') id: string, @ZodQuery(DeviceHistoryQuery) q: Parsed<typeof DeviceHistoryQuery>) {
    return this.history.list(requestOrgId(), id, q);
  }
}
