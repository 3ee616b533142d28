import { randomUUID } from 'node:crypto';
import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Inject } from '@nestjs/common';
import { type ApiErrorBody, ErrorCode } from '@edgefleet/contracts';
import type { Request, Response } from 'express';
import { ZodError } from 'zod';
import { AppError, statusOf } from './app-error.js';
import { LOGGER, type Logger } from './logger.js';

const CODE_BY_HTTP_STATUS: Record<number, ErrorCode> = {
  400: ErrorCode.ValidationFailed,
  404: ErrorCode.NotFound,
  413: ErrorCode.PayloadTooLarge,
};

/** The one place where errors become HTTP responses; unknown errors are logged with an id and become a bare 500. */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request>();
    const res = ctx.getResponse<Response>();
    const body = this.toBody(exception, req);
    if (res.headersSent) {
      // A streaming download failed midway: the status is gone, so cut the connection to signal it.
      res.destroy();
      return;
    }
    if (exception instanceof AppError && exception.code === ErrorCode.RateLimited) {
      const retryAfterS = (exception.details as { retryAfterS?: number } | undefined)?.retryAfterS;
      if (retryAfterS) res.setHeader('Retry-After', String(retryAfterS));
    }
    res.status(body.statusCode).json(body);
  }

  private toBody(exception: unknown, req: Request): ApiErrorBody {
    const requestId = typeof req.id === 'string' ? req.id : undefined;
    if (exception instanceof AppError) {
      return { statusCode: statusOf(exception.code), error: exception.code, message: exception.message, requestId, details: exception.details };
    }
    if (exception instanceof ZodError) {
      return {
        statusCode: 400,
        error: ErrorCode.ValidationFailed,
        message: exception.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
        requestId,
        details: exception.issues.map((i) => ({ path: i.path, message: i.message })),
      };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      const message = typeof response === 'string' ? response : String((response as { message?: unknown }).message ?? exception.message);
      return { statusCode: status, error: CODE_BY_HTTP_STATUS[status] ?? `http/${status}`, message, requestId };
    }
    const errorId = randomUUID();
    this.logger.error({ err: exception, errorId, requestId, method: req.method, url: req.originalUrl }, 'unhandled error');
    return { statusCode: 500, error: ErrorCode.Internal, message: `internal error (errorId ${errorId})`, requestId };
  }
}
