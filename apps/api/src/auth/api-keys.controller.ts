import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiKeyDto, CreateApiKeyRequest, CreatedApiKeyDto, pageOf, PaginationQuery } from '@edgefleet/contracts';
import { UuidParam } from '../common/uuid-param.js';
import { ApiZodBody, ApiZodQuery, type Parsed, toOpenApiSchema, ZodBody, ZodQuery } from '../common/zod.js';
import { ApiKeysService } from './api-keys.service.js';
import { Write } from './authz.decorators.js';
import { CurrentPrincipal } from './current-principal.js';
import { type Principal, requestOrgId } from './request-context.js';

@ApiTags('api-keys')
@Controller('api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Post()
  @Write('admin')
  @ApiOperation({ summary: 'Create an API key scoped to a role; the `efk_…` key is in this response only' })
  @ApiZodBody(CreateApiKeyRequest)
  @ApiCreatedResponse({ schema: toOpenApiSchema(CreatedApiKeyDto) })
  create(@ZodBody(CreateApiKeyRequest) body: Parsed<typeof CreateApiKeyRequest>, @CurrentPrincipal() principal: Principal) {
    return this.keys.create(requestOrgId(), principal.userId, body);
  }

  @Get()
  @Write('admin')
  @ApiZodQuery(PaginationQuery)
  @ApiOkResponse({ schema: toOpenApiSchema(pageOf(ApiKeyDto)) })
  list(@ZodQuery(PaginationQuery) q: Parsed<typeof PaginationQuery>) {
    return this.keys.list(requestOrgId(), q);
  }

  @Post(':id/revoke')
  @Write('admin')
  @HttpCode(200)
  @ApiOkResponse({ schema: toOpenApiSchema(ApiKeyDto) })
  revoke(@UuidParam('id', 'api key') id: string) {
    return this.keys.revoke(requestOrgId(), id);
  }
}
