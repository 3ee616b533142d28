import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import type { ModelSession, TensorData } from '../runtime/model-session.js';

export interface ServedModel {
  sha256: string;
  versionId: string;
  variantId: string;
}

export interface FeedbackItem {
  versionId: string;
  predictionId: string;
  predicted: number;
  label: number;
  at: string;
}

export interface InferenceServerOptions {
  /** @defaultValue 0 (any free port) */
  port?: number;
  /** @defaultValue 127.0.0.1: the API is for processes on the device only. */
  host?: string;
  onInference?: (versionId: string, latencyMs: number, ok: boolean) => void;
  onFeedback?: (item: FeedbackItem) => void;
  status?: () => Record<string, unknown>;
  /** Predictions remembered for feedback. @defaultValue 10000 */
  maxPredictions?: number;
  /**
   * Called after each successful inference with what was served, once the response is ready (shadow evaluation
   * hooks in here). Must not throw or block: it runs before the response is written.
   */
  onServed?: (model: ServedModel, feeds: Record<string, TensorData>, outputs: Record<string, TensorData>) => void;
}

/**
 * Watching a freshly swapped-in model in service: its first `requests` inferences are checked (a throw or a
 * non-finite output is a failure). While watched, the previous model stays loaded and answers any request the new
 * one failed, so no request fails because of the swap; after more than `maxFailures` failures the server swaps
 * back to the previous model for good.
 */
export interface Probation {
  /** @defaultValue 20 */
  requests?: number;
  /** Failures tolerated within those requests. @defaultValue 1 */
  maxFailures?: number;
  /** The new model was swapped out for the previous one. */
  onFallback?: (e: { failed: ServedModel; restored: ServedModel; failures: number; checked: number; reason: string }) => void;
  /** The new model served `requests` inferences within the failure budget; the previous one is released. */
  onPassed?: (model: ServedModel) => void;
}

const InferBody = z.object({ inputs: z.record(z.string(), z.object({ dims: z.array(z.number().int().nonnegative()), data: z.array(z.number()) })) });
const FeedbackBody = z.object({ predictionId: z.string().min(1).max(200), label: z.number().int() });
const MAX_BODY = 16 * 1024 * 1024;

/** A session plus the requests running on it: a swapped-out session is disposed when its last request ends. */
class Slot {
  inflight = 0;
  retired = false;
  disposed = false;
  /** Set while the model is on probation: the previous slot, kept loaded to answer what this one fails. */
  fallback: Slot | null = null;
  probation: { requests: number; maxFailures: number; checked: number; failures: number; lastReason: string; opts: Probation } | null = null;
  constructor(
    readonly session: ModelSession,
    readonly model: ServedModel,
  ) {}
  /** Disposes the session once retired and idle; true when this call did it. */
  async disposeIfIdle(): Promise<boolean> {
    if (!this.retired || this.inflight > 0 || this.disposed) return false;
    this.disposed = true;
    await this.session.dispose();
    return true;
  }
}

const finite = (out: Record<string, TensorData>) => Object.values(out).every((t) => t.data.every((v) => Number.isFinite(v)));

const argmax = (d: Float32Array) => d.reduce((best, v, i) => (v > d[best]! ? i : best), 0);

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The local inference API on 127.0.0.1: `POST /v1/infer`, `GET /v1/status`, `POST /v1/feedback`. {@link swap}
 * switches models without dropping requests: those in flight finish on the old session.
 */
export class InferenceServer {
  private slot: Slot | null = null;
  private readonly server: http.Server;
  private readonly predictions = new Map<string, { versionId: string; predicted: number }>();
  /** Sessions disposed after a swap (for tests and status). */
  disposedSessions = 0;

  constructor(private readonly opts: InferenceServerOptions = {}) {
    this.server = http.createServer((req, res) => void this.handle(req, res));
  }

  get model(): ServedModel | null {
    return this.slot?.model ?? null;
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port ?? 0, this.opts.host ?? '127.0.0.1', () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  /** The served model's probation while it lasts: inferences checked and failed so far, out of `requests`. */
  get probation(): { versionId: string; sha256: string; requests: number; maxFailures: number; checked: number; failures: number } | null {
    const p = this.slot?.probation;
    if (!p || !this.slot) return null;
    return { versionId: this.slot.model.versionId, sha256: this.slot.model.sha256, requests: p.requests, maxFailures: p.maxFailures, checked: p.checked, failures: p.failures };
  }

  /** The model kept loaded behind one on probation, if any. */
  get fallbackModel(): ServedModel | null {
    return this.slot?.fallback?.model ?? null;
  }

  /**
   * Serves `session` from now on; the previous one is disposed once its in-flight requests are done — or, with
   * `probation`, kept loaded until the new model has proven itself (see {@link Probation}).
   */
  async swap(session: ModelSession, model: ServedModel, probation?: Probation): Promise<void> {
    const old = this.slot;
    const next = new Slot(session, model);
    const requests = probation?.requests ?? 20;
    if (probation && old && requests > 0) {
      next.probation = { requests, maxFailures: probation.maxFailures ?? 1, checked: 0, failures: 0, lastReason: '', opts: probation };
      next.fallback = old;
    }
    this.slot = next;
    if (old) {
      // A model swapped out while itself on probation: its own fallback goes now.
      const oldFallback = old.fallback;
      old.fallback = null;
      old.probation = null;
      if (oldFallback) await this.retire(oldFallback);
      if (next.fallback !== old) await this.retire(old);
    }
  }

  private async retire(slot: Slot): Promise<void> {
    slot.retired = true;
    if (await slot.disposeIfIdle()) this.disposedSessions++;
  }

  async close(): Promise<void> {
    if (this.server.listening) {
      this.server.closeAllConnections();
      await new Promise<void>((resolve) => this.server.close(() => resolve()));
    }
    const slot = this.slot;
    this.slot = null;
    if (slot) {
      const fallback = slot.fallback;
      slot.fallback = null;
      if (fallback) await this.retire(fallback);
      await this.retire(slot);
    }
  }

  private async raw(req: http.IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req as AsyncIterable<Buffer>) {
      size += c.length;
      if (size > MAX_BODY) throw new HttpError(413, 'request/too_large', 'body too large');
      chunks.push(c);
    }
    return Buffer.concat(chunks);
  }

  private async body(req: http.IncomingMessage): Promise<unknown> {
    const raw = await this.raw(req);
    try {
      return JSON.parse(raw.toString('utf8'));
    } catch {
      throw new HttpError(400, 'request/invalid_json', 'body is not JSON');
    }
  }

  /**
   * `application/octet-stream`: the raw little-endian float32 tensor of a single-input model, its shape in
   * `X-Dims: 1,3,128,128`. Saves the JSON encoding of large inputs.
   */
  private async binaryFeeds(req: http.IncomingMessage): Promise<Record<string, TensorData>> {
    const header = req.headers['x-dims'];
    const dims = typeof header === 'string' && /^\s*\d+(\s*,\s*\d+)*\s*$/.test(header) ? header.split(',').map((d) => Number(d.trim())) : null;
    if (!dims) throw new HttpError(400, 'request/validation_failed', 'binary bodies need an X-Dims header such as "1,3,128,128"');
    const inputs = this.slot?.session.inputs ?? [];
    if (!this.slot) throw new HttpError(503, 'model/not_ready', 'no model installed yet');
    if (inputs.length !== 1 || inputs[0]!.type !== 'float32') throw new HttpError(400, 'request/validation_failed', 'binary bodies are for models with a single float32 input; send JSON');
    const raw = await this.raw(req);
    const count = dims.reduce((a, b) => a * b, 1);
    if (raw.length !== count * 4) throw new HttpError(400, 'request/validation_failed', `body has ${raw.length} bytes, X-Dims needs ${count * 4} (float32)`);
    // copy into an aligned buffer: a Buffer's byteOffset need not be a multiple of 4
    const data = new Float32Array(count);
    new Uint8Array(data.buffer).set(raw);
    return { [inputs[0]!.name]: { dims, data } };
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    try {
      const route = `${req.method} ${new URL(req.url ?? '/', 'http://x').pathname}`;
      if (route === 'GET /v1/status') return send(200, { model: this.model, ...this.opts.status?.() });
      if (route === 'POST /v1/infer') {
        const binary = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase() === 'application/octet-stream';
        return send(200, await this.run(binary ? await this.binaryFeeds(req) : this.jsonFeeds(await this.body(req))));
      }
      if (route === 'POST /v1/feedback') {
        const parsed = FeedbackBody.safeParse(await this.body(req));
        if (!parsed.success) throw new HttpError(400, 'request/validation_failed', parsed.error.message);
        this.feedback(parsed.data.predictionId, parsed.data.label);
        return send(202, { accepted: 1 });
      }
      throw new HttpError(404, 'route/not_found', `no route ${route}`);
    } catch (err) {
      if (err instanceof HttpError) return send(err.status, { error: err.code, message: err.message });
      return send(500, { error: 'inference/failed', message: (err as Error).message });
    }
  }

  private jsonFeeds(raw: unknown): Record<string, TensorData> {
    const parsed = InferBody.safeParse(raw);
    if (!parsed.success) throw new HttpError(400, 'request/validation_failed', parsed.error.message);
    const feeds: Record<string, TensorData> = {};
    for (const [name, t] of Object.entries(parsed.data.inputs)) {
      if (t.dims.reduce((a, b) => a * b, 1) !== t.data.length) throw new HttpError(400, 'request/validation_failed', `input ${name}: data length does not match dims`);
      feeds[name] = { dims: t.dims, data: Float32Array.from(t.data) };
    }
    return feeds;
  }

  /**
   * Runs feeds on the current model, the way `POST /v1/infer` does (in-flight accounting across swaps, telemetry,
   * prediction ids), without HTTP: for embedding the agent in-process.
   */
  async infer(feeds: Record<string, TensorData>) {
    return this.run(feeds);
  }

  /** The true label of an earlier prediction, as `POST /v1/feedback` takes it. */
  feedback(predictionId: string, label: number): void {
    const p = this.predictions.get(predictionId);
    if (!p) throw new HttpError(404, 'prediction/not_found', 'unknown or expired predictionId');
    this.opts.onFeedback?.({ versionId: p.versionId, predictionId, predicted: p.predicted, label, at: new Date().toISOString() });
  }

  private async run(feeds: Record<string, TensorData>) {
    const slot = this.slot;
    if (!slot) throw new HttpError(503, 'model/not_ready', 'no model installed yet');
    const probation = slot.probation;
    const fallback = slot.fallback;
    if (!probation || !fallback || fallback.disposed) return this.runOn(slot, feeds, false);
    // On probation: a failure of the new model is answered by the previous one (held here, so it stays loaded).
    fallback.inflight++;
    try {
      let thrown: string | null = null;
      try {
        const result = await this.runOn(slot, feeds, true);
        this.judge(slot, probation, null);
        return result;
      } catch (err) {
        // A non-finite output is the model's fault whatever the input: counted at once.
        if (err instanceof HttpError && err.code === 'inference/non_finite') this.judge(slot, probation, 'non-finite output');
        else thrown = `inference threw: ${(err as Error).message}`;
      }
      const result = await this.runOn(fallback, feeds, false);
      // A throw counts only when the previous model took the same input (else the input was at fault).
      if (thrown !== null) this.judge(slot, probation, thrown);
      return result;
    } finally {
      fallback.inflight--;
      if (await fallback.disposeIfIdle()) this.disposedSessions++;
    }
  }

  /** One inference on `slot`; `checkFinite` turns a non-finite output into an error (probation). */
  private async runOn(slot: Slot, feeds: Record<string, TensorData>, checkFinite: boolean) {
    slot.inflight++;
    const started = performance.now();
    let ok = false;
    try {
      let out: Record<string, TensorData>;
      try {
        out = await slot.session.run(feeds);
      } catch (err) {
        throw new HttpError(400, 'inference/failed', (err as Error).message);
      }
      if (checkFinite && !finite(out)) throw new HttpError(500, 'inference/non_finite', 'the model produced non-finite outputs');
      ok = true;
      const outputs = Object.fromEntries(Object.entries(out).map(([k, v]) => [k, { dims: v.dims, data: Array.from(v.data) }]));
      const first = Object.values(out)[0];
      const predictionId = randomUUID();
      this.remember(predictionId, { versionId: slot.model.versionId, predicted: first ? argmax(first.data) : -1 });
      try {
        this.opts.onServed?.(slot.model, feeds, out);
      } catch {
        // a hook (shadow evaluation) must never fail the request it observes
      }
      return { predictionId, modelVersion: { versionId: slot.model.versionId, variantId: slot.model.variantId, sha256: slot.model.sha256 }, outputs };
    } finally {
      this.opts.onInference?.(slot.model.versionId, performance.now() - started, ok);
      slot.inflight--;
      if (await slot.disposeIfIdle()) this.disposedSessions++;
    }
  }

  /** Counts one probation inference (`failure` null = it passed) and ends the probation once it is decided. */
  private judge(slot: Slot, p: NonNullable<Slot['probation']>, failure: string | null) {
    if (slot.probation !== p) return;
    p.checked++;
    if (failure !== null) {
      p.failures++;
      p.lastReason = failure;
    }
    const fallback = slot.fallback;
    if (p.failures > p.maxFailures && fallback && this.slot === slot) {
      // Swap back: new requests go to the previous model; this one is released when its last request ends.
      slot.probation = null;
      slot.fallback = null;
      this.slot = fallback;
      slot.retired = true;
      void slot.disposeIfIdle().then((d) => d && this.disposedSessions++);
      p.opts.onFallback?.({ failed: slot.model, restored: fallback.model, failures: p.failures, checked: p.checked, reason: `${p.failures} of the first ${p.checked} inferences failed (last: ${p.lastReason})` });
    } else if (p.checked >= p.requests) {
      slot.probation = null;
      slot.fallback = null;
      if (fallback) void this.retire(fallback);
      p.opts.onPassed?.(slot.model);
    }
  }

  private remember(id: string, p: { versionId: string; predicted: number }) {
    this.predictions.set(id, p);
    const max = this.opts.maxPredictions ?? 10_000;
    // Maps iterate in insertion order: the first key is the oldest.
    while (this.predictions.size > max) this.predictions.delete(this.predictions.keys().next().value!);
  }
}
