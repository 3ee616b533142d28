import { createParamDecorator, type CanActivate, type ExecutionContext, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { ErrorCode } from '@edgefleet/contracts';
import { AppError } from '../common/app-error.js';
import { PrismaService } from '../database/prisma.service.js';
import { DesiredNotifier } from '../devices/desired-notifier.service.js';
import { secretMatches } from '../devices/device-secrets.js';

/** The device a request or socket authenticated as. */
export interface AuthenticatedDevice {
  id: string;
  orgId: string;
}

const CREDENTIAL = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.(eds_[A-Za-z0-9_-]{1,128})$/i;

/** How long a checked credential is trusted without asking the database again (revocations elsewhere wait this long). */
const CREDENTIAL_CACHE_MS = 5_000;
const CREDENTIAL_CACHE_MAX = 100_000;

interface DeviceRow {
  id: string;
  org_id: string;
  secret_hash: string;
  revoked_at: Date | null;
}

/**
 * Checks `<deviceId>.<secret>` credentials: the secret's sha256 against the stored one, in constant time. Every agent
 * call passes here, so the device row is read with one raw query and kept for a few seconds. A revocation announces
 * the device on the desired-state channel (every API instance hears it), which drops the cached row at once;
 * CREDENTIAL_CACHE_MS bounds the staleness should that message be lost.
 */
@Injectable()
export class DeviceAuthService implements OnModuleDestroy {
  private readonly cache = new Map<string, { row: DeviceRow | null; until: number }>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly prisma: PrismaService,
    notifier: DesiredNotifier,
  ) {
    this.unsubscribe = notifier.onChange((deviceId) => this.forget(deviceId));
  }

  onModuleDestroy() {
    this.unsubscribe();
  }

  async authenticate(credential: unknown): Promise<AuthenticatedDevice> {
    const m = typeof credential === 'string' ? CREDENTIAL.exec(credential) : null;
    if (!m) throw new AppError(ErrorCode.DeviceUnauthorized, 'expected device credentials "<deviceId>.<secret>"');
    const device = await this.row(m[1]!.toLowerCase());
    // Unknown device and wrong secret answer alike.
    if (!device || !secretMatches(m[2]!, device.secret_hash)) throw new AppError(ErrorCode.DeviceUnauthorized, 'unknown device or wrong secret');
    if (device.revoked_at) throw new AppError(ErrorCode.DeviceRevoked, 'this device has been revoked');
    return { id: device.id, orgId: device.org_id };
  }

  /** Drops what is cached about a device (after a revocation or a deletion). */
  forget(deviceId: string) {
    this.cache.delete(deviceId.toLowerCase());
  }

  private async row(id: string): Promise<DeviceRow | null> {
    const now = Date.now();
    const hit = this.cache.get(id);
    if (hit && hit.until > now) return hit.row;
    const [row] = await this.prisma.db.$queryRawUnsafe<DeviceRow[]>('SELECT id::text, org_id::text, secret_hash, revoked_at FROM devices WHERE id = $1::uuid', id);
    if (this.cache.size >= CREDENTIAL_CACHE_MAX) this.cache.clear();
    this.cache.set(id, { row: row ?? null, until: now + CREDENTIAL_CACHE_MS });
    return row ?? null;
  }
}

interface DeviceRequest {
  headers: Record<string, string | string[] | undefined>;
  device?: AuthenticatedDevice;
}

/** `Authorization: Bearer <deviceId>.<secret>`; attaches the device to the request (read it with `@CurrentDevice()`). */
@Injectable()
export class DeviceAuthGuard implements CanActivate {
  constructor(private readonly auth: DeviceAuthService) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<DeviceRequest>();
    const header = req.headers.authorization;
    const token = typeof header === 'string' && /^Bearer /i.test(header) ? header.slice(7).trim() : undefined;
    req.device = await this.auth.authenticate(token);
    return true;
  }
}

export const CurrentDevice = createParamDecorator((_: unknown, ctx: ExecutionContext): AuthenticatedDevice => {
  const device = ctx.switchToHttp().getRequest<DeviceRequest>().device;
  if (!device) throw new AppError(ErrorCode.DeviceUnauthorized, 'no device on this request');
  return device;
});
