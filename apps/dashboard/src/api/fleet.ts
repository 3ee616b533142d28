import type {
  AssignDeviceRequest,
  CreatedEnrollmentTokenDto,
  CreateEnrollmentTokenRequest,
  DeviceDto,
  DeviceHistoryItem,
  DeviceStatus,
  DeviceTelemetryDto,
  EnrollmentTokenDto,
  ModelVersionDto,
  Page,
  UpdateDeviceRequest,
  VersionTelemetryDto,
} from '@edgefleet/contracts';
import { keepPreviousData, useMutation, useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef } from 'react';
import { config } from '../config/index';
import { TELEMETRY_WINDOWS, type TelemetryWindow } from '../lib/telemetry';
import { apiFetch } from './client';
import { queryKeys } from './queries';

const enc = encodeURIComponent;

export interface DeviceFilters {
  group?: string;
  tag?: string;
  status?: DeviceStatus;
  profile?: string;
}

/** The fleet table; polled so status and last-seen stay current. */
export function useDevices(params: DeviceFilters & { limit: number; offset: number }) {
  return useQuery({
    queryKey: queryKeys.devices(params),
    queryFn: ({ signal }) => apiFetch<Page<DeviceDto>>('/api/devices', { query: { ...params }, signal }),
    placeholderData: keepPreviousData,
    refetchInterval: config.fleetPollMs,
  });
}

/** Totals per status (one `limit=1` query each; the API has no counts endpoint), under the same filters. */
export function useDeviceCounts(filters: Omit<DeviceFilters, 'status'>) {
  const statuses: DeviceStatus[] = ['online', 'offline', 'revoked'];
  const results = useQueries({
    queries: statuses.map((status) => ({
      queryKey: queryKeys.devices({ ...filters, status, limit: 1, offset: 0 }),
      queryFn: ({ signal }: { signal: AbortSignal }) => apiFetch<Page<DeviceDto>>('/api/devices', { query: { ...filters, status, limit: 1, offset: 0 }, signal }),
      refetchInterval: config.fleetPollMs,
    })),
  });
  return Object.fromEntries(statuses.map((s, i) => [s, results[i]?.data?.total])) as Record<DeviceStatus, number | undefined>;
}

export interface VersionRef {
  modelId: string;
  number: number;
}

/**
 * versionId → model and number for the given models (devices report what they run by version id only). One
 * versions query per model, shared with the model pages' cache; polled while a `wanted` id is missing from it
 * (a version uploaded since it was read).
 */
export function useVersionIndex(modelIds: readonly string[], wanted: readonly string[] = []): ReadonlyMap<string, VersionRef> {
  const unique = [...new Set(modelIds)].sort();
  const missing = useRef(false);
  const results = useQueries({
    queries: unique.map((modelId) => ({
      queryKey: queryKeys.versions(modelId),
      queryFn: ({ signal }: { signal: AbortSignal }) => apiFetch<Page<ModelVersionDto>>(`/api/models/${enc(modelId)}/versions`, { query: { limit: 200 }, signal }),
      refetchInterval: () => (missing.current ? config.fleetPollMs : false),
    })),
  });
  const index = new Map<string, VersionRef>();
  results.forEach((r, i) => {
    for (const v of r.data?.items ?? []) index.set(v.id, { modelId: unique[i]!, number: v.number });
  });
  missing.current = unique.length > 0 && wanted.some((id) => !index.has(id));
  return index;
}

export function useDevice(id: string) {
  return useQuery({
    queryKey: queryKeys.device(id),
    queryFn: ({ signal }) => apiFetch<DeviceDto>(`/api/devices/${enc(id)}`, { signal }),
    refetchInterval: config.fleetPollMs,
  });
}

function useDeviceMutation<V>(id: string, fn: (vars: V) => Promise<DeviceDto | undefined>) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSuccess: (device) => {
      if (device) qc.setQueryData(queryKeys.device(id), device);
      else void qc.invalidateQueries({ queryKey: queryKeys.device(id) });
      void qc.invalidateQueries({ queryKey: queryKeys.allDevices });
      // Every change the dashboard makes to a device is a new history entry.
      void qc.invalidateQueries({ queryKey: queryKeys.allDeviceHistory(id) });
    },
  });
}

export function useUpdateDevice(id: string) {
  return useDeviceMutation(id, (body: UpdateDeviceRequest) => apiFetch<DeviceDto>(`/api/devices/${enc(id)}`, { method: 'PATCH', body }));
}

export function useRevokeDevice(id: string) {
  return useDeviceMutation(id, () => apiFetch<DeviceDto>(`/api/devices/${enc(id)}/revoke`, { method: 'POST' }));
}

export function useAssignDevice(id: string) {
  return useDeviceMutation(id, (body: AssignDeviceRequest) => apiFetch<DeviceDto>(`/api/devices/${enc(id)}/assignment`, { method: 'PUT', body }));
}

export function useUnassignDevice(id: string) {
  return useDeviceMutation(id, () => apiFetch<undefined>(`/api/devices/${enc(id)}/assignment`, { method: 'DELETE' }));
}

export function useEnrollmentTokens(params: { limit: number; offset: number }) {
  return useQuery({
    queryKey: [...queryKeys.enrollmentTokens, params],
    queryFn: ({ signal }) => apiFetch<Page<EnrollmentTokenDto>>('/api/enrollment-tokens', { query: params, signal }),
    placeholderData: keepPreviousData,
    // Uses count up as devices enroll.
    refetchInterval: config.fleetPollMs,
  });
}

export function useCreateEnrollmentToken() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: CreateEnrollmentTokenRequest) => apiFetch<CreatedEnrollmentTokenDto>('/api/enrollment-tokens', { method: 'POST', body }),
    onSuccess: () => qc.invalidateQueries({ queryKey: queryKeys.enrollmentTokens }),
  });
}

export function useRevokeEnrollmentToken() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => apiFetch<undefined>(`/api/enrollment-tokens/${enc(id)}`, { method: 'DELETE' }),
    onSuccess: () => qc.invalidateQueries({ queryKey: queryKeys.enrollmentTokens }),
  });
}

/** One device's telemetry (all the versions it ran) over a window; refreshed like the version's. */
export function useDeviceTelemetry(deviceId: string, window: TelemetryWindow) {
  return useQuery({
    queryKey: queryKeys.deviceTelemetry(deviceId, window),
    queryFn: ({ signal }) => apiFetch<DeviceTelemetryDto>(`/api/devices/${enc(deviceId)}/telemetry`, { query: { window, bucket: TELEMETRY_WINDOWS[window].bucket }, signal }),
    enabled: !!deviceId,
    placeholderData: keepPreviousData,
    refetchInterval: Math.max(config.fleetPollMs, 10_000),
  });
}

/**
 * One page of a device's history, newest first. Polled like the device itself, since most entries come from the
 * device's own heartbeats (running version, health) or the rollout controller, not from this dashboard.
 */
export function useDeviceHistory(deviceId: string, params: { limit: number; offset: number }) {
  return useQuery({
    queryKey: queryKeys.deviceHistory(deviceId, params),
    queryFn: ({ signal }) => apiFetch<Page<DeviceHistoryItem>>(`/api/devices/${enc(deviceId)}/history`, { query: params, signal }),
    enabled: !!deviceId,
    placeholderData: keepPreviousData,
    refetchInterval: config.fleetPollMs,
  });
}

/** A version's fleet telemetry over a window; refreshed every bucket-ish while the page is open. */
export function useVersionTelemetry(modelId: string, v: string, window: TelemetryWindow) {
  return useQuery({
    queryKey: queryKeys.telemetry(modelId, v, window),
    queryFn: ({ signal }) =>
      apiFetch<VersionTelemetryDto>(`/api/models/${enc(modelId)}/versions/${enc(v)}/telemetry`, { query: { window, bucket: TELEMETRY_WINDOWS[window].bucket }, signal }),
    enabled: !!modelId && !!v,
    placeholderData: keepPreviousData,
    refetchInterval: Math.max(config.fleetPollMs, 10_000),
  });
}
