// @vitest-environment jsdom
import type { PipelineRunDto } from '@edgefleet/contracts';
import { QueryClientProvider } from '@tanstack/react-query';
import { act, cleanup, renderHook } from '@testing-library/react';
import type { ReactNode } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { jobEvent, newJob, newRun } from '../test/factories';
import { FakeSocket } from '../test/fake-socket';
import { testQueryClient } from '../test/render';
import { type EventsSocket, usePipelineEvents } from './events';
import { queryKeys } from './queries';

function setup(modelId: string) {
  const client = testQueryClient();
  const socket = new FakeSocket();
  const connect = vi.fn((_url: string) => socket as unknown as EventsSocket);
  const wrapper = ({ children }: { children: ReactNode }) => <QueryClientProvider client={client}>{children}</QueryClientProvider>;
  const hook = renderHook(() => usePipelineEvents(modelId, connect), { wrapper });
  return { client, socket, connect, hook };
}

describe(usePipelineEvents.name, () => {
  afterEach(() => cleanup());

  it('joins the model room on connect and reports itself live', () => {
    const { socket, connect, hook } = setup('m-1');
    expect(connect).toHaveBeenCalledWith('/events');
    expect(hook.result.current).toBe('connecting');
    act(() => socket.connect());
    expect(socket.emitted[0]).toMatchObject({ event: 'subscribe', args: [{ modelId: 'm-1' }, expect.any(Function)] });
    expect(hook.result.current).toBe('live');
    act(() => socket.serverEmit('disconnect'));
    expect(hook.result.current).toBe('offline');
  });

  it('patches the cached run and runs page on pipeline.job', () => {
    const { client, socket } = setup('m-1');
    const job = newJob('cpu');
    const run = newRun([job], { modelId: 'm-1' });
    client.setQueryData(queryKeys.pipeline(run.id), run);
    client.setQueryData(queryKeys.pipelines('m-1', '1'), { items: [run], total: 1, limit: 10, offset: 0 });
    act(() => socket.connect());
    act(() => socket.serverEmit('pipeline.job', jobEvent(run, job, { step: 'calibrate', progress: 0.3 })));
    expect(client.getQueryData<PipelineRunDto>(queryKeys.pipeline(run.id))!.jobs[0]).toMatchObject({ step: 'calibrate', progress: 0.3, status: 'running' });
    const page = client.getQueryData<{ items: PipelineRunDto[] }>(queryKeys.pipelines('m-1', '1'))!;
    expect(page.items[0]!.jobs[0]!.progress).toBe(0.3);
  });

  it("ignores other models' events and invalidates on run events", () => {
    const { client, socket } = setup('m-1');
    const job = newJob('cpu');
    const run = newRun([job], { modelId: 'm-2' });
    client.setQueryData(queryKeys.pipeline(run.id), run);
    act(() => socket.connect());
    act(() => socket.serverEmit('pipeline.job', jobEvent(run, job)));
    expect(client.getQueryData(queryKeys.pipeline(run.id))).toBe(run);

    client.setQueryData(queryKeys.variants('m-1', '1'), []);
    act(() => socket.serverEmit('pipeline.run', { v: 1, type: 'run.finished', modelId: 'm-1', versionId: 'v', runId: run.id, status: 'succeeded', at: '' }));
    expect(client.getQueryState(queryKeys.variants('m-1', '1'))!.isInvalidated).toBe(true);
  });

  it('unsubscribes, removes its listeners and disconnects on unmount', () => {
    const { socket, hook } = setup('m-1');
    act(() => socket.connect());
    hook.unmount();
    expect(socket.emitted.at(-1)).toMatchObject({ event: 'unsubscribe', args: [{ modelId: 'm-1' }] });
    expect(socket.listenerCount()).toBe(0);
    expect(socket.disconnected).toBe(true);
  });
});
