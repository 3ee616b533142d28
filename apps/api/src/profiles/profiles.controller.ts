import { Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CreateProfileRequest, HardwareProfileDto, ListProfilesQuery, pageOf, UpdateProfileRequest } from '@edgefleet/contracts';
import { ApiZodBody, ApiZodQuery, type Parsed, toOpenApiSchema, ZodBody, ZodQuery } from '../common/zod.js';
import { ProfilesService } from './profiles.service.js';
import { Read, Write } from '../auth/authz.decorators.js';
import { requestOrgId } from '../auth/request-context.js';

@ApiTags('profiles')
@Controller('profiles')
export class ProfilesController {
  constructor(private readonly profiles: ProfilesService) {}

  @Post()
  @Write('admin')
  @ApiOperation({ summary: 'Define a hardware profile' })
  @ApiZodBody(CreateProfileRequest)
  @ApiCreatedResponse({ schema: toOpenApiSchema(HardwareProfileDto) })
  create(@ZodBody(CreateProfileRequest) body: Parsed<typeof CreateProfileRequest>) {
    return this.profiles.create(requestOrgId(), body);
  }

  @Get()
  @Read()
  @ApiZodQuery(ListProfilesQuery)
  @ApiOkResponse({ schema: toOpenApiSchema(pageOf(HardwareProfileDto)) })
  list(@ZodQuery(ListProfilesQuery) query: Parsed<typeof ListProfilesQuery>) {
    return this.profiles.list(requestOrgId(), query);
  }

  @Get(':ref')
  @Read()
  @ApiOperation({ summary: 'A profile by id or slug' })
  @ApiOkResponse({ schema: toOpenApiSchema(HardwareProfileDto) })
  get(@Param('ref') ref: string) {
    return this.profiles.get(requestOrgId(), ref);
  }

  @Patch(':ref')
  @Write('admin')
  @ApiZodBody(UpdateProfileRequest)
  @ApiOkResponse({ schema: toOpenApiSchema(HardwareProfileDto) })
  update(@Param('ref') ref: string, @ZodBody(UpdateProfileRequest) body: Parsed<typeof UpdateProfileRequest>) {
    return this.profiles.update(requestOrgId(), ref, body);
  }

  @Delete(':ref')
  @Write('admin')
  @HttpCode(204)
  remove(@Param('ref') ref: string) {
    return this.profiles.remove(requestOrgId(), ref);
  }
}
