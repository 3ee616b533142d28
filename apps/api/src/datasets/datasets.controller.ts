import { Controller, Delete, Get, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DatasetDto, pageOf, PaginationQuery } from '@edgefleet/contracts';
import { DEFAULT_ORG_ID } from '@edgefleet/db';
import type { Request } from 'express';
import { UuidParam } from '../common/uuid-param.js';
import { ApiZodQuery, type Parsed, toOpenApiSchema, ZodQuery } from '../common/zod.js';
import { DatasetsService } from './datasets.service.js';

@ApiTags('datasets')
@Controller('models/:id/datasets')
export class DatasetsController {
  constructor(private readonly datasets: DatasetsService) {}

  @Post()
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
    return this.datasets.upload(DEFAULT_ORG_ID, modelId, req);
  }

  @Get()
  @ApiZodQuery(PaginationQuery)
  @ApiOkResponse({ schema: toOpenApiSchema(pageOf(DatasetDto)) })
  list(@UuidParam('id', 'model') modelId: string, @ZodQuery(PaginationQuery) query: Parsed<typeof PaginationQuery>) {
    return this.datasets.list(DEFAULT_ORG_ID, modelId, query);
  }

  @Get(':datasetId')
  @ApiOkResponse({ schema: toOpenApiSchema(DatasetDto) })
  get(@UuidParam('id', 'model') modelId: string, @UuidParam('datasetId', 'dataset') datasetId: string) {
    return this.datasets.get(DEFAULT_ORG_ID, modelId, datasetId);
  }

  @Delete(':datasetId')
  @HttpCode(204)
  remove(@UuidParam('id', 'model') modelId: string, @UuidParam('datasetId', 'dataset') datasetId: string) {
    return this.datasets.remove(DEFAULT_ORG_ID, modelId, datasetId);
  }
}
