import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type * as ort from 'onnxruntime-node';
import { type InferenceRunner, mapMetadata, type SessionOptions, type TensorData, type ValueInfo } from './model-session.js';

// The child: one onnxruntime-node session, runs on request over IPC (structured clone, so typed arrays travel as
// they are). It exits when told to, or when the parent goes away (IPC disconnect).
const CHILD = `
const [ortUrl, modelPath, threads] = process.argv.slice(1);
const ort = await import(ortUrl);
let session;
try {
  session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: Number(threads), interOpNumThreads: 1, graphOptimizationLevel: 'all' });
} catch (err) {
  process.send({ type: 'failed', message: String(err && err.message || err) }, () => process.exit(1));
}
if (session) {
  process.on('disconnect', () => process.exit(0));
  process.on('message', async (m) => {
    if (m.type === 'exit') {
      await session.release();
      process.exit(0);
    }
    try {
      const input = {};
      for (const [name, t] of Object.entries(m.feeds)) input[name] = new ort.Tensor('float32', t.data, t.dims);
      const out = await session.run(input);
      const outputs = {};
      for (const [name, t] of Object.entries(out)) outputs[name] = { dims: [...t.dims], data: t.data instanceof Float32Array ? t.data : Float32Array.from(t.data, Number) };
      process.send({ type: 'result', id: m.id, outputs });
    } catch (err) {
      process.send({ type: 'error', id: m.id, message: String(err && err.message || err) });
    }
  });
  process.send({ type: 'ready', inputs: session.inputMetadata, outputs: session.outputMetadata });
}
`;

type Message =
  | { type: 'ready'; inputs: ort.InferenceSession.ValueMetadata[]; outputs: ort.InferenceSession.ValueMetadata[] }
  | { type: 'failed'; message: string }
  | { type: 'result'; id: number; outputs: Record<string, TensorData> }
  | { type: 'error'; id: number; message: string };

/**
 * A model session in a child process of its own. onnxruntime-node runs inferences synchronously on the JS thread
 * (`run()` only defers to `setImmediate`), so a second model in the agent's process — a shadow candidate — would hold
 * up served requests for as long as each of its runs; here its runs go to another process (another core), and its
 * memory goes back to the OS with the process. Create with {@link IsolatedSession.create}; `dispose()` ends the child.
 */
export class IsolatedSession implements InferenceRunner {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (o: Record<string, TensorData>) => void; reject: (e: Error) => void }>();
  private exited = false;
  private readonly exit: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly inputs: ValueInfo[],
    readonly outputs: ValueInfo[],
    exit: Promise<void>,
  ) {
    this.exit = exit;
    child.on('message', (m: Message) => {
      if (m.type !== 'result' && m.type !== 'error') return;
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.type === 'result') p?.resolve(m.outputs);
      else p?.reject(new Error(`agent/runtime: ${m.message}`));
    });
    void exit.then(() => {
      this.exited = true;
      for (const p of this.pending.values()) p.reject(new Error('agent/runtime: the isolated session exited'));
      this.pending.clear();
    });
  }

  static async create(modelPath: string, opts: SessionOptions = {}): Promise<IsolatedSession> {
    const ortUrl = pathToFileURL(createRequire(import.meta.url).resolve('onnxruntime-node')).href;
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, ortUrl, modelPath, String(opts.threads ?? 1)], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
    const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const ready = await new Promise<Extract<Message, { type: 'ready' }>>((resolve, reject) => {
      child.on('message', (m: Message) => {
        if (m.type === 'ready') resolve(m);
        else if (m.type === 'failed') reject(new Error(`agent/runtime: ${m.message}`));
      });
      child.once('error', reject);
      void exit.then(() => reject(new Error(`agent/runtime: the isolated session exited while loading ${stderr.trim()}`.trim())));
    });
    return new IsolatedSession(child, mapMetadata(ready.inputs), mapMetadata(ready.outputs), exit);
  }

  run(feeds: Record<string, TensorData>): Promise<Record<string, TensorData>> {
    if (this.exited) return Promise.reject(new Error('agent/runtime: the isolated session exited'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ type: 'run', id, feeds }, (err) => {
        if (err && this.pending.delete(id)) reject(err);
      });
    });
  }

  /** The child's process id. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  get released(): boolean {
    return this.exited;
  }

  /** Ends the child (politely, then SIGKILL after 5 s) and waits for it. */
  async dispose(): Promise<void> {
    if (this.exited) return;
    if (this.child.connected) this.child.send({ type: 'exit' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await this.exit;
    clearTimeout(timer);
  }
}
