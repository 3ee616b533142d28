import { Controller, Delete, Get, HttpCode, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CreatedEnrollmentTokenDto, CreateEnrollmentTokenRequest, EnrollmentTokenDto, pageOf, PaginationQuery } from '@edgefleet/contracts';
import { UuidParam } from '../common/uuid-param.js';
import { ApiZodBody, ApiZodQuery, type Parsed, toOpenApiSchema, ZodBody, ZodQuery } from '../common/zod.js';
import { EnrollmentTokensService } from './enrollment-tokens.service.js';
import { Read, Write } from '../auth/authz.decorators.js';
import { requestOrgId } from '../auth/request-context.js';

@ApiTags('devices')
@Controller('enrollment-tokens')
export class EnrollmentTokensController {
  constructor(private readonly tokens: EnrollmentTokensService) {}

  @Post()
  @Write('operator')
  @ApiOperation({ summary: 'Create an enrollment token; the `eft_…` token is in this response only' })
  @ApiZodBody(CreateEnrollmentTokenRequest)
  @ApiCreatedResponse({ schema: toOpenApiSchema(CreatedEnrollmentTokenDto) })
  create(@ZodBody(CreateEnrollmentTokenRequest) body: Parsed<typeof CreateEnrollmentTokenRequest>) {
    return this.tokens.create(requestOrgId(), body);
  }

  @Get()
  @Read()
  @ApiZodQuery(PaginationQuery)
  @ApiOkResponse({ schema: toOpenApiSchema(pageOf(EnrollmentTokenDto)) })
  list(@ZodQuery(PaginationQuery) q: Parsed<typeof PaginationQuery>) {
    return this.tokens.list(requestOrgId(), q);
  }

  @Delete(':id')
  @Write('operator')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke a token: no further enrollments (enrolled devices are unaffected)' })
  revoke(@UuidParam('id', 'enrollment token') id: string) {
    return this.tokens.revoke(requestOrgId(), id);
  }
}
