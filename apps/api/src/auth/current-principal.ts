import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { ErrorCode } from '@edgefleet/contracts';
import { AppError } from '../common/app-error.js';
import type { AuthedRequest } from './auth.guard.js';
import type { Principal } from './request-context.js';

/** The caller the AuthGuard authenticated. */
export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const principal = ctx.switchToHttp().getRequest<AuthedRequest>().principal;
  if (!principal) throw new AppError(ErrorCode.Unauthenticated, 'not authenticated');
  return principal;
});
