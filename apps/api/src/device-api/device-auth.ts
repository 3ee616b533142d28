import { createParamDecorator, type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { ErrorCode } from '@edgefleet/contracts';
import { AppError } from '../common/app-error.js';
import { PrismaService } from '../database/prisma.service.js';
import { secretMatches } from '../devices/device-secrets.js';

/** The device a request or socket authenticated as. */
export interface AuthenticatedDevice {
  id: string;
  orgId: string;
}

const CREDENTIAL = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.(eds_[A-Za-z0-9_-]{1,128})$/i;

/** Checks `<deviceId>.<secret>` credentials: the secret's sha256 against the stored one, in constant time. */
@Injectable()
export class DeviceAuthService {
  constructor(private readonly prisma: PrismaService) {}

  async authenticate(credential: unknown): Promise<AuthenticatedDevice> {
    const m = typeof credential === 'string' ? CREDENTIAL.exec(credential) : null;
    if (!m) throw new AppError(ErrorCode.DeviceUnauthorized, 'expected device credentials "<deviceId>.<secret>"');
    const id = m[1]!.toLowerCase();
    const device = await this.prisma.db.device.findUnique({ where: { id }, select: { id: true, orgId: true, secretHash: true, revokedAt: true } });
    // Unknown device and wrong secret answer alike.
    if (!device || !secretMatches(m[2]!, device.secretHash)) throw new AppError(ErrorCode.DeviceUnauthorized, 'unknown device or wrong secret');
    if (device.revokedAt) throw new AppError(ErrorCode.DeviceRevoked, 'this device has been revoked');
    return { id: device.id, orgId: device.orgId };
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
