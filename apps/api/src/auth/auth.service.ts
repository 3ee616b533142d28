import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { ErrorCode, type Role, SESSION_COOKIE, type SessionDto } from '@edgefleet/contracts';
import { DEFAULT_ORG_ID } from '@edgefleet/db';
import { AppError } from '../common/app-error.js';
import { LOGGER, type Logger } from '../common/logger.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/env.js';
import { PrismaService } from '../database/prisma.service.js';
import { mapUser } from './auth.mapper.js';
import { dummyHash, hashPassword, verifyPassword } from './passwords.js';
import { RateLimiterService } from './rate-limiter.service.js';
import type { Principal } from './request-context.js';
import { API_KEY_FORMAT, newSessionToken, SESSION_TOKEN_FORMAT, sha256 } from './tokens.js';

/** The parts of an HTTP request or a socket.io handshake that carry credentials. */
export interface CredentialSource {
  headers: Record<string, string | string[] | undefined>;
}

/** How often lastSeenAt / lastUsedAt are written at most: per-request writes would double the load of every call. */
const TOUCH_EVERY_MS = 60_000;

const DEVICE_CREDENTIAL = /^[0-9a-f-]{36}\.eds_/i;

export function readCookie(header: string | string[] | undefined, name: string): string | undefined {
  const raw = Array.isArray(header) ? header.join('; ') : header;
  if (!raw) return undefined;
  for (const part of raw.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

export function bearerOf(source: CredentialSource): string | undefined {
  const header = source.headers.authorization;
  return typeof header === 'string' && /^Bearer /i.test(header) ? header.slice(7).trim() : undefined;
}

/** Sessions, API keys and logins. Never scoped by the request context: it runs before there is one. */
@Injectable()
export class AuthService implements OnApplicationBootstrap {
  constructor(
    private readonly prisma: PrismaService,
    private readonly limiter: RateLimiterService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** ADMIN_EMAIL / ADMIN_PASSWORD: the first admin, only while there is no user at all. */
  async onApplicationBootstrap() {
    if (!this.config.auth.required)
      this.logger.warn('AUTH_REQUIRED=false: requests without credentials act as the default organisation admin');
    const admin = this.config.auth.bootstrapAdmin;
    if (!admin) return;
    const created = await this.createFirstAdmin(admin.email, admin.password);
    if (created) this.logger.info({ email: admin.email }, 'created the first admin from ADMIN_EMAIL');
  }

  /** Creates an admin in the default organisation when no user exists; false when one does. */
  async createFirstAdmin(email: string, password: string, orgId = DEFAULT_ORG_ID): Promise<boolean> {
    if ((await this.prisma.db.user.count()) > 0) return false;
    await this.prisma.db.user.create({
      data: { orgId, email: email.toLowerCase(), role: 'admin', passwordHash: await hashPassword(password) },
    });
    return true;
  }

  /**
   * The caller of a request: `Authorization: Bearer efk_…` (API key) first, else the session cookie; null when the
   * request carries neither. Credentials that are present but wrong, expired or revoked are a 401, never ignored.
   */
  async authenticate(source: CredentialSource): Promise<Principal | null> {
    const bearer = bearerOf(source);
    if (bearer !== undefined) {
      if (API_KEY_FORMAT.test(bearer)) return this.authenticateApiKey(bearer);
      if (DEVICE_CREDENTIAL.test(bearer)) throw new AppError(ErrorCode.Unauthenticated, 'device credentials only work on /api/device');
      throw new AppError(ErrorCode.ApiKeyInvalid, 'expected an API key "efk_…"');
    }
    const token = readCookie(source.headers.cookie, SESSION_COOKIE);
    if (token !== undefined) return this.authenticateSession(token);
    return null;
  }

  private async authenticateApiKey(key: string): Promise<Principal> {
    const row = await this.prisma.db.apiKey.findUnique({ where: { keyHash: sha256(key) } });
    if (!row) throw new AppError(ErrorCode.ApiKeyInvalid, 'unknown API key');
    if (row.revokedAt) throw new AppError(ErrorCode.ApiKeyRevoked, 'this API key has been revoked');
    const now = Date.now();
    if (row.expiresAt && row.expiresAt.getTime() <= now) throw new AppError(ErrorCode.ApiKeyExpired, 'this API key has expired');
    if (!row.lastUsedAt || now - row.lastUsedAt.getTime() > TOUCH_EVERY_MS) {
      // Conditional, so concurrent requests write once.
      await this.prisma.db.apiKey.updateMany({
        where: { id: row.id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: new Date(now - TOUCH_EVERY_MS) } }] },
        data: { lastUsedAt: new Date(now) },
      });
    }
    return {
      kind: 'api_key',
      orgId: row.orgId,
      role: row.role as Role,
      userId: row.createdBy,
      apiKeyId: row.id,
      label: row.name,
      sessionId: null,
      expiresAt: row.expiresAt,
    };
  }

  private async authenticateSession(token: string): Promise<Principal> {
    if (!SESSION_TOKEN_FORMAT.test(token)) throw new AppError(ErrorCode.Unauthenticated, 'malformed session cookie');
    const session = await this.prisma.db.session.findUnique({ where: { tokenHash: sha256(token) }, include: { user: true } });
    if (!session || session.user.disabledAt) throw new AppError(ErrorCode.SessionExpired, 'the session has ended; log in again');
    const now = Date.now();
    if (session.expiresAt.getTime() <= now) {
      await this.prisma.db.session.deleteMany({ where: { id: session.id } });
      throw new AppError(ErrorCode.SessionExpired, 'the session has expired; log in again');
    }
    let expiresAt = session.expiresAt;
    if (now - session.lastSeenAt.getTime() > TOUCH_EVERY_MS) {
      // Sliding expiry, written at most once a minute.
      expiresAt = new Date(now + this.config.auth.sessionTtlS * 1000);
      await this.prisma.db.session.updateMany({ where: { id: session.id }, data: { lastSeenAt: new Date(now), expiresAt } });
    }
    return {
      kind: 'user',
      orgId: session.user.orgId,
      role: session.user.role as Role,
      userId: session.user.id,
      apiKeyId: null,
      label: session.user.email,
      sessionId: session.id,
      expiresAt,
    };
  }

  /**
   * Checks a password; throttled per IP and per account before the (deliberately slow) hash is computed, so
   * guessing is bounded either way. Unknown accounts cost the same time as wrong passwords.
   */
  async login(email: string, password: string, meta: { ip: string | null; userAgent: string | null }) {
    const limit = this.config.auth.rateLimit.login;
    await this.limiter.hit(`login:ip:${meta.ip ?? 'unknown'}`, limit * 5);
    await this.limiter.hit(`login:account:${sha256(email)}`, limit);
    const user = await this.prisma.db.user.findUnique({ where: { email } });
    const ok = await verifyPassword(password, user?.passwordHash ?? (await dummyHash()));
    if (!user || !ok || user.disabledAt) throw new AppError(ErrorCode.InvalidCredentials, 'wrong email or password');
    await this.limiter.reset(`login:account:${sha256(email)}`);
    const token = newSessionToken();
    const expiresAt = new Date(Date.now() + this.config.auth.sessionTtlS * 1000);
    const [session, updated] = await this.prisma.db.$transaction([
      this.prisma.db.session.create({
        data: { userId: user.id, tokenHash: sha256(token), expiresAt, ip: meta.ip, userAgent: meta.userAgent?.slice(0, 500) ?? null },
      }),
      this.prisma.db.user.update({ where: { id: user.id }, data: { lastLoginAt: new Date() } }),
      // Expired sessions are removed when met; this clears the user's others that never came back.
      this.prisma.db.session.deleteMany({ where: { userId: user.id, expiresAt: { lt: new Date() } } }),
    ]);
    const principal: Principal = {
      kind: 'user',
      orgId: updated.orgId,
      role: updated.role as Role,
      userId: updated.id,
      apiKeyId: null,
      label: updated.email,
      sessionId: session.id,
      expiresAt,
    };
    return { token, principal };
  }

  async logout(principal: Principal): Promise<void> {
    if (principal.sessionId) await this.prisma.db.session.deleteMany({ where: { id: principal.sessionId } });
  }

  /** `GET /api/auth/me`. */
  async describe(principal: Principal): Promise<SessionDto> {
    const [org, user] = await Promise.all([
      this.prisma.db.organization.findUniqueOrThrow({ where: { id: principal.orgId }, select: { id: true, name: true } }),
      principal.userId ? this.prisma.db.user.findUnique({ where: { id: principal.userId } }) : null,
    ]);
    return {
      via: principal.kind === 'user' ? 'session' : 'api_key',
      user: user ? mapUser(user) : null,
      org,
      role: principal.role,
      expiresAt: principal.expiresAt?.toISOString() ?? null,
    };
  }

  /** The Set-Cookie value of a session (`Max-Age=0` clears it). */
  sessionCookie(token: string, maxAgeS: number): string {
    const parts = [`${SESSION_COOKIE}=${token}`, 'Path=/', 'HttpOnly', 'SameSite=Strict', `Max-Age=${maxAgeS}`];
    if (this.config.auth.cookieSecure) parts.push('Secure');
    return parts.join('; ');
  }
}
