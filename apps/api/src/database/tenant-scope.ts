import { ErrorCode } from '@edgefleet/contracts';
import { Prisma } from '@edgefleet/db';
import { AppError } from '../common/app-error.js';
import { requestContext } from '../auth/request-context.js';

/**
 * Multi-tenancy at the data-access layer. Inside an authenticated request (requestContext, set by the
 * TenancyInterceptor) every query on an organisation-owned model gets `orgId = <the caller's org>` added to its
 * filter — directly for models with an `orgId` column, through the owning parent for nested ones (a ModelVersion
 * through its Model, a Variant through its version's Model, …). A row of another organisation is therefore never
 * found, and the services answer it like an unknown id: 404, never 403, so its existence does not leak. Creates of
 * org-owned rows must name the caller's organisation. The services still pass `orgId` explicitly; this is the net
 * below them for the query that forgets. Not covered: `$queryRaw` (name the org in the SQL) and code that runs
 * outside a request (start-up, timers, the device API, which is scoped by its device's id).
 */
type Scope = (orgId: string) => Record<string, unknown>;

const direct: Scope = (orgId) => ({ orgId });
const viaModel: Scope = (orgId) => ({ model: { orgId } });
const viaVersion: Scope = (orgId) => ({ version: { model: { orgId } } });
const viaDevice: Scope = (orgId) => ({ device: { orgId } });
const viaRollout: Scope = (orgId) => ({ rollout: { orgId } });

const SCOPES: Partial<Record<Prisma.ModelName, Scope>> = {
  Model: direct,
  Artifact: direct,
  HardwareProfile: direct,
  EnrollmentToken: direct,
  Device: direct,
  DeviceEvent: direct,
  Rollout: direct,
  User: direct,
  ApiKey: direct,
  AuditLog: direct,
  ModelVersion: viaModel,
  Dataset: viaModel,
  PipelineRun: viaVersion,
  PipelineJob: (orgId) => ({ run: { version: { model: { orgId } } } }),
  Variant: viaVersion,
  DeviceAssignment: viaDevice,
  TelemetryBucket: viaDevice,
  Feedback: viaDevice,
  ShadowBucket: viaDevice,
  RolloutWave: viaRollout,
  RolloutDevice: viaRollout,
  RolloutEvent: viaRollout,
};

/** Models whose creates carry `orgId` themselves (nested ones hang off a parent that was found scoped). */
const CREATES_WITH_ORG = new Set<string>([
  'Model',
  'Artifact',
  'HardwareProfile',
  'EnrollmentToken',
  'Device',
  'DeviceEvent',
  'Rollout',
  'User',
  'ApiKey',
]);

const FILTERED = new Set([
  'findUnique',
  'findUniqueOrThrow',
  'findFirst',
  'findFirstOrThrow',
  'findMany',
  'count',
  'aggregate',
  'groupBy',
  'update',
  'updateMany',
  'updateManyAndReturn',
  'delete',
  'deleteMany',
  'upsert',
]);

function checkCreateData(model: string, data: unknown, orgId: string) {
  if (!CREATES_WITH_ORG.has(model)) return;
  for (const row of Array.isArray(data) ? data : [data]) {
    const given =
      (row as { orgId?: unknown; org?: { connect?: { id?: unknown } } } | undefined)?.orgId ??
      (row as { org?: { connect?: { id?: unknown } } })?.org?.connect?.id;
    if (given !== undefined && given !== orgId) throw new AppError(ErrorCode.NotFound, `cannot create a ${model} in another organisation`);
  }
}

export const tenantScope = Prisma.defineExtension({
  name: 'tenant-scope',
  query: {
    $allModels: {
      $allOperations({ model, operation, args, query }) {
        const orgId = requestContext.getStore()?.orgId;
        const scope = model ? SCOPES[model as Prisma.ModelName] : undefined;
        if (!orgId || !scope) return query(args);
        const a = (args ?? {}) as Record<string, unknown>;
        if (operation === 'create' || operation === 'createMany' || operation === 'createManyAndReturn') {
          checkCreateData(model!, a.data, orgId);
          return query(args);
        }
        if (operation === 'upsert') checkCreateData(model!, a.create, orgId);
        if (!FILTERED.has(operation)) return query(args);
        const where = a.where as Record<string, unknown> | undefined;
        // Unique lookups keep their unique fields at the top level (Prisma's extended where-unique), the rest ANDs.
        return query({ ...a, where: { ...(where ?? {}), ...scopeAnd(where, scope(orgId)) } } as typeof args);
      },
    },
  },
});

function scopeAnd(where: Record<string, unknown> | undefined, scope: Record<string, unknown>): Record<string, unknown> {
  const existing = where?.AND;
  const and = existing === undefined ? [] : Array.isArray(existing) ? existing : [existing];
  return { AND: [...and, scope] };
}
