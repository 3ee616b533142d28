import { CompressError, describeCause } from '../errors.js';
import { ort, runtimeVersion } from '../inspect/runtime.js';
import type { HostTensor } from './host-tensor.js';
import { positiveInteger } from './options.js';

/** ORT's graph optimization levels, under the names its session options use. */
export type GraphOptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';

export interface EvalSessionOptions {
  /** Intra-op threads. @defaultValue 1 */
  threads?: number;
  /** @defaultValue 'all' */
  graphOptimizationLevel?: GraphOptimizationLevel;
}

/** What a run hands back: the raw ORT data (a typed array; float16 as raw bits) and its dims. */
export interface RunOutput {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: unknown;
}

/**
 * The one place `eval/` talks to onnxruntime: a session pinned to a known thread setup
 * (`intraOpNumThreads`, one inter-op thread, sequential execution) so accuracy and latency
 * figures do not depend on the host's core count. Create with `create()`, always `release()`
 * in `finally` (or use `withEvalSession`).
 */
export class EvalSession {
  private released = false;

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly threads: number,
  ) {}

  static async create(source: string | Uint8Array, options: EvalSessionOptions = {}): Promise<EvalSession> {
    const threads = positiveInteger('threads', options.threads, 1);
    const settings: ort.InferenceSession.SessionOptions = {
      // Warnings (e.g. unused initializers) go to stderr and would drown progress output.
      logSeverityLevel: 3,
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
    };
    try {
      const session =
        typeof source === 'string' ? await ort.InferenceSession.create(source, settings) : await ort.InferenceSession.create(source, settings);
      return new EvalSession(session, threads);
    } catch (err) {
      throw new CompressError(
        'model/runtime_rejected',
        'eval',
        `onnxruntime ${runtimeVersion()} cannot load the model: ${describeCause(err)}`,
        { cause: err },
      );
    }
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  /** Runs once; `outputs` limits what is fetched (default: every graph output). */
  async run(feeds: Readonly<Record<string, HostTensor>>, outputs?: readonly string[]): Promise<Record<string, RunOutput>> {
    if (this.released) throw new Error('compress/eval: session used after release()');
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, tensor] of Object.entries(feeds)) {
      ortFeeds[name] = new ort.Tensor(tensor.type, tensor.data as ort.Tensor.DataTypeMap[typeof tensor.type], tensor.dims);
    }
    let results: ort.InferenceSession.ReturnType;
    try {
      results = outputs ? await this.session.run(ortFeeds, [...outputs]) : await this.session.run(ortFeeds);
    } catch (err) {
      throw new CompressError('eval/run_failed', 'eval', `inference failed: ${describeCause(err)}`, { cause: err });
    }
    const out: Record<string, RunOutput> = {};
    for (const [name, tensor] of Object.entries(results)) out[name] = { type: tensor.type, dims: tensor.dims, data: tensor.data };
    return out;
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.session.release();
  }
}

/** Runs `use` with a fresh session and releases its native memory whatever happens. */
export async function withEvalSession<T>(
  source: string | Uint8Array,
  options: EvalSessionOptions,
  use: (session: EvalSession) => Promise<T>,
): Promise<T> {
  const session = await EvalSession.create(source, options);
  try {
    return await use(session);
  } finally {
    await session.release();
  }
}
