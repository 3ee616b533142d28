import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { RequestMethod, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { pinoHttp } from 'pino-http';
import { AppModule } from './app.module.js';
import { createLogger, type Logger, NestPinoLogger } from './common/logger.js';
import { BULL_BOARD_PATH, mountBullBoard } from './queues/bull-board.js';
import { adminOnly, auditTrail, membersOnly, securityHeaders } from './auth/http-hardening.js';
import { serveDashboard } from './common/dashboard-static.js';
import { HttpDrain } from './common/http-drain.js';
import type { AppConfig } from './config/env.js';
import { APP_VERSION } from './version.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

export interface CreatedApp {
  app: INestApplication;
  logger: Logger;
  /** For a graceful stop (main.api.ts): requests in flight finish, keep-alive connections end with them. */
  drain: HttpDrain;
}

/** Builds the HTTP app (not listening yet); shared by main and the tests so both run the same wiring. */
export async function createApp(config: AppConfig, logger: Logger = createLogger(config.logLevel)): Promise<CreatedApp> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, logger), {
    logger: new NestPinoLogger(logger),
    bodyParser: false,
  });
  const drain = new HttpDrain();
  app.use(drain.middleware);
  // Then, so requests the body parser rejects (malformed or too large JSON) are audited too.
  app.use(auditTrail(app));
  app.useBodyParser('json', { limit: '1mb' });
  app.use(
    pinoHttp({
      logger,
      genReqId(req: IncomingMessage, res) {
        const incoming = req.headers['x-request-id'];
        const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
      autoLogging: { ignore: (req) => req.url === '/metrics' || req.url === '/api/health' },
    }),
  );
  app.set('trust proxy', config.auth.trustProxy);
  app.use(securityHeaders(config));
  // Cross-origin callers only from CORS_ORIGINS (none by default: the dashboard is served on the API's own origin).
  if (config.auth.corsOrigins.length > 0) app.enableCors({ origin: config.auth.corsOrigins, credentials: true, maxAge: 600 });
  app.setGlobalPrefix('api', { exclude: [{ path: 'metrics', method: RequestMethod.GET }] });
  // Live pipeline progress on the `/events` namespace, sharing the HTTP server.
  app.useWebSocketAdapter(new IoAdapter(app));
  app.use(BULL_BOARD_PATH, adminOnly(app, config));
  mountBullBoard(app);
  if (serveDashboard(app, config.dashboardDir)) logger.debug({ dir: config.dashboardDir }, 'serving the dashboard');

  const openapi = new DocumentBuilder()
    .setTitle('edgefleet API')
    .setDescription('Model registry, compression pipelines, devices and rollouts')
    .setVersion(APP_VERSION)
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'API key `efk_…` (or, on /api/device, `<deviceId>.<secret>`)' })
    .addCookieAuth('ef_session')
    .addSecurityRequirements('bearer')
    .addSecurityRequirements('cookie')
    .build();
  // The API's own description is for its users: members only, like everything but health and login.
  app.use(['/api/docs', '/api/docs-yaml'], membersOnly(app, config));
  SwaggerModule.setup('api/docs', app, () => SwaggerModule.createDocument(app, openapi), { jsonDocumentUrl: 'api/docs/openapi.json' });
  return { app, logger, drain };
}
