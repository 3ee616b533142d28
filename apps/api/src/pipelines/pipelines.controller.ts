import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { pageOf, PaginationQuery, PipelineRunDto, TriggerPipelineRequest } from '@edgefleet/contracts';
import { UuidParam } from '../common/uuid-param.js';
import { ApiZodBody, ApiZodQuery, type Parsed, toOpenApiSchema, ZodBody, ZodQuery } from '../common/zod.js';
import { PipelinesService } from './pipelines.service.js';
import { Read, Write } from '../auth/authz.decorators.js';
import { requestOrgId } from '../auth/request-context.js';

@ApiTags('pipelines')
@Controller()
export class PipelinesController {
  constructor(private readonly pipelines: PipelinesService) {}

  @Post('models/:id/versions/:v/pipelines')
  @Write('ml')
  @HttpCode(201)
  @ApiOperation({ summary: 'Compress a version for some or all hardware profiles (queued; progress on the /events socket)' })
  @ApiZodBody(TriggerPipelineRequest)
  @ApiCreatedResponse({ schema: toOpenApiSchema(PipelineRunDto) })
  trigger(
    @UuidParam('id', 'model') modelId: string,
    @Param('v') ref: string,
    @ZodBody(TriggerPipelineRequest) body: Parsed<typeof TriggerPipelineRequest>,
  ) {
    return this.pipelines.trigger(requestOrgId(), modelId, ref, body, 'manual');
  }

  @Get('models/:id/versions/:v/pipelines')
  @Read()
  @ApiOperation({ summary: "A version's pipeline runs, newest first" })
  @ApiZodQuery(PaginationQuery)
  @ApiOkResponse({ schema: toOpenApiSchema(pageOf(PipelineRunDto)) })
  list(
    @UuidParam('id', 'model') modelId: string,
    @Param('v') ref: string,
    @ZodQuery(PaginationQuery) query: Parsed<typeof PaginationQuery>,
  ) {
    return this.pipelines.list(requestOrgId(), modelId, ref, query);
  }

  @Get('pipelines/:runId')
  @Read()
  @ApiOkResponse({ schema: toOpenApiSchema(PipelineRunDto) })
  get(@UuidParam('runId', 'pipeline') runId: string) {
    return this.pipelines.get(requestOrgId(), runId);
  }

  @Post('pipelines/:runId/cancel')
  @Write('ml')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel a queued or running pipeline (409 once it has finished)' })
  @ApiOkResponse({ schema: toOpenApiSchema(PipelineRunDto) })
  cancel(@UuidParam('runId', 'pipeline') runId: string) {
    return this.pipelines.cancel(requestOrgId(), runId);
  }
}
