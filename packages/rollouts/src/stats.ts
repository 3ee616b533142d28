import { HISTOGRAM_SIZE } from '@edgefleet/contracts';
import { Prisma } from '@edgefleet/db';
import { type AccuracyStats, emptyRequests, type HealthStats, type RequestStats, type ShadowStats, type WaveStats } from './gates.js';
import type { DeviceTransition, Tx } from './store.js';

/** How far back before a wave started the replaced version's figures are taken from. */
export const BASELINE_WINDOW_MS = 60 * 60 * 1000;

/** A device heard from within this is online: the health gate waits for it to report running the candidate. */
export const ONLINE_WITHIN_MS = 2 * 60 * 1000;

interface WaveRef {
  rolloutId: string;
  candidateVersionId: string;
  wave: number;
  startedAt: Date;
}

const minuteOf = (d: Date) => new Date(Math.floor(d.getTime() / 60_000) * 60_000);

async function requestStats(tx: Tx, from: Prisma.Sql, where: Prisma.Sql): Promise<RequestStats> {
  const totals = await tx.$queryRaw<{ count: bigint | null; errors: bigint | null }[]>(
    Prisma.sql`SELECT sum(t.count)::bigint AS count, sum(t.errors)::bigint AS errors FROM ${from} WHERE ${where}`,
  );
  const count = Number(totals[0]?.count ?? 0);
  const stats = emptyRequests();
  if (count === 0) return stats;
  stats.count = count;
  stats.errors = Number(totals[0]?.errors ?? 0);
  const bins = await tx.$queryRaw<{ i: number; n: bigint }[]>(
    Prisma.sql`SELECT u.i::int AS i, sum(u.h)::bigint AS n FROM ${from} CROSS JOIN LATERAL unnest(t.histogram) WITH ORDINALITY AS u(h, i) WHERE ${where} GROUP BY u.i`,
  );
  for (const b of bins) if (b.i >= 1 && b.i <= HISTOGRAM_SIZE) stats.histogram[b.i - 1] = Number(b.n);
  return stats;
}

async function accuracyStats(tx: Tx, from: Prisma.Sql, where: Prisma.Sql): Promise<AccuracyStats> {
  const rows = await tx.$queryRaw<{ labelled: bigint; correct: bigint | null }[]>(
    Prisma.sql`SELECT count(*)::bigint AS labelled, sum(CASE WHEN f.predicted = f.label THEN 1 ELSE 0 END)::bigint AS correct FROM ${from} WHERE ${where}`,
  );
  return { labelled: Number(rows[0]?.labelled ?? 0), correct: Number(rows[0]?.correct ?? 0) };
}

const waveDevices = (w: WaveRef, alias: string) =>
  Prisma.sql`JOIN rollout_devices rd ON rd.device_id = ${Prisma.raw(alias)}.device_id AND rd.rollout_id = ${w.rolloutId}::uuid AND rd.wave = ${w.wave}`;

/** The candidate's telemetry on the wave's devices since the wave started (from the start of that minute). */
export function candidateRequests(tx: Tx, w: WaveRef): Promise<RequestStats> {
  return requestStats(
    tx,
    Prisma.sql`telemetry_buckets t ${waveDevices(w, 't')}`,
    Prisma.sql`t.version_id = ${w.candidateVersionId}::uuid AND t.bucket >= ${minuteOf(w.startedAt)}`,
  );
}

/**
 * The replaced versions' telemetry: each wave device's own previous version over the hour before the wave
 * started; when those devices reported nothing, the whole fleet's figures for those versions over the same hour;
 * null when there is none either (or the devices had no version before).
 */
export async function baselineRequests(tx: Tx, w: WaveRef): Promise<RequestStats | null> {
  const since = new Date(w.startedAt.getTime() - BASELINE_WINDOW_MS);
  const own = await requestStats(
    tx,
    Prisma.sql`telemetry_buckets t ${waveDevices(w, 't')}`,
    Prisma.sql`t.version_id = rd.previous_version_id AND t.bucket >= ${since} AND t.bucket < ${w.startedAt}`,
  );
  if (own.count > 0) return own;
  const versions = await previousVersions(tx, w);
  if (versions.length === 0) return null;
  const fleet = await requestStats(
    tx,
    Prisma.sql`telemetry_buckets t`,
    Prisma.sql`t.version_id = ANY(${versions}::uuid[]) AND t.bucket >= ${since} AND t.bucket < ${w.startedAt}`,
  );
  return fleet.count > 0 ? fleet : null;
}

export function candidateAccuracy(tx: Tx, w: WaveRef): Promise<AccuracyStats> {
  return accuracyStats(
    tx,
    Prisma.sql`feedback f ${waveDevices(w, 'f')}`,
    Prisma.sql`f.version_id = ${w.candidateVersionId}::uuid AND f.at >= ${w.startedAt}`,
  );
}

/** Feedback on the replaced versions: the wave devices' own over the hour before the wave, else the fleet's; null when none. */
export async function baselineAccuracy(tx: Tx, w: WaveRef): Promise<AccuracyStats | null> {
  const since = new Date(w.startedAt.getTime() - BASELINE_WINDOW_MS);
  const own = await accuracyStats(
    tx,
    Prisma.sql`feedback f ${waveDevices(w, 'f')}`,
    Prisma.sql`f.version_id = rd.previous_version_id AND f.at >= ${since} AND f.at < ${w.startedAt}`,
  );
  if (own.labelled > 0) return own;
  const versions = await previousVersions(tx, w);
  if (versions.length === 0) return null;
  const fleet = await accuracyStats(
    tx,
    Prisma.sql`feedback f`,
    Prisma.sql`f.version_id = ANY(${versions}::uuid[]) AND f.at >= ${since} AND f.at < ${w.startedAt}`,
  );
  return fleet.labelled > 0 ? fleet : null;
}

/**
 * The versions the wave's devices replaced (or, still in shadow, serve): from the RolloutDevice once switched,
 * from the current assignment before.
 */
async function previousVersions(tx: Tx, w: WaveRef): Promise<string[]> {
  const rows = await tx.$queryRaw<{ v: string }[]>(Prisma.sql`
    SELECT DISTINCT coalesce(rd.previous_version_id, a.version_id)::text AS v
    FROM rollout_devices rd LEFT JOIN device_assignments a ON a.device_id = rd.device_id AND a.version_id <> ${w.candidateVersionId}::uuid
    WHERE rd.rollout_id = ${w.rolloutId}::uuid AND rd.wave = ${w.wave} AND coalesce(rd.previous_version_id, a.version_id) IS NOT NULL`);
  return rows.map((r) => r.v);
}

/** Shadow comparisons of the candidate on the wave's devices since the wave started. */
export async function shadowStats(tx: Tx, w: WaveRef): Promise<ShadowStats> {
  const rows = await tx.$queryRaw<
    { samples: bigint | null; agree: bigint | null; cosine: number | null; errors: bigint | null }[]
  >(Prisma.sql`
    SELECT sum(s.samples)::bigint AS samples, sum(s.top1_agree)::bigint AS agree, sum(s.cosine_sum)::float8 AS cosine, sum(s.candidate_errors)::bigint AS errors
    FROM shadow_buckets s ${waveDevices(w, 's')}
    WHERE s.candidate_version_id = ${w.candidateVersionId}::uuid AND s.bucket >= ${minuteOf(w.startedAt)}`);
  const devices = await tx.rolloutDevice.count({ where: { rolloutId: w.rolloutId, wave: w.wave, state: 'shadow' } });
  const r = rows[0];
  return {
    devices,
    samples: Number(r?.samples ?? 0),
    top1Agree: Number(r?.agree ?? 0),
    cosineSum: Number(r?.cosine ?? 0),
    candidateErrors: Number(r?.errors ?? 0),
  };
}

interface FailedDevice {
  device_id: string;
  name: string;
  state: string;
  health: string | null;
  code: string | null;
  message: string | null;
}

/**
 * Devices of the wave that failed the candidate: a heartbeat error naming the candidate (`error.versionId`)
 * reported after the wave started (failed to verify, load or health-check it, in shadow too), or health
 * `failing` while assigned the candidate; and how many online devices have yet to report running it.
 * Also used every tick (fail fast).
 */
export async function healthStats(tx: Tx, w: WaveRef): Promise<HealthStats & { failed: FailedDevice[] }> {
  const failed = await tx.$queryRaw<FailedDevice[]>(Prisma.sql`
    SELECT d.id::text AS device_id, d.name, rd.state, d.health, d.last_error->>'code' AS code, d.last_error->>'message' AS message
    FROM rollout_devices rd JOIN devices d ON d.id = rd.device_id
    WHERE rd.rollout_id = ${w.rolloutId}::uuid AND rd.wave = ${w.wave} AND rd.state <> 'skipped' AND (
      (d.last_error->>'versionId' = ${w.candidateVersionId} AND (d.last_error->>'at') >= ${w.startedAt.toISOString()})
      OR (d.health = 'failing' AND rd.state IN ('assigned', 'running', 'failed') AND d.last_seen_at >= ${w.startedAt}))`);
  const devices = await tx.rolloutDevice.count({ where: { rolloutId: w.rolloutId, wave: w.wave, state: { not: 'skipped' } } });
  const awaiting = await tx.$queryRaw<{ n: bigint }[]>(Prisma.sql`
    SELECT count(*)::bigint AS n FROM rollout_devices rd JOIN devices d ON d.id = rd.device_id
    WHERE rd.rollout_id = ${w.rolloutId}::uuid AND rd.wave = ${w.wave} AND rd.state = 'assigned' AND d.revoked_at IS NULL
      AND d.last_seen_at >= ${new Date(Date.now() - ONLINE_WITHIN_MS)}`);
  return {
    devices,
    awaiting: Number(awaiting[0]?.n ?? 0),
    failures: failed.length,
    details: failed.map(
      (f) => `${f.name}: ${f.code ? `${f.code}${f.message ? ` (${f.message.slice(0, 120)})` : ''}` : `health ${f.health}`}`,
    ),
    failed,
  };
}

/** Everything the wave's gates are judged on. */
export async function waveStats(tx: Tx, w: WaveRef): Promise<WaveStats & { failed: FailedDevice[] }> {
  const [candidate, baseline, candAcc, baseAcc, health] = [
    await candidateRequests(tx, w),
    await baselineRequests(tx, w),
    await candidateAccuracy(tx, w),
    await baselineAccuracy(tx, w),
    await healthStats(tx, w),
  ];
  return { candidate, baseline, candidateAccuracy: candAcc, baselineAccuracy: baseAcc, health, failed: health.failed };
}

/**
 * `assigned` → `running` for the rollout's devices whose heartbeat reports the candidate running (one statement,
 * over every wave so far: a device of a passed wave may report late); returns the transitions for the history.
 */
export async function refreshRunning(tx: Tx, w: Pick<WaveRef, 'rolloutId' | 'candidateVersionId'>): Promise<DeviceTransition[]> {
  const rows = await tx.$queryRaw<{ device_id: string }[]>(Prisma.sql`
    UPDATE rollout_devices rd SET state = 'running', updated_at = now() FROM devices d
    WHERE rd.rollout_id = ${w.rolloutId}::uuid AND rd.state = 'assigned' AND d.id = rd.device_id
      AND d.running->>'versionId' = ${w.candidateVersionId}
    RETURNING rd.device_id::text`);
  return rows.map((r) => ({ deviceId: r.device_id, from: 'assigned', to: 'running' }));
}
