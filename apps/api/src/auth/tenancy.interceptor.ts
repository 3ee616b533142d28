import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { Observable } from 'rxjs';
import type { AuthedRequest } from './auth.guard.js';
import { requestContext } from './request-context.js';

/**
 * Runs every handler of an authenticated request inside the request context (AsyncLocalStorage), so the Prisma
 * extension scopes its queries to the caller's organisation. `next.handle()` binds the handler's async scope where it
 * is called, hence inside `run`.
 */
@Injectable()
export class TenancyInterceptor implements NestInterceptor {
  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (ctx.getType() !== 'http') return next.handle();
    const principal = ctx.switchToHttp().getRequest<AuthedRequest>().principal;
    if (!principal) return next.handle();
    return requestContext.run({ orgId: principal.orgId, principal }, () => next.handle());
  }
}
