import { Controller, Get, Global, Inject, Module } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { SigningKeyDto } from '@edgefleet/contracts';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/env.js';
import { toOpenApiSchema } from '../common/zod.js';
import { SigningKey } from '@edgefleet/platform';
import { Read } from '../auth/authz.decorators.js';

export const SIGNING_KEY = Symbol('SIGNING_KEY');

@ApiTags('keys')
@Controller('keys')
class SigningController {
  constructor(@Inject(SIGNING_KEY) private readonly key: SigningKey) {}

  @Get('artifact-signing')
  @Read()
  @ApiOperation({ summary: 'The public key that signs variant manifests; agents pin it at enrollment' })
  @ApiOkResponse({ schema: toOpenApiSchema(SigningKeyDto) })
  get(): SigningKeyDto {
    return this.key.describe();
  }
}

@Global()
@Module({
  controllers: [SigningController],
  providers: [{ provide: SIGNING_KEY, inject: [APP_CONFIG], useFactory: (config: AppConfig) => SigningKey.load(config.signing) }],
  exports: [SIGNING_KEY],
})
export class SigningModule {}
