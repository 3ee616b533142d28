import { Controller, Get, Head, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  AcceptedDto,
  DesiredQuery,
  DesiredState,
  EnrollRequest,
  EnrollResponse,
  FeedbackBatch,
  HeartbeatRequest,
  HeartbeatResponse,
  TelemetryBatch,
} from '@edgefleet/contracts';
import type { Request, Response } from 'express';
import { sendArtifact } from '../artifacts/artifact-download.js';
import { ArtifactsService } from '../artifacts/artifacts.service.js';
import { UuidParam } from '../common/uuid-param.js';
import { ApiZodBody, ApiZodQuery, type Parsed, toOpenApiSchema, ZodBody, ZodQuery } from '../common/zod.js';
import { type AuthenticatedDevice, CurrentDevice, DeviceAuthGuard } from './device-auth.js';
import { DeviceApiService } from './device-api.service.js';
import { DeviceAuth, Public, RateLimited } from '../auth/authz.decorators.js';

/** The first entity tag of an If-None-Match header, unquoted. */
function knownEtag(header: string | undefined): string | null {
  const first = header?.split(',')[0]?.trim().replace(/^W\//, '');
  return first ? first.replace(/^"(.*)"$/, '$1') : null;
}

/** What edge agents call. Everything but enrollment needs `Authorization: Bearer <deviceId>.<secret>`. */
@ApiTags('device API')
@Controller('device')
export class DeviceApiController {
  constructor(
    private readonly api: DeviceApiService,
    private readonly artifacts: ArtifactsService,
  ) {}

  @Post('enroll')
  @Public()
  @RateLimited('enroll')
  @ApiOperation({ summary: 'Enroll with an enrollment token; the device secret (`eds_…`) is in this response only' })
  @ApiZodBody(EnrollRequest)
  @ApiCreatedResponse({ schema: toOpenApiSchema(EnrollResponse) })
  enroll(@ZodBody(EnrollRequest) body: Parsed<typeof EnrollRequest>) {
    return this.api.enroll(body);
  }

  @Get('desired')
  @DeviceAuth()
  @UseGuards(DeviceAuthGuard)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'What this device should run (ETag; If-None-Match → 304; ?wait=N long-polls up to 60 s for a change)' })
  @ApiZodQuery(DesiredQuery)
  @ApiOkResponse({ schema: toOpenApiSchema(DesiredState) })
  async desired(
    @CurrentDevice() device: AuthenticatedDevice,
    @ZodQuery(DesiredQuery) q: Parsed<typeof DesiredQuery>,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const gone = new AbortController();
    res.on('close', () => gone.abort());
    const known = knownEtag(req.headers['if-none-match']);
    const state = await this.api.desiredState(device, known, known === null ? 0 : q.wait, gone.signal);
    res.setHeader('Cache-Control', 'no-cache');
    if (res.writableEnded || res.destroyed) return;
    if (state === null) {
      res.setHeader('ETag', `"${known}"`);
      res.status(304).end();
      return;
    }
    res.setHeader('ETag', `"${state.etag}"`);
    res.status(200).json(state);
  }

  @Get('artifacts/:variantId')
  @DeviceAuth()
  @Head('artifacts/:variantId')
  @UseGuards(DeviceAuthGuard)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Download the variant assigned to this device (ETag, Range supported); any other is 403' })
  async artifact(
    @CurrentDevice() device: AuthenticatedDevice,
    @UuidParam('variantId', 'variant') variantId: string,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const { artifact, fileName } = await this.api.assignedArtifact(device, variantId);
    await sendArtifact(this.artifacts, artifact, fileName, req, res);
  }

  @Post('heartbeat')
  @DeviceAuth()
  @HttpCode(200)
  @UseGuards(DeviceAuthGuard)
  @ApiBearerAuth()
  @ApiZodBody(HeartbeatRequest)
  @ApiOkResponse({ schema: toOpenApiSchema(HeartbeatResponse) })
  heartbeat(@CurrentDevice() device: AuthenticatedDevice, @ZodBody(HeartbeatRequest) body: Parsed<typeof HeartbeatRequest>) {
    return this.api.heartbeat(device, body);
  }

  @Post('telemetry')
  @DeviceAuth()
  @HttpCode(202)
  @UseGuards(DeviceAuthGuard)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Per-minute inference counters and latency histograms; batches for the same minute add up' })
  @ApiZodBody(TelemetryBatch)
  @ApiOkResponse({ schema: toOpenApiSchema(AcceptedDto) })
  telemetry(@CurrentDevice() device: AuthenticatedDevice, @ZodBody(TelemetryBatch) body: Parsed<typeof TelemetryBatch>) {
    return this.api.telemetry(device, body);
  }

  @Post('feedback')
  @DeviceAuth()
  @HttpCode(202)
  @UseGuards(DeviceAuthGuard)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Ground-truth labels for predictions (at most 1000 per call)' })
  @ApiZodBody(FeedbackBatch)
  @ApiOkResponse({ schema: toOpenApiSchema(AcceptedDto) })
  feedback(@CurrentDevice() device: AuthenticatedDevice, @ZodBody(FeedbackBatch) body: Parsed<typeof FeedbackBatch>) {
    return this.api.feedback(device, body);
  }
}
