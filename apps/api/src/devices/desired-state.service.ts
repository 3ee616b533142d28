import { createHash } from 'node:crypto';
import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { ACTIVE_ROLLOUT_STATUSES, canonicalJson, type DesiredAssignment, type DesiredShadow, type DesiredState, type RecipeDto } from '@edgefleet/contracts';
import { SharedReads } from '../common/shared-reads.js';
import { PrismaService } from '../database/prisma.service.js';
import { DesiredNotifier } from './desired-notifier.service.js';

/** Shorter than an agent's long-poll wait (30 s), so the read that ends a quiet poll is always fresh. */
const DESIRED_STATE_TTL_MS = 5_000;
const MAX_DISTINCT_STATES = 1_000;

/** Where a device downloads its shadow candidate (the assignment's artifact route only serves the assigned variant). */
export const shadowArtifactUrl = (variantId: string) => `/api/device/shadow/artifacts/${variantId}`;

/** One row per device: its assignment and shadow, each with the recommended variant for the device's profile. */
interface DesiredRow {
  version_id: string | null;
  version_number: number | null;
  model_id: string | null;
  model_name: string | null;
  variant: VariantJson | null;
  shadow_version_id: string | null;
  shadow_number: number | null;
  shadow_model_id: string | null;
  shadow_model_name: string | null;
  shadow_sample_rate: number | null;
  shadow_variant: VariantJson | null;
  shadow_rollout_id: string | null;
}

interface VariantJson {
  id: string;
  recipe: RecipeDto;
  precision: 'fp32' | 'fp16' | 'int8';
  profile: string;
  manifest: Record<string, unknown>;
  signature: string;
  bytes: number;
  sha256: string;
}

/** The newest recommended variant of a version for a profile, as JSON (one lateral subquery per use). */
const variantFor = (versionColumn: string) => `
  SELECT json_build_object('id', x.id, 'recipe', x.recipe, 'precision', x.precision, 'profile', p.slug, 'manifest', x.manifest,
                           'signature', x.signature, 'bytes', ar.byte_size, 'sha256', ar.sha256) AS v
  FROM variants x JOIN artifacts ar ON ar.id = x.artifact_id JOIN hardware_profiles p ON p.id = x.profile_id
  WHERE x.version_id = ${versionColumn} AND x.profile_id = d.profile_id AND x.recommended
  ORDER BY x.created_at DESC LIMIT 1`;

/**
 * Everything a desired state needs in one round trip: every device call (long polls, heartbeats, pushes) resolves
 * it, so at fleet scale its cost is the API's cost.
 */
const DESIRED_SQL = `
  SELECT a.version_id::text, v.number AS version_number, m.id::text AS model_id, m.name AS model_name, va.v AS variant,
         a.shadow_version_id::text, sv.number AS shadow_number, sm.id::text AS shadow_model_id, sm.name AS shadow_model_name,
         a.shadow_sample_rate, vs.v AS shadow_variant, sr.rollout_id::text AS shadow_rollout_id
  FROM devices d
  JOIN device_assignments a ON a.device_id = d.id
  JOIN model_versions v ON v.id = a.version_id
  JOIN models m ON m.id = v.model_id
  LEFT JOIN model_versions sv ON sv.id = a.shadow_version_id
  LEFT JOIN models sm ON sm.id = sv.model_id
  LEFT JOIN LATERAL (${variantFor('a.version_id')}) va ON true
  LEFT JOIN LATERAL (${variantFor('a.shadow_version_id')}) vs ON a.shadow_version_id IS NOT NULL
  LEFT JOIN LATERAL (
    SELECT rd.rollout_id FROM rollout_devices rd JOIN rollouts r ON r.id = rd.rollout_id
    WHERE rd.device_id = d.id AND rd.state = 'shadow' AND r.version_id = a.shadow_version_id AND r.status = ANY($2::text[])
    LIMIT 1
  ) sr ON a.shadow_version_id IS NOT NULL
  WHERE d.id = $1::uuid AND d.profile_id IS NOT NULL`;

function desiredOf(version: { id: string; number: number }, model: { id: string; name: string }, variant: VariantJson, artifactUrl: string): DesiredAssignment {
  return {
    model: { id: model.id, name: model.name },
    version: { id: version.id, number: version.number },
    variant: { id: variant.id, recipe: variant.recipe, precision: variant.precision, profile: variant.profile },
    manifest: variant.manifest,
    signature: variant.signature,
    artifactUrl,
    bytes: Number(variant.bytes),
    sha256: variant.sha256,
  };
}

/**
 * A device's desired state, resolved at read time: the assigned version's recommended variant for the
 * device's profile. `assignment` is null when nothing is assigned or no such variant exists (yet).
 * `shadow` is a rollout's candidate to evaluate beside it (same shape, plus the rollout and the sample rate),
 * resolved the same way; null when none. The etag is a hash of the state, so any change (a new assignment,
 * a shadow set or cleared, a re-profiled device, a newly recommended variant) changes it.
 */
@Injectable()
export class DesiredStateService implements OnModuleDestroy {
  /**
   * A device's state is read several times per change: the long poll it wakes, the socket push's etag, the heartbeat
   * that follows, the download's check. Those reads share one query. Announced changes drop the entry first (see
   * DesiredNotifier.onInvalidate); the ttl bounds how long an unannounced one (a variant newly recommended) goes unseen.
   */
  private readonly reads = new SharedReads<DesiredState>(DESIRED_STATE_TTL_MS);
  /**
   * One object per distinct state: a fleet on one version shares it, so what the cache holds grows with the versions
   * and profiles in use, not with the devices (a manifest with its probe is ~15 KB of JSON).
   */
  private readonly distinct = new Map<string, DesiredState>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly prisma: PrismaService,
    notifier: DesiredNotifier,
  ) {
    this.unsubscribe = notifier.onInvalidate((deviceId) => this.reads.invalidate(deviceId));
  }

  onModuleDestroy() {
    this.unsubscribe();
  }

  forDevice(deviceId: string): Promise<DesiredState> {
    return this.reads.get(deviceId, () => this.read(deviceId));
  }

  private async read(deviceId: string): Promise<DesiredState> {
    const [row] = await this.prisma.db.$queryRawUnsafe<DesiredRow[]>(DESIRED_SQL, deviceId, [...ACTIVE_ROLLOUT_STATUSES]);
    let assignment: DesiredAssignment | null = null;
    let shadow: DesiredShadow | null = null;
    if (row?.variant) {
      assignment = desiredOf({ id: row.version_id!, number: row.version_number! }, { id: row.model_id!, name: row.model_name! }, row.variant, `/api/device/artifacts/${row.variant.id}`);
    }
    if (row?.shadow_variant && row.shadow_rollout_id) {
      const candidate = desiredOf({ id: row.shadow_version_id!, number: row.shadow_number! }, { id: row.shadow_model_id!, name: row.shadow_model_name! }, row.shadow_variant, shadowArtifactUrl(row.shadow_variant.id));
      shadow = { ...candidate, rolloutId: row.shadow_rollout_id, sampleRate: row.shadow_sample_rate ?? 0 };
    }
    return this.shared({ v: 1, etag: desiredEtag(assignment, shadow), assignment, shadow });
  }

  private shared(state: DesiredState): DesiredState {
    const known = this.distinct.get(state.etag);
    if (known) return known;
    // Forgetting them all now and then keeps states no device runs any more from piling up.
    if (this.distinct.size >= MAX_DISTINCT_STATES) this.distinct.clear();
    this.distinct.set(state.etag, state);
    return state;
  }
}

/** Without a shadow the hash is the one devices had before shadows existed, so no agent re-downloads on upgrade. */
export const desiredEtag = (assignment: DesiredAssignment | null, shadow: DesiredShadow | null = null) =>
  createHash('sha256')
    .update(canonicalJson(shadow ? { v: 1, assignment, shadow } : { v: 1, assignment }))
    .digest('hex')
    .slice(0, 32);
