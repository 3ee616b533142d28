import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthResponse } from '@edgefleet/contracts';
import type { Response } from 'express';
import { toOpenApiSchema } from '../common/zod.js';
import { HealthService } from './health.service.js';
import { Public } from '../auth/authz.decorators.js';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get()
  @Public()
  @ApiOkResponse({ schema: toOpenApiSchema(HealthResponse) })
  @ApiServiceUnavailableResponse({ description: 'Postgres or Redis is unreachable' })
  async get(@Res({ passthrough: true }) res: Response): Promise<HealthResponse> {
    const report = await this.health.check();
    res.status(report.status === 'ok' ? 200 : 503);
    return report;
  }
}
