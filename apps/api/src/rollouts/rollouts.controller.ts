import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import {
  CreateRolloutRequest,
  ListRolloutDevicesQuery,
  ListRolloutEventsQuery,
  ListRolloutsQuery,
  pageOf,
  RolloutActionRequest,
  RolloutDeviceDto,
  RolloutDto,
  RolloutEventDto,
} from '@edgefleet/contracts';
import { UuidParam } from '../common/uuid-param.js';
import { ApiZodBody, ApiZodQuery, type Parsed, toOpenApiSchema, ZodBody, ZodQuery } from '../common/zod.js';
import { RolloutsService } from './rollouts.service.js';
import { Read, Write } from '../auth/authz.decorators.js';
import { requestOrgId } from '../auth/request-context.js';

@ApiTags('rollouts')
@Controller('rollouts')
export class RolloutsController {
  constructor(private readonly rollouts: RolloutsService) {}

  @Post()
  @Write('operator')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Ship a version to a target in waves (canary) or at once; the worker advances it',
    description:
      'Devices without a profile or without a recommended variant for theirs are listed as skipped. A device of an active rollout ' +
      '(running, paused, rolling back) makes this a 409 `rollout/conflict` naming those rollouts, unless `supersede: true`, which marks them superseded.',
  })
  @ApiZodBody(CreateRolloutRequest)
  @ApiCreatedResponse({ schema: toOpenApiSchema(RolloutDto) })
  @ApiConflictResponse({ description: '`rollout/conflict`: target devices belong to active rollouts (`details.rolloutIds`)' })
  @ApiUnprocessableEntityResponse({ description: '`rollout/no_devices`: no targeted device can run the version' })
  create(@ZodBody(CreateRolloutRequest) body: Parsed<typeof CreateRolloutRequest>) {
    return this.rollouts.create(requestOrgId(), body);
  }

  @Get()
  @Read()
  @ApiOperation({ summary: 'Rollouts, newest first; filter by status and model' })
  @ApiZodQuery(ListRolloutsQuery)
  @ApiOkResponse({ schema: toOpenApiSchema(pageOf(RolloutDto)) })
  list(@ZodQuery(ListRolloutsQuery) q: Parsed<typeof ListRolloutsQuery>) {
    return this.rollouts.list(requestOrgId(), q);
  }

  @Get(':id')
  @Read()
  @ApiOkResponse({ schema: toOpenApiSchema(RolloutDto) })
  get(@UuidParam('id', 'rollout') id: string) {
    return this.rollouts.get(requestOrgId(), id);
  }

  @Get(':id/devices')
  @Read()
  @ApiOperation({ summary: "A rollout's devices: wave, state, previous version, skip reason" })
  @ApiZodQuery(ListRolloutDevicesQuery)
  @ApiOkResponse({ schema: toOpenApiSchema(pageOf(RolloutDeviceDto)) })
  devices(@UuidParam('id', 'rollout') id: string, @ZodQuery(ListRolloutDevicesQuery) q: Parsed<typeof ListRolloutDevicesQuery>) {
    return this.rollouts.devices(requestOrgId(), id, q);
  }

  @Get(':id/events')
  @Read()
  @ApiOperation({ summary: 'History (who/what/when/why), oldest first; `after=<event id>` for incremental reads' })
  @ApiZodQuery(ListRolloutEventsQuery)
  @ApiOkResponse({ schema: toOpenApiSchema(pageOf(RolloutEventDto)) })
  events(@UuidParam('id', 'rollout') id: string, @ZodQuery(ListRolloutEventsQuery) q: Parsed<typeof ListRolloutEventsQuery>) {
    return this.rollouts.events(requestOrgId(), id, q);
  }

  @Post(':id/pause')
  @Write('operator')
  @HttpCode(200)
  @ApiOperation({ summary: 'Pause a running rollout (nothing advances until resumed); 409 otherwise' })
  @ApiZodBody(RolloutActionRequest)
  @ApiOkResponse({ schema: toOpenApiSchema(RolloutDto) })
  pause(@UuidParam('id', 'rollout') id: string, @ZodBody(RolloutActionRequest) body: Parsed<typeof RolloutActionRequest>) {
    return this.rollouts.act(requestOrgId(), id, 'pause', body);
  }

  @Post(':id/resume')
  @Write('operator')
  @HttpCode(200)
  @ApiOperation({ summary: 'Resume a paused rollout (an inconclusive wave gets its full timeout again); 409 otherwise' })
  @ApiZodBody(RolloutActionRequest)
  @ApiOkResponse({ schema: toOpenApiSchema(RolloutDto) })
  resume(@UuidParam('id', 'rollout') id: string, @ZodBody(RolloutActionRequest) body: Parsed<typeof RolloutActionRequest>) {
    return this.rollouts.act(requestOrgId(), id, 'resume', body);
  }

  @Post(':id/abort')
  @Write('operator')
  @HttpCode(200)
  @ApiOperation({ summary: 'Stop a running or paused rollout and roll it back now; 409 otherwise' })
  @ApiZodBody(RolloutActionRequest)
  @ApiOkResponse({ schema: toOpenApiSchema(RolloutDto) })
  abort(@UuidParam('id', 'rollout') id: string, @ZodBody(RolloutActionRequest) body: Parsed<typeof RolloutActionRequest>) {
    return this.rollouts.act(requestOrgId(), id, 'abort', body);
  }

  @Post(':id/rollback')
  @Write('operator')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Return every device the rollout switched to its previous version (running, paused or completed rollouts); 409 otherwise',
  })
  @ApiZodBody(RolloutActionRequest)
  @ApiOkResponse({ schema: toOpenApiSchema(RolloutDto) })
  rollback(@UuidParam('id', 'rollout') id: string, @ZodBody(RolloutActionRequest) body: Parsed<typeof RolloutActionRequest>) {
    return this.rollouts.act(requestOrgId(), id, 'rollback', body);
  }
}
