import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { HISTOGRAM_SIZE } from '@edgefleet/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { histogramIndex, TelemetryBuffer, type TelemetryBucket } from '../src/telemetry/telemetry-buffer.js';

const V = '7f1d1c1e-0f6a-4b8e-9a52-3f3c2b1a0d9e';
const T0 = Date.parse('2026-01-01T00:00:00Z');

describe('TelemetryBuffer', () => {
  let dir: string;
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('buckets per minute with the contracts histogram bounds', async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'agent-tel-'));
    const sent: TelemetryBucket[][] = [];
    const buf = new TelemetryBuffer({ file: path.join(dir, 'telemetry.json'), send: async (b) => void sent.push(b) });
    buf.record(V, 0.5, true, T0 + 1_000);
    buf.record(V, 3, false, T0 + 59_999);
    buf.record(V, 5_000, true, T0 + 60_000);
    expect(await buf.flush()).toBe(true);
    expect(sent).toHaveLength(1);
    const [a, b] = sent[0]!;
    expect(a).toMatchObject({ versionId: V, bucketStart: '2026-01-01T00:00:00.000Z', count: 2, errors: 1 });
    expect(a!.histogram).toHaveLength(HISTOGRAM_SIZE);
    expect(a!.histogram[histogramIndex(0.5)]).toBe(1);
    expect(a!.histogram[2]).toBe(1); // 3 ms ≤ 5 ms
    expect(b).toMatchObject({ bucketStart: '2026-01-01T00:01:00.000Z', count: 1 });
    expect(b!.histogram[HISTOGRAM_SIZE - 1]).toBe(1);
  });

  it('keeps buckets on disk while the server is unreachable, bounded: oldest dropped first and counted', async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'agent-tel-'));
    let up = false;
    const sent: TelemetryBucket[] = [];
    const file = path.join(dir, 'telemetry.json');
    const buf = new TelemetryBuffer({ file, maxBuckets: 5, send: async (b) => { if (!up) throw new Error('ECONNREFUSED'); sent.push(...b); } });
    for (let m = 0; m < 4; m++) buf.record(V, 1, true, T0 + m * 60_000);
    expect(await buf.flush()).toBe(false);
    expect(await buf.stats()).toMatchObject({ spooled: 4, dropped: 0 });
    for (let m = 4; m < 8; m++) buf.record(V, 1, true, T0 + m * 60_000);
    expect(await buf.flush()).toBe(false);
    expect(await buf.stats()).toMatchObject({ spooled: 5, dropped: 3 });
    // a new buffer (agent restart) finds the spool on disk
    const again = new TelemetryBuffer({ file, maxBuckets: 5, send: async (b) => { if (!up) throw new Error('down'); sent.push(...b); } });
    up = true;
    expect(await again.flush()).toBe(true);
    expect(sent.map((b) => new Date(b.bucketStart).getUTCMinutes())).toEqual([3, 4, 5, 6, 7]);
    expect(await again.stats()).toMatchObject({ spooled: 0, dropped: 3 });
  });
});
