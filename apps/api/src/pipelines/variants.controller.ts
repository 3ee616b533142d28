import { Controller, Get, Head, Param, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { VariantDto } from '@edgefleet/contracts';
import { DEFAULT_ORG_ID } from '@edgefleet/db';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { UuidParam } from '../common/uuid-param.js';
import { toOpenApiSchema } from '../common/zod.js';
import { VariantsService } from './variants.service.js';

@ApiTags('variants')
@Controller()
export class VariantsController {
  constructor(private readonly variants: VariantsService) {}

  @Get('models/:id/versions/:v/variants')
  @ApiOperation({ summary: "A version's compressed variants, by profile slug, the recommended one first per profile" })
  @ApiOkResponse({ schema: toOpenApiSchema(z.array(VariantDto)) })
  list(@UuidParam('id', 'model') modelId: string, @Param('v') ref: string) {
    return this.variants.listForVersion(DEFAULT_ORG_ID, modelId, ref);
  }

  @Get('variants/:id')
  @ApiOkResponse({ schema: toOpenApiSchema(VariantDto) })
  get(@UuidParam('id', 'variant') id: string) {
    return this.variants.get(DEFAULT_ORG_ID, id);
  }

  @Get('variants/:id/download')
  @Head('variants/:id/download')
  @ApiOperation({ summary: 'Download a variant as <model>-v<n>-<profile>-<recipe>.onnx (ETag, Range supported)' })
  download(@UuidParam('id', 'variant') id: string, @Req() req: Request, @Res() res: Response) {
    return this.variants.download(DEFAULT_ORG_ID, id, req, res);
  }
}
