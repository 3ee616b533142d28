import { Controller, Get, Head, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AcceptedDto, ShadowBatch } from '@edgefleet/contracts';
import type { Request, Response } from 'express';
import { sendArtifact } from '../artifacts/artifact-download.js';
import { ArtifactsService } from '../artifacts/artifacts.service.js';
import { UuidParam } from '../common/uuid-param.js';
import { ApiZodBody, type Parsed, toOpenApiSchema, ZodBody } from '../common/zod.js';
import { type AuthenticatedDevice, CurrentDevice, DeviceAuthGuard } from './device-auth.js';
import { DeviceShadowService } from './device-shadow.service.js';
import { DeviceAuth } from '../auth/authz.decorators.js';

/** Shadow evaluation, agent side: per-minute comparison reports, and the download of the shadow candidate. */
@ApiTags('device API')
@Controller('device/shadow')
@UseGuards(DeviceAuthGuard)
@ApiBearerAuth()
export class DeviceShadowController {
  constructor(
    private readonly shadow: DeviceShadowService,
    private readonly artifacts: ArtifactsService,
  ) {}

  @Post()
  @DeviceAuth()
  @HttpCode(202)
  @ApiOperation({ summary: 'Per-minute shadow comparisons of a candidate against the served model; batches for the same minute add up' })
  @ApiZodBody(ShadowBatch)
  @ApiOkResponse({ schema: toOpenApiSchema(AcceptedDto) })
  ingest(@CurrentDevice() device: AuthenticatedDevice, @ZodBody(ShadowBatch) body: Parsed<typeof ShadowBatch>) {
    return this.shadow.ingest(device, body);
  }

  @Get('artifacts/:variantId')
  @DeviceAuth()
  @Head('artifacts/:variantId')
  @ApiOperation({
    summary: "Download this device's shadow candidate (`desired.shadow.artifactUrl`; ETag, Range); any other variant is 403",
  })
  async artifact(
    @CurrentDevice() device: AuthenticatedDevice,
    @UuidParam('variantId', 'variant') variantId: string,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const { artifact, fileName } = await this.shadow.shadowArtifact(device, variantId);
    await sendArtifact(this.artifacts, artifact, fileName, req, res);
  }
}
