import { Inject, Injectable } from '@nestjs/common';
import { type ArtifactDto, ErrorCode } from '@edgefleet/contracts';
import type { Artifact, ArtifactFormat, ArtifactKind, Prisma } from '@edgefleet/db';
import { AppError } from '../common/app-error.js';
import { PrismaService } from '../database/prisma.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { type ArtifactStorage, contentKey } from '@edgefleet/platform';
import { ARTIFACT_STORAGE } from '../storage/storage.module.js';
import type { ReceivedFile } from '../uploads/multipart-upload.js';

export function mapArtifact(a: Artifact): ArtifactDto {
  return {
    id: a.id,
    kind: a.kind,
    format: a.format,
    byteSize: Number(a.byteSize),
    sha256: a.sha256,
    downloadUrl: `/api/artifacts/${a.id}/download`,
    createdAt: a.createdAt.toISOString(),
  };
}

/** Blob + row bookkeeping: a blob is stored before its row exists and removed once no row points at it. */
@Injectable()
export class ArtifactsService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly metrics: MetricsService,
    @Inject(ARTIFACT_STORAGE) private readonly storage: ArtifactStorage,
  ) {}

  /** Moves a received file into content-addressed storage; returns what the artifact row needs. */
  async store(file: ReceivedFile, kind: ArtifactKind, format: ArtifactFormat) {
    const storageKey = contentKey(file.sha256);
    await this.storage.putFile(file.tempPath, storageKey);
    this.metrics.uploadedBytes.inc({ kind }, file.byteSize);
    return { kind, format, storageKey, byteSize: BigInt(file.byteSize), sha256: file.sha256 };
  }

  /**
   * Deletes blobs that no artifact row references any more. Called after rows are deleted, or after a
   * transaction that would have created the first reference failed.
   */
  async releaseBlobs(storageKeys: Iterable<string>): Promise<void> {
    for (const key of new Set(storageKeys)) {
      const stillUsed = await this.prisma.db.artifact.count({ where: { storageKey: key } });
      if (stillUsed === 0) await this.storage.delete(key);
    }
  }

  async get(id: string, orgId: string): Promise<Artifact> {
    const artifact = await this.prisma.db.artifact.findFirst({ where: { id, orgId } });
    if (!artifact) throw new AppError(ErrorCode.ArtifactNotFound, `artifact ${id} not found`);
    return artifact;
  }

  read(artifact: Artifact, range?: { start: number; end: number }) {
    return this.storage.read(artifact.storageKey, range);
  }

  /** The artifact rows a delete of these where-clauses would orphan, collected before deletion. */
  async keysOf(where: Prisma.ArtifactWhereInput): Promise<string[]> {
    const rows = await this.prisma.db.artifact.findMany({ where, select: { storageKey: true } });
    return rows.map((r) => r.storageKey);
  }
}
