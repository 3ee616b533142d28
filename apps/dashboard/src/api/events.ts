import type { ClientToServerEvents, Page, PipelineJobEvent, PipelineRunDto, PipelineRunEvent, ServerToClientEvents } from '@edgefleet/contracts';
import { type QueryClient, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { io, type Socket } from 'socket.io-client';
import { config } from '../config/index';
import { applyJobEvent, applyJobEventToPage, runHasJob } from '../lib/pipeline-events';
import { queryKeys } from './queries';

export type EventsSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Patches cached runs in place so progress bars move without a refetch; unknown jobs trigger one. */
export function handleJobEvent(qc: QueryClient, event: PipelineJobEvent): void {
  const key = queryKeys.pipeline(event.runId);
  const cached = qc.getQueryData<PipelineRunDto>(key);
  if (runHasJob(cached, event)) qc.setQueryData<PipelineRunDto>(key, applyJobEvent(cached!, event));
  else void qc.invalidateQueries({ queryKey: key });
  qc.setQueriesData<Page<PipelineRunDto>>({ queryKey: queryKeys.allPipelines(event.modelId) }, (page) => (page ? applyJobEventToPage(page, event) : page));
  if (event.type === 'job.completed') void qc.invalidateQueries({ queryKey: queryKeys.allVariants(event.modelId) });
}

export function handleRunEvent(qc: QueryClient, event: PipelineRunEvent): void {
  void qc.invalidateQueries({ queryKey: queryKeys.pipeline(event.runId) });
  void qc.invalidateQueries({ queryKey: queryKeys.allPipelines(event.modelId) });
  if (event.type === 'run.finished') void qc.invalidateQueries({ queryKey: queryKeys.allVariants(event.modelId) });
}

export type EventsState = 'connecting' | 'live' | 'offline';

/**
 * Live pipeline progress for one model: connects to the `/events` namespace, joins `model:<id>` (again
 * after every reconnect, since rooms do not survive one) and keeps the pipeline queries current.
 */
export function usePipelineEvents(modelId: string | undefined, connect: (url: string) => EventsSocket = defaultConnect): EventsState {
  const qc = useQueryClient();
  const [state, setState] = useState<EventsState>('connecting');

  useEffect(() => {
    if (!modelId) return;
    const socket = connect(`${config.apiBaseUrl}/events`);
    const subscribe = () => {
      // Events sent while disconnected are lost: catch up from the API, then follow the room.
      void qc.invalidateQueries({ queryKey: queryKeys.allPipelines(modelId) });
      socket.emit('subscribe', { modelId }, (result) => setState(result.ok ? 'live' : 'offline'));
    };
    const onJob = (event: PipelineJobEvent) => {
      if (event.modelId === modelId) handleJobEvent(qc, event);
    };
    const onRun = (event: PipelineRunEvent) => {
      if (event.modelId === modelId) handleRunEvent(qc, event);
    };
    const onDisconnect = () => setState('offline');
    socket.on('connect', subscribe);
    socket.on('disconnect', onDisconnect);
    socket.on('connect_error', onDisconnect);
    socket.on('pipeline.job', onJob);
    socket.on('pipeline.run', onRun);
    if (socket.connected) subscribe();
    return () => {
      socket.off('connect', subscribe);
      socket.off('disconnect', onDisconnect);
      socket.off('connect_error', onDisconnect);
      socket.off('pipeline.job', onJob);
      socket.off('pipeline.run', onRun);
      if (socket.connected) socket.emit('unsubscribe', { modelId });
      socket.disconnect();
    };
  }, [modelId, qc, connect]);

  return state;
}

export function defaultConnect(url: string): EventsSocket {
  // withCredentials: the session cookie authenticates the socket too when the API is on another origin.
  return io(url, { path: '/socket.io', transports: ['websocket', 'polling'], withCredentials: true });
}
