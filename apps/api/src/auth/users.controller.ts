import { Controller, Delete, Get, HttpCode, Patch, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CreateUserRequest, pageOf, PaginationQuery, UpdateUserRequest, UserDto } from '@edgefleet/contracts';
import { UuidParam } from '../common/uuid-param.js';
import { ApiZodBody, ApiZodQuery, type Parsed, toOpenApiSchema, ZodBody, ZodQuery } from '../common/zod.js';
import { Write } from './authz.decorators.js';
import { requestOrgId } from './request-context.js';
import { UsersService } from './users.service.js';

@ApiTags('users')
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @Write('admin')
  @ApiZodQuery(PaginationQuery)
  @ApiOkResponse({ schema: toOpenApiSchema(pageOf(UserDto)) })
  list(@ZodQuery(PaginationQuery) q: Parsed<typeof PaginationQuery>) {
    return this.users.list(requestOrgId(), q);
  }

  @Post()
  @Write('admin')
  @ApiZodBody(CreateUserRequest)
  @ApiCreatedResponse({ schema: toOpenApiSchema(UserDto) })
  create(@ZodBody(CreateUserRequest) body: Parsed<typeof CreateUserRequest>) {
    return this.users.create(requestOrgId(), body);
  }

  @Get(':id')
  @Write('admin')
  @ApiOkResponse({ schema: toOpenApiSchema(UserDto) })
  get(@UuidParam('id', 'user') id: string) {
    return this.users.get(requestOrgId(), id);
  }

  @Patch(':id')
  @Write('admin')
  @ApiZodBody(UpdateUserRequest)
  @ApiOkResponse({ schema: toOpenApiSchema(UserDto) })
  update(@UuidParam('id', 'user') id: string, @ZodBody(UpdateUserRequest) body: Parsed<typeof UpdateUserRequest>) {
    return this.users.update(requestOrgId(), id, body);
  }

  @Delete(':id')
  @Write('admin')
  @HttpCode(204)
  remove(@UuidParam('id', 'user') id: string) {
    return this.users.remove(requestOrgId(), id);
  }
}
