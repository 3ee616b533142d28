import { Injectable } from '@nestjs/common';
import {
  type CreateUserRequest,
  ErrorCode,
  type Page,
  type PaginationQuery,
  type UpdateUserRequest,
  type UserDto,
} from '@edgefleet/contracts';
import { isPrismaError, PrismaErrorCode } from '@edgefleet/db';
import { AppError } from '../common/app-error.js';
import { PrismaService } from '../database/prisma.service.js';
import { mapUser } from './auth.mapper.js';
import { hashPassword } from './passwords.js';

@Injectable()
export class UsersService {
  constructor(private readonly prisma: PrismaService) {}

  async list(orgId: string, q: PaginationQuery): Promise<Page<UserDto>> {
    const [rows, total] = await Promise.all([
      this.prisma.db.user.findMany({ where: { orgId }, orderBy: { createdAt: 'asc' }, take: q.limit, skip: q.offset }),
      this.prisma.db.user.count({ where: { orgId } }),
    ]);
    return { items: rows.map(mapUser), total, limit: q.limit, offset: q.offset };
  }

  async get(orgId: string, id: string): Promise<UserDto> {
    return mapUser(await this.find(orgId, id));
  }

  async create(orgId: string, body: CreateUserRequest): Promise<UserDto> {
    try {
      const user = await this.prisma.db.user.create({
        data: { orgId, email: body.email, name: body.name ?? null, role: body.role, passwordHash: await hashPassword(body.password) },
      });
      return mapUser(user);
    } catch (err) {
      if (isPrismaError(err, PrismaErrorCode.UniqueViolation))
        throw new AppError(ErrorCode.UserEmailTaken, `${body.email} already has an account`);
      throw err;
    }
  }

  /** A new password, a disabled account or a changed role ends the user's sessions. */
  async update(orgId: string, id: string, body: UpdateUserRequest): Promise<UserDto> {
    const user = await this.find(orgId, id);
    const demoted = (body.role !== undefined && body.role !== 'admin') || body.disabled === true;
    if (user.role === 'admin' && demoted) await this.assertNotLastAdmin(orgId, id);
    const updated = await this.prisma.db.$transaction(async (tx) => {
      const row = await tx.user.update({
        where: { id: user.id },
        data: {
          ...(body.name !== undefined && { name: body.name }),
          ...(body.role !== undefined && { role: body.role }),
          ...(body.password !== undefined && { passwordHash: await hashPassword(body.password) }),
          ...(body.disabled !== undefined && { disabledAt: body.disabled ? (user.disabledAt ?? new Date()) : null }),
        },
      });
      if (body.password !== undefined || body.disabled === true || (body.role !== undefined && body.role !== user.role)) {
        await tx.session.deleteMany({ where: { userId: user.id } });
      }
      return row;
    });
    return mapUser(updated);
  }

  async remove(orgId: string, id: string): Promise<void> {
    const user = await this.find(orgId, id);
    if (user.role === 'admin') await this.assertNotLastAdmin(orgId, id);
    await this.prisma.db.user.delete({ where: { id: user.id } });
  }

  private async find(orgId: string, id: string) {
    const user = await this.prisma.db.user.findFirst({ where: { id, orgId } });
    if (!user) throw new AppError(ErrorCode.UserNotFound, `no user ${id}`);
    return user;
  }

  private async assertNotLastAdmin(orgId: string, id: string) {
    const others = await this.prisma.db.user.count({ where: { orgId, role: 'admin', disabledAt: null, id: { not: id } } });
    if (others === 0) throw new AppError(ErrorCode.UserLastAdmin, 'the organisation would be left without an admin');
  }
}
