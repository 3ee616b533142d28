import type {
  CreateRolloutRequest,
  Page,
  RolloutActionRequest,
  RolloutChangedEvent,
  RolloutDeviceDto,
  RolloutDeviceState,
  RolloutDto,
  RolloutEventDto,
  RolloutStatus,
} from '@edgefleet/contracts';
import { keepPreviousData, useMutation, useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { config } from '../config/index';
import { ACTIVE_STATUSES, isActive, lastEventId, mergeEvents, type RolloutAction, sortRollouts } from '../lib/rollouts';
import { apiFetch } from './client';
import { defaultConnect, type EventsSocket, type EventsState } from './events';
import { queryKeys } from './queries';

const enc = encodeURIComponent;

export function useRollouts(params: { status?: RolloutStatus; modelId?: string; limit: number; offset: number }) {
  return useQuery({
    queryKey: queryKeys.rollouts(params),
    queryFn: ({ signal }) => apiFetch<Page<RolloutDto>>('/api/rollouts', { query: { ...params }, signal }),
    placeholderData: keepPreviousData,
    refetchInterval: config.fleetPollMs,
  });
}

/**
 * Every active rollout (running, paused, rolling back), whatever page the full list is on: the API filters by one
 * status at a time, so one query each, merged.
 */
export function useActiveRollouts() {
  const results = useQueries({
    queries: ACTIVE_STATUSES.map((status) => ({
      queryKey: queryKeys.rollouts({ status, limit: 200, offset: 0 }),
      queryFn: ({ signal }: { signal: AbortSignal }) => apiFetch<Page<RolloutDto>>('/api/rollouts', { query: { status, limit: 200, offset: 0 }, signal }),
      refetchInterval: config.fleetPollMs,
    })),
  });
  const error = results.find((r) => r.isError)?.error ?? null;
  const pending = results.some((r) => r.isPending);
  const items = sortRollouts(results.flatMap((r) => r.data?.items ?? []));
  return { items, error, pending, refetch: () => results.forEach((r) => void r.refetch()) };
}

/** One rollout; polled while active as a fallback for missed socket events. */
export function useRollout(id: string) {
  return useQuery({
    queryKey: queryKeys.rollout(id),
    queryFn: ({ signal }) => apiFetch<RolloutDto>(`/api/rollouts/${enc(id)}`, { signal }),
    refetchInterval: (q) => (q.state.data && !isActive(q.state.data.status) ? false : config.fleetPollMs),
  });
}

export function useRolloutDevices(id: string, params: { state?: RolloutDeviceState; limit: number; offset: number }, active: boolean) {
  return useQuery({
    queryKey: queryKeys.rolloutDevices(id, params),
    queryFn: ({ signal }) => apiFetch<Page<RolloutDeviceDto>>(`/api/rollouts/${enc(id)}/devices`, { query: { ...params }, signal }),
    placeholderData: keepPreviousData,
    refetchInterval: active ? config.fleetPollMs : false,
  });
}

/**
 * The rollout's history, newest first, fetched incrementally: each refetch asks only for events `after` the
 * newest one held and merges them in.
 */
export function useRolloutEvents(id: string, active: boolean) {
  const qc = useQueryClient();
  const key = queryKeys.rolloutEvents(id);
  return useQuery({
    queryKey: key,
    queryFn: async ({ signal }) => {
      const held = qc.getQueryData<RolloutEventDto[]>(key) ?? [];
      let merged = held;
      // Follow pages until a short one: a burst of device transitions can exceed one page.
      for (let i = 0; i < 10; i++) {
        const page = await apiFetch<Page<RolloutEventDto>>(`/api/rollouts/${enc(id)}/events`, { query: { after: lastEventId(merged), limit: 200 }, signal });
        const before = merged.length;
        merged = mergeEvents(merged, page.items);
        if (page.items.length < 200 || merged.length === before) break;
      }
      return merged;
    },
    refetchInterval: active ? config.fleetPollMs : false,
  });
}

export function useCreateRollout() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: CreateRolloutRequest) => apiFetch<RolloutDto>('/api/rollouts', { method: 'POST', body }),
    onSuccess: (rollout) => {
      qc.setQueryData(queryKeys.rollout(rollout.id), rollout);
      void qc.invalidateQueries({ queryKey: queryKeys.allRollouts });
    },
  });
}

export function useRolloutAction(id: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ action, body }: { action: RolloutAction; body: RolloutActionRequest }) => apiFetch<RolloutDto>(`/api/rollouts/${enc(id)}/${action}`, { method: 'POST', body }),
    onSuccess: (rollout) => {
      if (rollout) qc.setQueryData(queryKeys.rollout(id), rollout);
      invalidateRollout(qc, id);
    },
  });
}

function invalidateRollout(qc: ReturnType<typeof useQueryClient>, id: string) {
  void qc.invalidateQueries({ queryKey: queryKeys.rollout(id) });
  void qc.invalidateQueries({ queryKey: ['rollout-devices', id] });
  void qc.invalidateQueries({ queryKey: queryKeys.rolloutEvents(id) });
  void qc.invalidateQueries({ queryKey: queryKeys.allRollouts });
}

/**
 * Live rollout updates: joins `rollout:<id>` (or `rollouts` for every one) on `/events`, again after every
 * reconnect, and refetches what a `rollout.changed` event makes stale.
 */
export function useRolloutLive(rolloutId: string | undefined, connect: (url: string) => EventsSocket = defaultConnect): EventsState {
  const qc = useQueryClient();
  const [state, setState] = useState<EventsState>('connecting');
  useEffect(() => {
    const room = rolloutId ? { rolloutId } : { rollouts: true as const };
    const socket = connect(`${config.apiBaseUrl}/events`);
    const subscribe = () => {
      // Changes made while disconnected were missed: catch up, then follow the room.
      if (rolloutId) invalidateRollout(qc, rolloutId);
      else void qc.invalidateQueries({ queryKey: queryKeys.allRollouts });
      socket.emit('subscribe', room, (result) => setState(result.ok ? 'live' : 'offline'));
    };
    const onChanged = (event: RolloutChangedEvent) => {
      if (!rolloutId) void qc.invalidateQueries({ queryKey: queryKeys.allRollouts });
      else if (event.rolloutId === rolloutId) invalidateRollout(qc, rolloutId);
    };
    const onDisconnect = () => setState('offline');
    socket.on('connect', subscribe);
    socket.on('disconnect', onDisconnect);
    socket.on('connect_error', onDisconnect);
    socket.on('rollout.changed', onChanged);
    if (socket.connected) subscribe();
    return () => {
      socket.off('connect', subscribe);
      socket.off('disconnect', onDisconnect);
      socket.off('connect_error', onDisconnect);
      socket.off('rollout.changed', onChanged);
      if (socket.connected) socket.emit('unsubscribe', room);
      socket.disconnect();
    };
  }, [rolloutId, qc, connect]);
  return state;
}
