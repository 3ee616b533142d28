import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CompressError } from '../../errors.js';
import { openSession, type ort } from './session.js';

/** One node of the session's optimized graph, as onnxruntime's profiler saw it. */
export interface NodeTiming {
  /** Node name in the optimized graph (fused nodes carry names onnxruntime derived). */
  readonly name: string;
  /** Kernel op type (`QLinearConv`, `FusedConv`, `QuantizeLinear`…). */
  readonly op: string;
  /** Median kernel time per run, microseconds. */
  readonly us: number;
  /** Element count of the node's first output (for boundary-cost estimates). */
  readonly outputElements: number;
}

export interface ProfileResult {
  readonly nodes: readonly NodeTiming[];
  /** Sum of the nodes' medians, microseconds. */
  readonly kernelUs: number;
  /** Median wall time of `session.run`, microseconds. */
  readonly runUs: number;
}

interface TraceEvent {
  cat?: string;
  name?: string;
  dur?: number;
  args?: { op_name?: string; output_type_shape?: Record<string, number[]>[] };
}

const KERNEL_SUFFIX = '_kernel_time';

/**
 * Per-node kernel times of a model under onnxruntime's profiler (session option `enableProfiling`;
 * the JSON trace it writes on `endProfiling()` holds one event per node per run, `dur` in µs).
 * The session is optimized at level 'all' first, so what is timed is what would run: fused
 * QLinearConv, FusedConv in NCHWc layout, and the leftover Q/DQ nodes.
 */
export async function profileNodes(
  model: Uint8Array,
  feeds: Record<string, ort.Tensor>,
  options: { threads?: number; runs?: number; warmup?: number } = {},
): Promise<ProfileResult> {
  const runs = options.runs ?? 30;
  const warmup = options.warmup ?? 5;
  const dir = await mkdtemp(path.join(tmpdir(), 'edgefleet-profile-'));
  try {
    const session = await openSession(model, { threads: options.threads ?? 1, profileFilePrefix: path.join(dir, 'trace') });
    const wall: number[] = [];
    try {
      for (let i = 0; i < warmup + runs; i++) {
        const begin = performance.now();
        await session.run(feeds);
        if (i >= warmup) wall.push((performance.now() - begin) * 1000);
      }
      session.endProfiling();
    } finally {
      await session.release();
    }
    const file = (await readdir(dir)).find((f) => f.endsWith('.json'));
    if (!file) throw new CompressError('pass/refused', 'profile', 'onnxruntime wrote no profile trace');
    const events = JSON.parse(await readFile(path.join(dir, file), 'utf8')) as TraceEvent[];
    const byNode = new Map<string, { op: string; durations: number[]; outputElements: number }>();
    for (const event of events) {
      if (event.cat !== 'Node' || !event.name?.endsWith(KERNEL_SUFFIX)) continue;
      const name = event.name.slice(0, -KERNEL_SUFFIX.length);
      let entry = byNode.get(name);
      if (!entry) {
        const shape = Object.values(event.args?.output_type_shape?.[0] ?? {})[0] ?? [];
        entry = { op: event.args?.op_name ?? '', durations: [], outputElements: shape.reduce((a, d) => a * d, 1) };
        byNode.set(name, entry);
      }
      entry.durations.push(event.dur ?? 0);
    }
    const nodes = [...byNode].map(([name, entry]) => ({
      name,
      op: entry.op,
      // The first `warmup` events per node are the warm-up runs.
      us: median(entry.durations.slice(Math.min(warmup, entry.durations.length - 1))),
      outputElements: entry.outputElements,
    }));
    return { nodes, kernelUs: nodes.reduce((a, n) => a + n.us, 0), runUs: median(wall) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
