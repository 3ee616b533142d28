import type {
  CreateModelRequest,
  DatasetDto,
  HardwareProfileDto,
  HealthResponse,
  ModelDto,
  ModelVersionDto,
  Page,
  PipelineRunDto,
  TriggerPipelineRequest,
  UpdateProfileRequest,
  VariantDto,
} from '@edgefleet/contracts';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { config } from '../config/index';
import { isRunActive } from '../lib/pipeline-events';
import { variantsFromResponse } from '../lib/variants';
import { ApiError, apiFetch, apiUrl, ClientErrorCode, uploadWithProgress, type UploadProgress } from './client';

/** Query keys in one place, so the socket hook and mutations invalidate the same ones the pages read. */
export const queryKeys = {
  health: ['health'] as const,
  models: (params: { search?: string; limit: number; offset: number }) => ['models', params] as const,
  allModels: ['models'] as const,
  model: (id: string) => ['model', id] as const,
  versions: (modelId: string) => ['versions', modelId] as const,
  version: (modelId: string, v: string) => ['version', modelId, v] as const,
  datasets: (modelId: string) => ['datasets', modelId] as const,
  profiles: ['profiles'] as const,
  pipelines: (modelId: string, v: string) => ['pipelines', modelId, v] as const,
  allPipelines: (modelId: string) => ['pipelines', modelId] as const,
  pipeline: (runId: string) => ['pipeline', runId] as const,
  variants: (modelId: string, v: string) => ['variants', modelId, v] as const,
  allVariants: (modelId: string) => ['variants', modelId] as const,
  devices: (params: object) => ['devices', params] as const,
  allDevices: ['devices'] as const,
  device: (id: string) => ['device', id] as const,
  enrollmentTokens: ['enrollment-tokens'] as const,
  telemetry: (modelId: string, v: string, window: string) => ['telemetry', modelId, v, window] as const,
  deviceTelemetry: (deviceId: string, window: string) => ['telemetry', 'device', deviceId, window] as const,
  deviceHistory: (deviceId: string, params: object) => ['device-history', deviceId, params] as const,
  allDeviceHistory: (deviceId: string) => ['device-history', deviceId] as const,
  rollouts: (params: object) => ['rollouts', params] as const,
  allRollouts: ['rollouts'] as const,
  rollout: (id: string) => ['rollout', id] as const,
  rolloutDevices: (id: string, params: object) => ['rollout-devices', id, params] as const,
  rolloutEvents: (id: string) => ['rollout-events', id] as const,
};

const enc = encodeURIComponent;

export interface HealthState {
  reachable: boolean;
  report: HealthResponse | null;
}

/** `/api/health` answers 503 with a report when a dependency is down; only a missing report means unreachable. */
export async function fetchHealth(): Promise<HealthState> {
  try {
    const res = await fetch(apiUrl('/api/health'), { headers: { accept: 'application/json' } });
    const report = (await res.json().catch(() => null)) as HealthResponse | null;
    if (!report || typeof report.status !== 'string') return { reachable: false, report: null };
    return { reachable: true, report };
  } catch {
    return { reachable: false, report: null };
  }
}

export function useHealth() {
  return useQuery({ queryKey: queryKeys.health, queryFn: fetchHealth, refetchInterval: config.healthPollMs, retry: false });
}

export function useModels(params: { search?: string; limit: number; offset: number }) {
  return useQuery({
    queryKey: queryKeys.models(params),
    queryFn: ({ signal }) => apiFetch<Page<ModelDto>>('/api/models', { query: params, signal }),
    placeholderData: keepPreviousData,
  });
}

export function useCreateModel() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: CreateModelRequest) => apiFetch<ModelDto>('/api/models', { method: 'POST', body }),
    onSuccess: () => qc.invalidateQueries({ queryKey: queryKeys.allModels }),
  });
}

export function useModel(id: string) {
  return useQuery({ queryKey: queryKeys.model(id), queryFn: ({ signal }) => apiFetch<ModelDto>(`/api/models/${enc(id)}`, { signal }) });
}

export function useVersions(modelId: string) {
  return useQuery({
    queryKey: queryKeys.versions(modelId),
    queryFn: ({ signal }) => apiFetch<Page<ModelVersionDto>>(`/api/models/${enc(modelId)}/versions`, { query: { limit: 200 }, signal }),
  });
}

export function useVersion(modelId: string, v: string) {
  return useQuery({
    queryKey: queryKeys.version(modelId, v),
    queryFn: ({ signal }) => apiFetch<ModelVersionDto>(`/api/models/${enc(modelId)}/versions/${enc(v)}`, { signal }),
  });
}

export function useDatasets(modelId: string) {
  return useQuery({
    queryKey: queryKeys.datasets(modelId),
    queryFn: ({ signal }) => apiFetch<Page<DatasetDto>>(`/api/models/${enc(modelId)}/datasets`, { query: { limit: 200 }, signal }),
  });
}

export function useProfiles() {
  return useQuery({
    queryKey: queryKeys.profiles,
    queryFn: ({ signal }) => apiFetch<Page<HardwareProfileDto>>('/api/profiles', { query: { limit: 200 }, signal }),
  });
}

export function useUpdateProfile() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ slug, body }: { slug: string; body: UpdateProfileRequest }) =>
      apiFetch<HardwareProfileDto>(`/api/profiles/${enc(slug)}`, { method: 'PATCH', body }),
    onSuccess: () => qc.invalidateQueries({ queryKey: queryKeys.profiles }),
  });
}

/** Uploads go through XHR for progress; the mutation's variables carry the progress callback. */
export function useUploadVersion(modelId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (vars: { file: File; semver?: string; notes?: string; onProgress: (p: UploadProgress) => void; signal?: AbortSignal }) => {
      const form = new FormData();
      // Text fields before the file: the API streams the multipart body and reads fields as they come.
      if (vars.semver) form.append('semver', vars.semver);
      if (vars.notes) form.append('notes', vars.notes);
      form.append('file', vars.file, vars.file.name);
      return uploadWithProgress<ModelVersionDto>(`/api/models/${enc(modelId)}/versions`, form, vars.onProgress, vars.signal);
    },
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: queryKeys.versions(modelId) });
      void qc.invalidateQueries({ queryKey: queryKeys.model(modelId) });
      void qc.invalidateQueries({ queryKey: queryKeys.allPipelines(modelId) });
    },
  });
}

export function useUploadDataset(modelId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (vars: { file: File; name: string; purpose: string; onProgress: (p: UploadProgress) => void }) => {
      const form = new FormData();
      form.append('name', vars.name);
      form.append('purpose', vars.purpose);
      form.append('file', vars.file, vars.file.name);
      return uploadWithProgress<DatasetDto>(`/api/models/${enc(modelId)}/datasets`, form, vars.onProgress);
    },
    onSuccess: () => qc.invalidateQueries({ queryKey: queryKeys.datasets(modelId) }),
  });
}

export function usePipelines(modelId: string, v: string) {
  return useQuery({
    queryKey: queryKeys.pipelines(modelId, v),
    queryFn: ({ signal }) => apiFetch<Page<PipelineRunDto>>(`/api/models/${enc(modelId)}/versions/${enc(v)}/pipelines`, { query: { limit: 10 }, signal }),
  });
}

/** A run, polled every few seconds while it is queued or running (a fallback for missed socket events). */
export function usePipelineRun(runId: string | undefined) {
  return useQuery({
    queryKey: queryKeys.pipeline(runId ?? ''),
    queryFn: ({ signal }) => apiFetch<PipelineRunDto>(`/api/pipelines/${enc(runId!)}`, { signal }),
    enabled: !!runId,
    refetchInterval: (query) => (isRunActive(query.state.data) ? config.pipelinePollMs : false),
  });
}

export function useTriggerPipeline(modelId: string, v: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: TriggerPipelineRequest) =>
      apiFetch<PipelineRunDto>(`/api/models/${enc(modelId)}/versions/${enc(v)}/pipelines`, { method: 'POST', body }),
    onSuccess: (run) => {
      qc.setQueryData(queryKeys.pipeline(run.id), run);
      void qc.invalidateQueries({ queryKey: queryKeys.pipelines(modelId, v) });
    },
  });
}

export function useCancelPipeline(modelId: string, v: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (runId: string) => apiFetch<PipelineRunDto>(`/api/pipelines/${enc(runId)}/cancel`, { method: 'POST' }),
    onSuccess: (run) => {
      qc.setQueryData(queryKeys.pipeline(run.id), run);
      void qc.invalidateQueries({ queryKey: queryKeys.pipelines(modelId, v) });
    },
  });
}

export function useVariants(modelId: string, v: string) {
  return useQuery({
    queryKey: queryKeys.variants(modelId, v),
    queryFn: async ({ signal }) => variantsFromResponse(await apiFetch<unknown>(`/api/models/${enc(modelId)}/versions/${enc(v)}/variants`, { signal })),
  });
}

export function variantDownloadUrl(variant: Pick<VariantDto, 'id'>): string {
  return apiUrl(`/api/variants/${enc(variant.id)}/download`);
}

export function versionDownloadUrl(modelId: string, v: number | string): string {
  return apiUrl(`/api/models/${enc(modelId)}/versions/${enc(String(v))}/download`);
}

/** Queries retry network blips, never a 4xx: a 404 or 409 will not change on retry. */
export function shouldRetry(failureCount: number, error: unknown): boolean {
  if (error instanceof ApiError && error.status >= 400 && error.status < 500) return false;
  if (error instanceof ApiError && error.code === ClientErrorCode.Aborted) return false;
  return failureCount < 2;
}
