import { Controller, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { LoginRequest, SessionDto } from '@edgefleet/contracts';
import type { Request, Response } from 'express';
import { ApiZodBody, type Parsed, toOpenApiSchema, ZodBody } from '../common/zod.js';
import { AuthService } from './auth.service.js';
import { Public, Read } from './authz.decorators.js';
import { CurrentPrincipal } from './current-principal.js';
import type { Principal } from './request-context.js';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('login')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'Log in: sets the HTTP-only session cookie `ef_session`; 401 auth/invalid_credentials, 429 when throttled' })
  @ApiZodBody(LoginRequest)
  @ApiOkResponse({ schema: toOpenApiSchema(SessionDto) })
  async login(@ZodBody(LoginRequest) body: Parsed<typeof LoginRequest>, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const { token, principal } = await this.auth.login(body.email, body.password, {
      ip: req.ip ?? null,
      userAgent: req.headers['user-agent'] ?? null,
    });
    (req as Request & { principal?: Principal }).principal = principal;
    res.setHeader('Set-Cookie', this.auth.sessionCookie(token, Math.round((principal.expiresAt!.getTime() - Date.now()) / 1000)));
    return this.auth.describe(principal);
  }

  @Post('logout')
  @Read()
  @HttpCode(204)
  @ApiOperation({ summary: 'End the session of the cookie (API keys: nothing to end)' })
  async logout(@CurrentPrincipal() principal: Principal, @Res({ passthrough: true }) res: Response) {
    await this.auth.logout(principal);
    res.setHeader('Set-Cookie', this.auth.sessionCookie('', 0));
  }

  @Get('me')
  @Read()
  @ApiOkResponse({ schema: toOpenApiSchema(SessionDto) })
  me(@CurrentPrincipal() principal: Principal) {
    return this.auth.describe(principal);
  }
}
