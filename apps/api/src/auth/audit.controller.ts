import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuditEntryDto, AuditQuery, pageOf } from '@edgefleet/contracts';
import { ApiZodQuery, type Parsed, toOpenApiSchema, ZodQuery } from '../common/zod.js';
import { AuditService } from './audit.service.js';
import { Write } from './authz.decorators.js';
import { requestOrgId } from './request-context.js';

@ApiTags('audit')
@Controller('audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @Write('admin')
  @ApiOperation({ summary: "The organisation's audit log, newest first" })
  @ApiZodQuery(AuditQuery)
  @ApiOkResponse({ schema: toOpenApiSchema(pageOf(AuditEntryDto)) })
  list(@ZodQuery(AuditQuery) q: Parsed<typeof AuditQuery>) {
    return this.audit.list(requestOrgId(), q);
  }
}
