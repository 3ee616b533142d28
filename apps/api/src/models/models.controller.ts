import { Controller, Delete, Get, HttpCode, Patch, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  CreateModelRequest,
  ListModelsQuery,
  ModelDto,
  pageOf,
  UpdateModelRequest,
} from '@edgefleet/contracts';
import { DEFAULT_ORG_ID } from '@edgefleet/db';
import { UuidParam } from '../common/uuid-param.js';
import { ApiZodBody, ApiZodQuery, type Parsed, toOpenApiSchema, ZodBody, ZodQuery } from '../common/zod.js';
import { ModelsService } from './models.service.js';

@ApiTags('models')
@Controller('models')
export class ModelsController {
  constructor(private readonly models: ModelsService) {}

  @Post()
  @ApiOperation({ summary: 'Register a model' })
  @ApiZodBody(CreateModelRequest)
  @ApiCreatedResponse({ schema: toOpenApiSchema(ModelDto) })
  create(@ZodBody(CreateModelRequest) body: Parsed<typeof CreateModelRequest>) {
    return this.models.create(DEFAULT_ORG_ID, body);
  }

  @Get()
  @ApiOperation({ summary: 'List models, newest first' })
  @ApiZodQuery(ListModelsQuery)
  @ApiOkResponse({ schema: toOpenApiSchema(pageOf(ModelDto)) })
  list(@ZodQuery(ListModelsQuery) query: Parsed<typeof ListModelsQuery>) {
    return this.models.list(DEFAULT_ORG_ID, query);
  }

  @Get(':id')
  @ApiOkResponse({ schema: toOpenApiSchema(ModelDto) })
  get(@UuidParam('id', 'model') id: string) {
    return this.models.get(DEFAULT_ORG_ID, id);
  }

  @Patch(':id')
  @ApiZodBody(UpdateModelRequest)
  @ApiOkResponse({ schema: toOpenApiSchema(ModelDto) })
  update(@UuidParam('id', 'model') id: string, @ZodBody(UpdateModelRequest) body: Parsed<typeof UpdateModelRequest>) {
    return this.models.update(DEFAULT_ORG_ID, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a model with its versions, datasets and artifacts' })
  remove(@UuidParam('id', 'model') id: string) {
    return this.models.remove(DEFAULT_ORG_ID, id);
  }
}
