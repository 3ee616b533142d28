import { Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CreateProfileRequest, HardwareProfileDto, ListProfilesQuery, pageOf, UpdateProfileRequest } from '@edgefleet/contracts';
import { DEFAULT_ORG_ID } from '@edgefleet/db';
import { ApiZodBody, ApiZodQuery, type Parsed, toOpenApiSchema, ZodBody, ZodQuery } from '../common/zod.js';
import { ProfilesService } from './profiles.service.js';

@ApiTags('profiles')
@Controller('profiles')
export class ProfilesController {
  constructor(private readonly profiles: ProfilesService) {}

  @Post()
  @ApiOperation({ summary: 'Define a hardware profile' })
  @ApiZodBody(CreateProfileRequest)
  @ApiCreatedResponse({ schema: toOpenApiSchema(HardwareProfileDto) })
  create(@ZodBody(CreateProfileRequest) body: Parsed<typeof CreateProfileRequest>) {
    return this.profiles.create(DEFAULT_ORG_ID, body);
  }

  @Get()
  @ApiZodQuery(ListProfilesQuery)
  @ApiOkResponse({ schema: toOpenApiSchema(pageOf(HardwareProfileDto)) })
  list(@ZodQuery(ListProfilesQuery) query: Parsed<typeof ListProfilesQuery>) {
    return this.profiles.list(DEFAULT_ORG_ID, query);
  }

  @Get(':ref')
  @ApiOperation({ summary: 'A profile by id or slug' })
  @ApiOkResponse({ schema: toOpenApiSchema(HardwareProfileDto) })
  get(@Param('ref') ref: string) {
    return this.profiles.get(DEFAULT_ORG_ID, ref);
  }

  @Patch(':ref')
  @ApiZodBody(UpdateProfileRequest)
  @ApiOkResponse({ schema: toOpenApiSchema(HardwareProfileDto) })
  update(@Param('ref') ref: string, @ZodBody(UpdateProfileRequest) body: Parsed<typeof UpdateProfileRequest>) {
    return this.profiles.update(DEFAULT_ORG_ID, ref, body);
  }

  @Delete(':ref')
  @HttpCode(204)
  remove(@Param('ref') ref: string) {
    return this.profiles.remove(DEFAULT_ORG_ID, ref);
  }
}
