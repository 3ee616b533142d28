import { Controller, Get, Head, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ModelVersionDto, pageOf, PaginationQuery } from '@edgefleet/contracts';
import type { Request, Response } from 'express';
import { sendArtifact } from '../artifacts/artifact-download.js';
import { ArtifactsService } from '../artifacts/artifacts.service.js';
import { UuidParam } from '../common/uuid-param.js';
import { ApiZodQuery, type Parsed, toOpenApiSchema, ZodQuery } from '../common/zod.js';
import { VersionsService } from './versions.service.js';
import { RateLimited, Read, Write } from '../auth/authz.decorators.js';
import { requestOrgId } from '../auth/request-context.js';

@ApiTags('versions')
@Controller('models/:id/versions')
export class VersionsController {
  constructor(
    private readonly versions: VersionsService,
    private readonly artifacts: ArtifactsService,
  ) {}

  @Post()
  @Write('ml')
  @RateLimited('upload')
  @HttpCode(201)
  @ApiOperation({ summary: 'Upload an ONNX file as the next version (streamed, inspected, stored)' })
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['file'],
      properties: {
        file: { type: 'string', format: 'binary' },
        semver: { type: 'string', example: '1.0.0' },
        notes: { type: 'string' },
        createdBy: { type: 'string' },
      },
    },
  })
  @ApiCreatedResponse({ schema: toOpenApiSchema(ModelVersionDto) })
  upload(@UuidParam('id', 'model') modelId: string, @Req() req: Request) {
    return this.versions.upload(requestOrgId(), modelId, req);
  }

  @Get()
  @Read()
  @ApiZodQuery(PaginationQuery)
  @ApiOkResponse({ schema: toOpenApiSchema(pageOf(ModelVersionDto)) })
  list(@UuidParam('id', 'model') modelId: string, @ZodQuery(PaginationQuery) query: Parsed<typeof PaginationQuery>) {
    return this.versions.list(requestOrgId(), modelId, query);
  }

  @Get(':v')
  @Read()
  @ApiOperation({ summary: 'A version by number, semver label, or "latest"' })
  @ApiOkResponse({ schema: toOpenApiSchema(ModelVersionDto) })
  get(@UuidParam('id', 'model') modelId: string, @Param('v') ref: string) {
    return this.versions.get(requestOrgId(), modelId, ref);
  }

  @Get(':v/download')
  @Read()
  @Head(':v/download')
  @ApiOperation({ summary: 'Download the uploaded ONNX file (ETag, Range supported)' })
  async download(@UuidParam('id', 'model') modelId: string, @Param('v') ref: string, @Req() req: Request, @Res() res: Response) {
    const version = await this.versions.find(requestOrgId(), modelId, ref);
    await sendArtifact(this.artifacts, version.artifact, `model-v${version.number}.onnx`, req, res);
  }
}
