import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { DesiredState, EnrollRequest, EnrollResponse, FeedbackBatch, HeartbeatRequest, HeartbeatResponse, TelemetryBatch } from '@edgefleet/contracts';
import { ErrorCode } from '@edgefleet/contracts';
import { Prisma } from '@edgefleet/db';
import { SigningKey } from '@edgefleet/platform';
import { AppError } from '../common/app-error.js';
import type { Parsed } from '../common/zod.js';
import { PrismaService } from '../database/prisma.service.js';
import { DesiredNotifier } from '../devices/desired-notifier.service.js';
import { DesiredStateService } from '../devices/desired-state.service.js';
import { DEVICE_SECRET_PREFIX, hashSecret, newSecret } from '../devices/device-secrets.js';
import { matchProfile } from '../devices/profile-match.js';
import { SIGNING_KEY } from '../signing/signing.module.js';
import type { AuthenticatedDevice } from './device-auth.js';

const LONG_POLL_SLICE_MS = 60_000;

/**
 * The history rows a heartbeat adds, from `old` (the row before) and `upd` (after): the running version changed;
 * health went degraded/failing or its error changed (the error's `at` is restamped on every report, so it is
 * compared without it); health came back to ok. A device's first heartbeat (no health yet) that is ok adds nothing.
 */
const HEARTBEAT_EVENTS = (deviceId: string, now: Date) => Prisma.sql`
  INSERT INTO device_events (org_id, device_id, at, kind, actor, version_id, from_version_id, message, data)
  SELECT old.org_id, ${deviceId}::uuid, ${now}::timestamptz, 'running.changed', 'device', (upd.running->>'versionId')::uuid, (old.running->>'versionId')::uuid, NULL,
    jsonb_build_object('variantId', upd.running->>'variantId')
  FROM old, upd WHERE (upd.running->>'versionId') IS DISTINCT FROM (old.running->>'versionId')
  UNION ALL
  SELECT old.org_id, ${deviceId}::uuid, ${now}::timestamptz, 'error.reported', 'device', (upd.last_error->>'versionId')::uuid, NULL, upd.last_error->>'message',
    jsonb_build_object('health', upd.health, 'code', upd.last_error->>'code')
  FROM old, upd WHERE upd.health <> 'ok'
    AND (old.health IS DISTINCT FROM upd.health
      OR (old.last_error->>'code', old.last_error->>'message', old.last_error->>'versionId')
        IS DISTINCT FROM (upd.last_error->>'code', upd.last_error->>'message', upd.last_error->>'versionId'))
  UNION ALL
  SELECT old.org_id, ${deviceId}::uuid, ${now}::timestamptz, 'recovered', 'device', NULL, NULL, NULL, jsonb_build_object('from', old.health)
  FROM old, upd WHERE upd.health = 'ok' AND old.health <> 'ok'`;

@Injectable()
export class DeviceApiService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly desired: DesiredStateService,
    private readonly notifier: DesiredNotifier,
    @Inject(SIGNING_KEY) private readonly signingKey: SigningKey,
  ) {}

  /**
   * Spends one use of the token and creates the device with its first history row in one statement: the use is
   * counted by a conditional UPDATE (not revoked, not expired, uses < maxUses), so concurrent enrollments cannot
   * overrun it, and a refused one leaves nothing behind.
   */
  async enroll(req: Parsed<typeof EnrollRequest>): Promise<EnrollResponse> {
    const tokenHash = hashSecret(req.token);
    const deviceId = randomUUID();
    const secret = newSecret(DEVICE_SECRET_PREFIX);
    const now = new Date();
    // The token's organisation decides the profile, read without a lock first; a fleet enrolling with one token then
    // queues on its row only for the one statement below, not for a whole multi-statement transaction.
    const found = await this.prisma.db.enrollmentToken.findUnique({ where: { tokenHash }, select: { orgId: true } });
    if (!found) throw whyRejected(null);
    const profiles = await this.prisma.db.hardwareProfile.findMany({ where: { orgId: found.orgId }, select: { id: true, slug: true, precisions: true }, orderBy: [{ builtin: 'desc' }, { slug: 'asc' }] });
    const profile = matchProfile(req.facts, profiles);
    // Spending a use, creating the device and its first history row are one statement: all or nothing, and the
    // conditional UPDATE keeps concurrent enrollments from overrunning maxUses.
    const spent = await this.prisma.db.$queryRaw<{ id: string }[]>(Prisma.sql`
      WITH t AS (
        UPDATE enrollment_tokens SET uses = uses + 1
        WHERE token_hash = ${tokenHash} AND org_id = ${found.orgId}::uuid AND revoked_at IS NULL
          AND (expires_at IS NULL OR expires_at > now()) AND (max_uses IS NULL OR uses < max_uses)
        RETURNING id, name, org_id, "group", tags
      ), d AS (
        INSERT INTO devices (id, org_id, name, "group", tags, profile_id, facts, secret_hash, created_at, updated_at)
        SELECT ${deviceId}::uuid, t.org_id, ${req.name ?? `device-${deviceId.slice(0, 8)}`}, t."group", t.tags, ${profile?.id ?? null}::uuid,
          ${JSON.stringify(req.facts)}::jsonb, ${hashSecret(secret)}, ${now}, ${now}
        FROM t RETURNING id
      ), e AS (
        INSERT INTO device_events (org_id, device_id, at, kind, actor, data)
        SELECT t.org_id, d.id, ${now}::timestamptz, 'enrolled', 'device',
          jsonb_build_object('tokenId', t.id, 'tokenName', t.name, 'profile', ${profile?.slug ?? null}::text)
        FROM t, d
      )
      SELECT d.id::text AS id FROM d`);
    if (spent.length === 0) throw whyRejected(await this.prisma.db.enrollmentToken.findUnique({ where: { tokenHash } }));
    return { v: 1, deviceId, secret, platformKey: this.signingKey.describe() };
  }


  /**
   * The desired state, or null when it still matches `knownEtag` (→ 304). With `waitS`, holds on until it
   * changes or the wait is over; `signal` ends the wait early when the client goes away.
   */
  async desiredState(device: AuthenticatedDevice, knownEtag: string | null, waitS: number, signal?: AbortSignal): Promise<DesiredState | null> {
    const deadline = Date.now() + waitS * 1000;
    for (;;) {
      // Listening before reading: a change committed while the state is read wakes the wait instead of being missed.
      const watch = this.notifier.watch(device.id);
      try {
        const state = await this.desired.forDevice(device.id);
        if (state.etag !== knownEtag) return state;
        const left = deadline - Date.now();
        if (left <= 0 || signal?.aborted || this.notifier.draining) return null;
        await watch.wait(Math.min(left, LONG_POLL_SLICE_MS), signal);
      } finally {
        watch.close();
      }
    }
  }

  /** The variant's artifact, if it is the one this device is meant to run now. */
  async assignedArtifact(device: AuthenticatedDevice, variantId: string) {
    const state = await this.desired.forDevice(device.id);
    if (state.assignment?.variant.id !== variantId) throw new AppError(ErrorCode.DeviceForbidden, `variant ${variantId} is not assigned to this device`);
    const variant = await this.prisma.db.variant.findUniqueOrThrow({
      where: { id: variantId },
      include: { artifact: true, profile: { select: { slug: true } }, version: { select: { number: true, model: { select: { name: true } } } } },
    });
    return { artifact: variant.artifact, fileName: `${variant.version.model.name}-v${variant.version.number}-${variant.profile.slug}-${variant.recipeId}.onnx` };
  }

  /**
   * One statement: every agent heartbeats, so this is the hottest write of the platform. It also appends to the
   * device's history what changed (see HEARTBEAT_EVENTS), so a steady heartbeat writes nothing but the device row.
   */
  async heartbeat(device: AuthenticatedDevice, req: Parsed<typeof HeartbeatRequest>): Promise<HeartbeatResponse> {
    const now = new Date();
    // running: undefined leaves it, null clears it; lastError: a healthy heartbeat (or error: null) clears it, one
    // without `error` leaves the stored one.
    const setRunning = req.running !== undefined;
    const clearError = req.health === 'ok' || req.error === null;
    const error = !clearError && req.error ? JSON.stringify({ ...req.error, at: now.toISOString() }) : null;
    // `old` locks the row, so concurrent heartbeats of one device compare against each other's result, not both
    // against the same old row. All CTEs share one snapshot: the new values come only from `upd`'s RETURNING.
    await this.prisma.db.$executeRaw(Prisma.sql`
      WITH old AS (
        SELECT org_id, running, health, last_error FROM devices WHERE id = ${device.id}::uuid FOR UPDATE
      ), upd AS (
        UPDATE devices d SET last_seen_at = ${now}, health = ${req.health}, updated_at = ${now},
          running = CASE WHEN ${setRunning}::boolean THEN ${req.running ? JSON.stringify(req.running) : null}::jsonb ELSE d.running END,
          last_error = CASE WHEN ${clearError}::boolean THEN NULL WHEN ${error}::jsonb IS NOT NULL THEN ${error}::jsonb ELSE d.last_error END
        FROM old WHERE d.id = ${device.id}::uuid
        RETURNING d.running, d.health, d.last_error
      )
      ${HEARTBEAT_EVENTS(device.id, now)}`);
    return { v: 1, desiredEtag: (await this.desired.forDevice(device.id)).etag };
  }

  /** Adds each minute bucket to what is stored for (device, version, minute), all or nothing. */
  async telemetry(device: AuthenticatedDevice, req: Parsed<typeof TelemetryBatch>): Promise<{ accepted: number }> {
    await this.assertVersions(device, req.buckets.map((b) => b.versionId));
    await this.prisma.db.$transaction(
      req.buckets.map((b) =>
        this.prisma.db.$executeRaw(Prisma.sql`
          INSERT INTO telemetry_buckets AS t (device_id, version_id, bucket, count, errors, histogram)
          VALUES (${device.id}::uuid, ${b.versionId}::uuid, ${new Date(b.bucketStart)}, ${b.count}, ${b.errors}, ${b.histogram}::int[])
          ON CONFLICT (device_id, version_id, bucket) DO UPDATE SET
            count = t.count + EXCLUDED.count,
            errors = t.errors + EXCLUDED.errors,
            histogram = ARRAY(SELECT coalesce(x, 0) + coalesce(y, 0) FROM unnest(t.histogram, EXCLUDED.histogram) WITH ORDINALITY AS u(x, y, i) ORDER BY i)`),
      ),
    );
    return { accepted: req.buckets.length };
  }

  async feedback(device: AuthenticatedDevice, req: Parsed<typeof FeedbackBatch>): Promise<{ accepted: number }> {
    await this.assertVersions(device, req.items.map((f) => f.versionId));
    const now = new Date();
    const { count } = await this.prisma.db.feedback.createMany({
      data: req.items.map((f) => ({ deviceId: device.id, versionId: f.versionId, predictionId: f.predictionId, predicted: f.predicted, label: f.label, at: f.at ? new Date(f.at) : now })),
    });
    return { accepted: count };
  }

  /** Reports must name versions of the device's organization. */
  private async assertVersions(device: AuthenticatedDevice, ids: string[]) {
    const unique = [...new Set(ids.map((i) => i.toLowerCase()))];
    const found = await this.prisma.db.modelVersion.count({ where: { id: { in: unique }, model: { orgId: device.orgId } } });
    if (found !== unique.length) throw new AppError(ErrorCode.VersionNotFound, 'the batch names an unknown model version');
  }
}

/** Why a token that spent no use was refused (null: no such token). */
function whyRejected(t: { revokedAt: Date | null; expiresAt: Date | null } | null): AppError {
  if (!t) return new AppError(ErrorCode.EnrollmentTokenInvalid, 'unknown enrollment token');
  if (t.revokedAt) return new AppError(ErrorCode.EnrollmentTokenRevoked, 'the enrollment token has been revoked');
  if (t.expiresAt && t.expiresAt.getTime() <= Date.now()) return new AppError(ErrorCode.EnrollmentTokenExpired, 'the enrollment token has expired');
  return new AppError(ErrorCode.EnrollmentTokenExhausted, 'the enrollment token has no uses left');
}
