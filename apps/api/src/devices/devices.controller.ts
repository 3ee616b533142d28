import { Controller, Delete, Get, HttpCode, Patch, Post, Put } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  AssignDeviceRequest,
  BulkAssignRequest,
  BulkAssignResult,
  DeviceDto,
  ListDevicesQuery,
  pageOf,
  UpdateDeviceRequest,
} from '@edgefleet/contracts';
import { UuidParam } from '../common/uuid-param.js';
import { ApiZodBody, ApiZodQuery, type Parsed, toOpenApiSchema, ZodBody, ZodQuery } from '../common/zod.js';
import { DevicesService } from './devices.service.js';
import { Read, Write } from '../auth/authz.decorators.js';
import { requestOrgId } from '../auth/request-context.js';

@ApiTags('devices')
@Controller()
export class DevicesController {
  constructor(private readonly devices: DevicesService) {}

  @Get('devices')
  @Read()
  @ApiOperation({ summary: 'Devices, newest first; filter by group, tag, status (online/offline/revoked) and profile' })
  @ApiZodQuery(ListDevicesQuery)
  @ApiOkResponse({ schema: toOpenApiSchema(pageOf(DeviceDto)) })
  list(@ZodQuery(ListDevicesQuery) q: Parsed<typeof ListDevicesQuery>) {
    return this.devices.list(requestOrgId(), q);
  }

  @Get('devices/:id')
  @Read()
  @ApiOkResponse({ schema: toOpenApiSchema(DeviceDto) })
  get(@UuidParam('id', 'device') id: string) {
    return this.devices.get(requestOrgId(), id);
  }

  @Patch('devices/:id')
  @Write('operator')
  @ApiOperation({ summary: 'Rename, regroup, retag, or override the auto-matched profile' })
  @ApiZodBody(UpdateDeviceRequest)
  @ApiOkResponse({ schema: toOpenApiSchema(DeviceDto) })
  update(@UuidParam('id', 'device') id: string, @ZodBody(UpdateDeviceRequest) body: Parsed<typeof UpdateDeviceRequest>) {
    return this.devices.update(requestOrgId(), id, body);
  }

  @Post('devices/:id/revoke')
  @Write('operator')
  @HttpCode(200)
  @ApiOperation({ summary: "Revoke a device's credentials" })
  @ApiOkResponse({ schema: toOpenApiSchema(DeviceDto) })
  revoke(@UuidParam('id', 'device') id: string) {
    return this.devices.revoke(requestOrgId(), id);
  }

  @Put('devices/:id/assignment')
  @Write('operator')
  @ApiOperation({
    summary: 'Set the model version a device should run',
    description: 'A device of an active rollout (running, paused, rolling back) is refused with 409 `rollout/conflict` naming it.',
  })
  @ApiZodBody(AssignDeviceRequest)
  @ApiOkResponse({ schema: toOpenApiSchema(DeviceDto) })
  assign(@UuidParam('id', 'device') id: string, @ZodBody(AssignDeviceRequest) body: Parsed<typeof AssignDeviceRequest>) {
    return this.devices.assign(requestOrgId(), id, body);
  }

  @Delete('devices/:id/assignment')
  @Write('operator')
  @HttpCode(204)
  unassign(@UuidParam('id', 'device') id: string) {
    return this.devices.unassign(requestOrgId(), id);
  }

  @Post('assignments')
  @Write('operator')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Assign a version to devices by id, group and/or tags (all criteria must hold)',
    description: 'All or nothing: when any matching device belongs to an active rollout, 409 `rollout/conflict` names the rollouts.',
  })
  @ApiZodBody(BulkAssignRequest)
  @ApiOkResponse({ schema: toOpenApiSchema(BulkAssignResult) })
  assignMany(@ZodBody(BulkAssignRequest) body: Parsed<typeof BulkAssignRequest>) {
    return this.devices.assignMany(requestOrgId(), body);
  }
}
