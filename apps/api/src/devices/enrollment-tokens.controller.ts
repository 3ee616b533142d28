import { Controller, Delete, Get, HttpCode, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CreatedEnrollmentTokenDto, CreateEnrollmentTokenRequest, EnrollmentTokenDto, pageOf, PaginationQuery } from '@edgefleet/contracts';
import { DEFAULT_ORG_ID } from '@edgefleet/db';
import { UuidParam } from '../common/uuid-param.js';
import { ApiZodBody, ApiZodQuery, type Parsed, toOpenApiSchema, ZodBody, ZodQuery } from '../common/zod.js';
import { EnrollmentTokensService } from './enrollment-tokens.service.js';

@ApiTags('devices')
@Controller('enrollment-tokens')
export class EnrollmentTokensController {
  constructor(private readonly tokens: EnrollmentTokensService) {}

  @Post()
  @ApiOperation({ summary: 'Create an enrollment token; the `eft_…` token is in this response only' })
  @ApiZodBody(CreateEnrollmentTokenRequest)
  @ApiCreatedResponse({ schema: toOpenApiSchema(CreatedEnrollmentTokenDto) })
  create(@ZodBody(CreateEnrollmentTokenRequest) body: Parsed<typeof CreateEnrollmentTokenRequest>) {
    return this.tokens.create(DEFAULT_ORG_ID, body);
  }

  @Get()
  @ApiZodQuery(PaginationQuery)
  @ApiOkResponse({ schema: toOpenApiSchema(pageOf(EnrollmentTokenDto)) })
  list(@ZodQuery(PaginationQuery) q: Parsed<typeof PaginationQuery>) {
    return this.tokens.list(DEFAULT_ORG_ID, q);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke a token: no further enrollments (enrolled devices are unaffected)' })
  revoke(@UuidParam('id', 'enrollment token') id: string) {
    return this.tokens.revoke(DEFAULT_ORG_ID, id);
  }
}
