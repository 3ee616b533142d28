export { createPrismaClient, type PrismaClientOptions } from './prisma-client.js';
export { PrismaErrorCode, isPrismaError } from './prisma-errors.js';
export { DEFAULT_ORG_ID } from './seed-ids.js';
export { Prisma, PrismaClient } from '@prisma/client';
export type {
  Artifact,
  ArtifactFormat,
  ArtifactKind,
  Dataset,
  DatasetPurpose,
  HardwareProfile,
  Model,
  ModelVersion,
  Organization,
  User,
  Session,
  ApiKey,
  AuditLog,
  Role as DbRole,
  VersionStatus,
} from '@prisma/client';
export { builtinProfileRow, type ProfileSpec } from './profile-rows.js';
