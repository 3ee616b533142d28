import { Controller, Delete, Get, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DatasetDto, pageOf, PaginationQuery } from '@edgefleet/contracts';
import type { Request } from 'express';
import { UuidParam } from '../common/uuid-param.js';
import { ApiZodQuery, type Parsed, toOpenApiSchema, ZodQuery } from '../common/zod.js';
import { DatasetsService } from './datasets.service.js';
import { RateLimited, Read, Write } from '../auth/authz.decorators.js';
import { requestOrgId } from '../auth/request-context.js';

@ApiTags('datasets')
@Controller('models/:id/datasets')
export class DatasetsController {
  constructor(private readonly datasets: DatasetsService) {}

  @Post()
  @Write('ml')
  @RateLimited('upload')
  @HttpCode(201)
  @ApiOperation({ summary: 'Upload a calibration/evaluation dataset (.npz: one array per model input, optional int64 `labels`)' })
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['file', 'name'],
      properties: {
        file: { type: 'string', format: 'binary' },
        name: { type: 'string', example: 'eval-9k' },
        purpose: { type: 'string', enum: ['calibration', 'evaluation'] },
      },
    },
  })
  @ApiCreatedResponse({ schema: toOpenApiSchema(DatasetDto) })
  upload(@UuidParam('id', 'model') modelId: string, @Req() req: Request) {
    return this.datasets.upload(requestOrgId(), modelId, req);
  }

  @Get()
  @Read()
  @ApiZodQuery(PaginationQuery)
  @ApiOkResponse({ schema: toOpenApiSchema(pageOf(DatasetDto)) })
  list(@UuidParam('id', 'model') modelId: string, @ZodQuery(PaginationQuery) query: Parsed<typeof PaginationQuery>) {
    return this.datasets.list(requestOrgId(), modelId, query);
  }

  @Get(':datasetId')
  @Read()
  @ApiOkResponse({ schema: toOpenApiSchema(DatasetDto) })
  get(@UuidParam('id', 'model') modelId: string, @UuidParam('datasetId', 'dataset') datasetId: string) {
    return this.datasets.get(requestOrgId(), modelId, datasetId);
  }

  @Delete(':datasetId')
  @Write('ml')
  @HttpCode(204)
  remove(@UuidParam('id', 'model') modelId: string, @UuidParam('datasetId', 'dataset') datasetId: string) {
    return this.datasets.remove(requestOrgId(), modelId, datasetId);
  }
}
