import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { pageOf, PaginationQuery, PipelineRunDto, TriggerPipelineRequest } from '@edgefleet/contracts';
import { DEFAULT_ORG_ID } from '@edgefleet/db';
import { UuidParam } from '../common/uuid-param.js';
import { ApiZodBody, ApiZodQuery, type Parsed, toOpenApiSchema, ZodBody, ZodQuery } from '../common/zod.js';
import { PipelinesService } from './pipelines.service.js';

@ApiTags('pipelines')
@Controller()
export class PipelinesController {
  constructor(private readonly pipelines: PipelinesService) {}

  @Post('models/:id/versions/:v/pipelines')
  @HttpCode(201)
  @ApiOperation({ summary: 'Compress a version for some or all hardware profiles (queued; progress on the /events socket)' })
  @ApiZodBody(TriggerPipelineRequest)
  @ApiCreatedResponse({ schema: toOpenApiSchema(PipelineRunDto) })
  trigger(@UuidParam('id', 'model') modelId: string, @Param('v') ref: string, @ZodBody(TriggerPipelineRequest) body: Parsed<typeof TriggerPipelineRequest>) {
    return this.pipelines.trigger(DEFAULT_ORG_ID, modelId, ref, body, 'manual');
  }

  @Get('models/:id/versions/:v/pipelines')
  @ApiOperation({ summary: "A version's pipeline runs, newest first" })
  @ApiZodQuery(PaginationQuery)
  @ApiOkResponse({ schema: toOpenApiSchema(pageOf(PipelineRunDto)) })
  list(@UuidParam('id', 'model') modelId: string, @Param('v') ref: string, @ZodQuery(PaginationQuery) query: Parsed<typeof PaginationQuery>) {
    return this.pipelines.list(DEFAULT_ORG_ID, modelId, ref, query);
  }

  @Get('pipelines/:runId')
  @ApiOkResponse({ schema: toOpenApiSchema(PipelineRunDto) })
  get(@UuidParam('runId', 'pipeline') runId: string) {
    return this.pipelines.get(DEFAULT_ORG_ID, runId);
  }

  @Post('pipelines/:runId/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel a queued or running pipeline (409 once it has finished)' })
  @ApiOkResponse({ schema: toOpenApiSchema(PipelineRunDto) })
  cancel(@UuidParam('runId', 'pipeline') runId: string) {
    return this.pipelines.cancel(DEFAULT_ORG_ID, runId);
  }
}
