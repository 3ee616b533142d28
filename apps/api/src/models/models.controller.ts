import { Controller, Delete, Get, HttpCode, Patch, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CreateModelRequest, ListModelsQuery, ModelDto, pageOf, UpdateModelRequest } from '@edgefleet/contracts';
import { UuidParam } from '../common/uuid-param.js';
import { ApiZodBody, ApiZodQuery, type Parsed, toOpenApiSchema, ZodBody, ZodQuery } from '../common/zod.js';
import { ModelsService } from './models.service.js';
import { Read, Write } from '../auth/authz.decorators.js';
import { requestOrgId } from '../auth/request-context.js';

@ApiTags('models')
@Controller('models')
export class ModelsController {
  constructor(private readonly models: ModelsService) {}

  @Post()
  @Write('ml')
  @ApiOperation({ summary: 'Register a model' })
  @ApiZodBody(CreateModelRequest)
  @ApiCreatedResponse({ schema: toOpenApiSchema(ModelDto) })
  create(@ZodBody(CreateModelRequest) body: Parsed<typeof CreateModelRequest>) {
    return this.models.create(requestOrgId(), body);
  }

  @Get()
  @Read()
  @ApiOperation({ summary: 'List models, newest first' })
  @ApiZodQuery(ListModelsQuery)
  @ApiOkResponse({ schema: toOpenApiSchema(pageOf(ModelDto)) })
  list(@ZodQuery(ListModelsQuery) query: Parsed<typeof ListModelsQuery>) {
    return this.models.list(requestOrgId(), query);
  }

  @Get(':id')
  @Read()
  @ApiOkResponse({ schema: toOpenApiSchema(ModelDto) })
  get(@UuidParam('id', 'model') id: string) {
    return this.models.get(requestOrgId(), id);
  }

  @Patch(':id')
  @Write('ml')
  @ApiZodBody(UpdateModelRequest)
  @ApiOkResponse({ schema: toOpenApiSchema(ModelDto) })
  update(@UuidParam('id', 'model') id: string, @ZodBody(UpdateModelRequest) body: Parsed<typeof UpdateModelRequest>) {
    return this.models.update(requestOrgId(), id, body);
  }

  @Delete(':id')
  @Write('ml')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a model with its versions, datasets and artifacts' })
  remove(@UuidParam('id', 'model') id: string) {
    return this.models.remove(requestOrgId(), id);
  }
}
