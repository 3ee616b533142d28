import { createRequire } from 'node:module';
import * as ort from 'onnxruntime-node';

/** A tensor as the agent passes it around: float32 data and its dimensions. */
export interface TensorData {
  dims: number[];
  data: Float32Array;
}

/** One model input or output; symbolic dimensions (`batch_size`) are strings, unknown ones null. */
export interface ValueInfo {
  name: string;
  /** `float32`, `int64`, … or `non-tensor`. */
  type: string;
  shape: (number | string | null)[];
}

/** What the agent runs inferences on: an in-process {@link ModelSession}, or one in a child process (`IsolatedSession`). */
export interface InferenceRunner {
  readonly inputs: ValueInfo[];
  readonly outputs: ValueInfo[];
  run(feeds: Record<string, TensorData>): Promise<Record<string, TensorData>>;
  dispose(): Promise<void>;
}

export interface SessionOptions {
  /** Intra-op threads. @defaultValue 1 */
  threads?: number;
}

/** @internal onnxruntime's value metadata as our own {@link ValueInfo}. */
export function mapMetadata(meta: readonly ort.InferenceSession.ValueMetadata[]): ValueInfo[] {
  return meta.map((m) => (m.isTensor ? { name: m.name, type: m.type, shape: m.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : typeof d === 'string' ? d : null)) } : { name: m.name, type: 'non-tensor', shape: [] }));
}

/**
 * The agent's only door to onnxruntime-node. Create with {@link ModelSession.create}; call {@link ModelSession.dispose}
 * in a `finally` (the native session holds the model's memory until then).
 */
export class ModelSession implements InferenceRunner {
  readonly inputs: ValueInfo[];
  readonly outputs: ValueInfo[];
  private disposed = false;
  /** Holders of this session (see {@link SessionCache}); the native session is released when the last one disposes. */
  private refs = 1;
  private onRelease: (() => void) | null = null;

  private constructor(private readonly session: ort.InferenceSession) {
    this.inputs = mapMetadata(session.inputMetadata);
    this.outputs = mapMetadata(session.outputMetadata);
  }

  static async create(modelPath: string, opts: SessionOptions = {}): Promise<ModelSession> {
    const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: opts.threads ?? 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
    return new ModelSession(session);
  }

  /** Runs float32 feeds; outputs come back as float32 tensors (other output types are converted). */
  async run(feeds: Record<string, TensorData>): Promise<Record<string, TensorData>> {
    if (this.disposed) throw new Error('agent/runtime: session disposed');
    const input: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) input[name] = new ort.Tensor('float32', t.data, t.dims);
    const out = await this.session.run(input);
    const result: Record<string, TensorData> = {};
    for (const [name, t] of Object.entries(out)) {
      const data = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>, Number);
      result[name] = { dims: [...t.dims], data };
    }
    return result;
  }

  /** One more holder; each holder calls {@link dispose} once. Throws when already released. */
  retain(): this {
    if (this.disposed) throw new Error('agent/runtime: session disposed');
    this.refs++;
    return this;
  }

  get released(): boolean {
    return this.disposed;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    if (--this.refs > 0) return;
    this.disposed = true;
    this.onRelease?.();
    await this.session.release();
  }

  /** @internal for {@link SessionCache} */
  whenReleased(fn: () => void): void {
    this.onRelease = fn;
  }
}

/**
 * One {@link ModelSession} per artifact sha256, shared by several agents in one process (`edgefleet-agent
 * simulate`): {@link acquire} hands out a reference, each holder's `dispose()` gives one back, and the native session
 * goes when the last is given back.
 */
export class SessionCache {
  private readonly entries = new Map<string, Promise<ModelSession>>();

  constructor(private readonly opts: SessionOptions = {}) {}

  /** Sessions currently loaded. */
  get size(): number {
    return this.entries.size;
  }

  async acquire(sha256: string, modelPath: string): Promise<ModelSession> {
    for (;;) {
      const pending = this.entries.get(sha256);
      if (!pending) {
        const created = ModelSession.create(modelPath, this.opts).then((s) => {
          s.whenReleased(() => {
            if (this.entries.get(sha256) === created) this.entries.delete(sha256);
          });
          return s;
        });
        this.entries.set(sha256, created);
        created.catch(() => {
          if (this.entries.get(sha256) === created) this.entries.delete(sha256);
        });
        return created;
      }
      const s = await pending.catch(() => null);
      if (s && !s.released) return s.retain();
      if (this.entries.get(sha256) === pending) this.entries.delete(sha256);
    }
  }
}

/** The onnxruntime-node version this agent runs (reported in the device facts). */
export function runtimeVersion(): string {
  try {
    const require = createRequire(import.meta.url);
    return (require('onnxruntime-node/package.json') as { version: string }).version;
  } catch {
    return ort.env.versions?.node ?? 'unknown';
  }
}
