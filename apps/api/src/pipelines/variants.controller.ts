import { Controller, Get, Head, Param, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { VariantDto } from '@edgefleet/contracts';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { UuidParam } from '../common/uuid-param.js';
import { toOpenApiSchema } from '../common/zod.js';
import { VariantsService } from './variants.service.js';
import { Read } from '../auth/authz.decorators.js';
import { requestOrgId } from '../auth/request-context.js';

@ApiTags('variants')
@Controller()
export class VariantsController {
  constructor(private readonly variants: VariantsService) {}

  @Get('models/:id/versions/:v/variants')
  @Read()
  @ApiOperation({ summary: "A version's compressed variants, by profile slug, the recommended one first per profile" })
  @ApiOkResponse({ schema: toOpenApiSchema(z.array(VariantDto)) })
  list(@UuidParam('id', 'model') modelId: string, @Param('v') ref: string) {
    return this.variants.listForVersion(requestOrgId(), modelId, ref);
  }

  @Get('variants/:id')
  @Read()
  @ApiOkResponse({ schema: toOpenApiSchema(VariantDto) })
  get(@UuidParam('id', 'variant') id: string) {
    return this.variants.get(requestOrgId(), id);
  }

  @Get('variants/:id/download')
  @Read()
  @Head('variants/:id/download')
  @ApiOperation({ summary: 'Download a variant as <model>-v<n>-<profile>-<recipe>.onnx (ETag, Range supported)' })
  download(@UuidParam('id', 'variant') id: string, @Req() req: Request, @Res() res: Response) {
    return this.variants.download(requestOrgId(), id, req, res);
  }
}
