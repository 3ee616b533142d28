import { Injectable } from '@nestjs/common';
import {
  type DeviceStatsDto,
  DeviceTelemetryQuery,
  type DeviceTelemetryDto,
  ErrorCode,
  HISTOGRAM_SIZE,
  type TelemetryPointDto,
  TelemetryQuery,
  type VersionTelemetryDto,
} from '@edgefleet/contracts';
import { Prisma } from '@edgefleet/db';
import { AppError } from '../common/app-error.js';
import type { Parsed } from '../common/zod.js';
import { PrismaService } from '../database/prisma.service.js';
import { versionWhere } from '../versions/version-ref.js';
import { histogramQuantile, parseDurationS } from './telemetry-math.js';

const MAX_POINTS = 1440;
const STATS_WINDOW_S = 3600;

interface Acc {
  count: number;
  errors: number;
  histogram: number[];
  labelled: number;
  correct: number;
}
const emptyAcc = (): Acc => ({ count: 0, errors: 0, histogram: new Array<number>(HISTOGRAM_SIZE).fill(0), labelled: 0, correct: 0 });

function toPoint(a: Acc): Omit<TelemetryPointDto, 'start'> {
  return {
    count: a.count,
    errors: a.errors,
    errorRate: a.count ? a.errors / a.count : null,
    p50Ms: histogramQuantile(0.5, a.histogram),
    p95Ms: histogramQuantile(0.95, a.histogram),
    labelled: a.labelled,
    accuracy: a.labelled ? a.correct / a.labelled : null,
  };
}

type Series = Pick<VersionTelemetryDto, 'from' | 'to' | 'bucketS' | 'points' | 'totals'>;

/** Telemetry of a version fleet-wide or of one device: the minute buckets and feedback, merged into coarser buckets. */
@Injectable()
export class TelemetryService {
  constructor(private readonly prisma: PrismaService) {}

  async forVersion(orgId: string, modelId: string, ref: string, q: Parsed<typeof TelemetryQuery>): Promise<VersionTelemetryDto> {
    const [windowS, bucketS] = checkRange(q);
    const model = await this.prisma.db.model.count({ where: { id: modelId, orgId } });
    if (!model) throw new AppError(ErrorCode.ModelNotFound, `model ${modelId} not found`);
    const version = await this.prisma.db.modelVersion.findFirst({ where: versionWhere(modelId, ref), select: { id: true }, orderBy: { number: 'desc' } });
    if (!version) throw new AppError(ErrorCode.VersionNotFound, `version ${ref} of model ${modelId} not found`);
    const series = await this.series(Prisma.sql`version_id = ${version.id}::uuid`, windowS, bucketS);
    return { modelId, versionId: version.id, ...series };
  }

  /** One device across the versions it ran, or only `versionId`. */
  async forDevice(orgId: string, deviceId: string, q: Parsed<typeof DeviceTelemetryQuery>): Promise<DeviceTelemetryDto> {
    const [windowS, bucketS] = checkRange(q);
    // The raw queries below are not tenant-scoped: the device must be the org's first.
    const device = await this.prisma.db.device.count({ where: { id: deviceId, orgId } });
    if (!device) throw new AppError(ErrorCode.DeviceNotFound, `device ${deviceId} not found`);
    const versionId = q.versionId?.toLowerCase() ?? null;
    const where = versionId ? Prisma.sql`device_id = ${deviceId}::uuid AND version_id = ${versionId}::uuid` : Prisma.sql`device_id = ${deviceId}::uuid`;
    return { deviceId, versionId, ...(await this.series(where, windowS, bucketS)) };
  }

  /**
   * Last-hour figures of many devices in one grouped query (the fleet table's page). The ids must already be the
   * caller org's (the query is raw SQL, not tenant-scoped); devices without telemetry in the hour map to null.
   */
  async statsFor(deviceIds: readonly string[]): Promise<Map<string, DeviceStatsDto>> {
    const out = new Map<string, DeviceStatsDto>();
    if (deviceIds.length === 0) return out;
    const from = new Date(Date.now() - STATS_WINDOW_S * 1000);
    const rows = await this.prisma.db.$queryRaw<{ device_id: string; count: bigint; errors: bigint; histogram: bigint[] | null }[]>(Prisma.sql`
      SELECT t.device_id::text AS device_id, sum(t.count)::bigint AS count, sum(t.errors)::bigint AS errors,
        (SELECT array_agg(x.n ORDER BY x.i) FROM (
           SELECT h.i, sum(h.n)::bigint AS n FROM telemetry_buckets t2, unnest(t2.histogram) WITH ORDINALITY AS h(n, i)
           WHERE t2.device_id = t.device_id AND t2.bucket >= ${from} GROUP BY h.i) x) AS histogram
      FROM telemetry_buckets t
      WHERE t.device_id = ANY(${[...deviceIds]}::uuid[]) AND t.bucket >= ${from}
      GROUP BY t.device_id`);
    for (const r of rows) {
      const histogram = new Array<number>(HISTOGRAM_SIZE).fill(0);
      (r.histogram ?? []).slice(0, HISTOGRAM_SIZE).forEach((n, i) => (histogram[i] = Number(n)));
      const count = Number(r.count);
      out.set(r.device_id, { window: '1h', requests: count, errorRate: count ? Number(r.errors) / count : null, p95Ms: histogramQuantile(0.95, histogram) });
    }
    return out;
  }

  private async series(where: Prisma.Sql, windowS: number, bucketS: number): Promise<Series> {
    const bucketMs = bucketS * 1000;
    const now = Date.now();
    const firstSlot = Math.floor((now - windowS * 1000) / bucketMs) + 1;
    const lastSlot = Math.floor(now / bucketMs);
    const from = new Date(firstSlot * bucketMs);

    // Sums per slot in SQL (a fleet has many devices per minute); the histogram element-wise via unnest.
    const [counts, hist, feedback] = await Promise.all([
      this.prisma.db.$queryRaw<{ slot: bigint; count: bigint; errors: bigint }[]>(Prisma.sql`
        SELECT floor(extract(epoch FROM bucket) / ${bucketS})::bigint AS slot, sum(count)::bigint AS count, sum(errors)::bigint AS errors
        FROM telemetry_buckets WHERE ${where} AND bucket >= ${from} GROUP BY 1`),
      this.prisma.db.$queryRaw<{ slot: bigint; i: bigint; n: bigint }[]>(Prisma.sql`
        SELECT floor(extract(epoch FROM t.bucket) / ${bucketS})::bigint AS slot, h.i, sum(h.n)::bigint AS n
        FROM (SELECT bucket, histogram FROM telemetry_buckets WHERE ${where} AND bucket >= ${from}) t, unnest(t.histogram) WITH ORDINALITY AS h(n, i)
        GROUP BY 1, 2`),
      this.prisma.db.$queryRaw<{ slot: bigint; labelled: bigint; correct: bigint }[]>(Prisma.sql`
        SELECT floor(extract(epoch FROM at) / ${bucketS})::bigint AS slot, count(*)::bigint AS labelled, count(*) FILTER (WHERE predicted = label)::bigint AS correct
        FROM feedback WHERE ${where} AND at >= ${from} GROUP BY 1`),
    ]);

    const slots = new Map<number, Acc>();
    for (let s = firstSlot; s <= lastSlot; s++) slots.set(s, emptyAcc());
    const at = (slot: bigint) => slots.get(Number(slot));
    for (const r of counts) {
      const a = at(r.slot);
      if (a) Object.assign(a, { count: Number(r.count), errors: Number(r.errors) });
    }
    for (const r of hist) {
      const a = at(r.slot);
      const i = Number(r.i) - 1;
      if (a && i >= 0 && i < HISTOGRAM_SIZE) a.histogram[i]! += Number(r.n);
    }
    for (const r of feedback) {
      const a = at(r.slot);
      if (a) Object.assign(a, { labelled: Number(r.labelled), correct: Number(r.correct) });
    }

    const total = emptyAcc();
    const points: TelemetryPointDto[] = [];
    for (const [slot, a] of slots) {
      points.push({ start: new Date(slot * bucketMs).toISOString(), ...toPoint(a) });
      total.count += a.count;
      total.errors += a.errors;
      total.labelled += a.labelled;
      total.correct += a.correct;
      a.histogram.forEach((n, i) => (total.histogram[i]! += n));
    }
    return { from: from.toISOString(), to: new Date(now).toISOString(), bucketS, points, totals: toPoint(total) };
  }
}

/** [windowS, bucketS], or a validation error for a bucket that is not whole minutes or too many points. */
function checkRange(q: { window: string; bucket: string }): [number, number] {
  const windowS = parseDurationS(q.window);
  const bucketS = parseDurationS(q.bucket);
  if (bucketS < 60 || bucketS % 60 !== 0) throw new AppError(ErrorCode.ValidationFailed, 'bucket must be a whole number of minutes');
  if (windowS / bucketS > MAX_POINTS) throw new AppError(ErrorCode.ValidationFailed, `window/bucket must not exceed ${MAX_POINTS} points`);
  return [windowS, bucketS];
}
