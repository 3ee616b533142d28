import { Controller, Get, Head, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { UuidParam } from '../common/uuid-param.js';
import { sendArtifact } from './artifact-download.js';
import { ArtifactsService } from './artifacts.service.js';
import { Read } from '../auth/authz.decorators.js';
import { requestOrgId } from '../auth/request-context.js';

@ApiTags('artifacts')
@Controller('artifacts')
export class ArtifactsController {
  constructor(private readonly artifacts: ArtifactsService) {}

  @Get(':id/download')
  @Read()
  @Head(':id/download')
  @ApiOperation({ summary: 'Download an artifact (ETag, If-None-Match, Range and If-Range supported)' })
  async download(@UuidParam('id', 'artifact') id: string, @Req() req: Request, @Res() res: Response) {
    const artifact = await this.artifacts.get(id, requestOrgId());
    await sendArtifact(this.artifacts, artifact, `${artifact.sha256.slice(0, 12)}.${artifact.format}`, req, res);
  }
}
