import path from 'node:path';
import type { DesiredAssignment, DesiredShadow, DeviceHealth, RunningState } from '@edgefleet/contracts';
import { io, type Socket } from 'socket.io-client';
import { backoffDelay, DeviceApiError, DeviceClient } from './client/device-client.js';
import { DownloadError, resumableDownload } from './download/resumable-download.js';
import { healthCheck } from './health/health-check.js';
import { IsolatedSession } from './runtime/isolated-session.js';
import { type InferenceRunner, ModelSession, type SessionCache, type TensorData } from './runtime/model-session.js';
import { type FeedbackItem, InferenceServer, type ServedModel } from './server/inference-server.js';
import { ShadowEvaluator } from './shadow/shadow-evaluator.js';
import { ShadowReportBuffer } from './shadow/shadow-report.js';
import { IdentityStore, type Identity } from './state/identity-store.js';
import { type InstalledModel, ModelStore } from './store/model-store.js';
import { TelemetryBuffer } from './telemetry/telemetry-buffer.js';
import { platformPublicKey, verifyManifest } from './verify/manifest.js';

export interface AgentOptions {
  stateDir: string;
  /** Local inference API port. @defaultValue 8600; 0 picks a free one */
  port?: number;
  /** ORT intra-op threads. @defaultValue 1 */
  threads?: number;
  /** Long-poll seconds for the desired state. @defaultValue 30 */
  waitS?: number;
  /** @defaultValue 30000 */
  heartbeatMs?: number;
  /** Telemetry and feedback flush period. @defaultValue 60000 */
  flushMs?: number;
  /** Listen for `desired.changed` on socket.io `/devices`. @defaultValue true */
  push?: boolean;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  /** Open the local HTTP API. @defaultValue true; without it the model is served in-process only ({@link Agent.infer}). */
  serve?: boolean;
  /** Share sessions with other agents in this process (one per artifact sha256) instead of opening one's own. */
  sessions?: SessionCache;
  /**
   * After a swap, the new model's first `requests` inferences are watched; more than `maxFailures` failures (a
   * throw or a non-finite output) swap the previous model back in and refuse the assignment until it changes.
   * `false` turns the watch off. @defaultValue { requests: 20, maxFailures: 1 }
   */
  probation?: { requests?: number; maxFailures?: number } | false;
  /** Shadow (candidate) runs at once; sampled requests beyond it are skipped. @defaultValue 1 */
  shadowConcurrency?: number;
  /**
   * Where a shadow candidate runs: `process`, a child process of its own (onnxruntime-node runs inferences on the JS
   * thread, so an in-process candidate would delay the served requests arriving during its runs), or `inline`, in
   * this process. @defaultValue `inline` with shared {@link AgentOptions.sessions} (simulate), else `process`
   */
  shadowIsolation?: 'process' | 'inline';
}

export interface AgentError {
  code: string;
  message: string;
  at: string;
  sha256?: string;
  /** The version the failure concerns (an assignment or shadow candidate that was refused or failed). */
  versionId?: string;
  /** What failed: an assignment (install, health check, in service), a shadow candidate, the restore at start, the credentials. */
  source?: 'assignment' | 'shadow' | 'restore' | 'auth';
}

interface ActiveShadow {
  key: string;
  desired: DesiredShadow;
  evaluator: ShadowEvaluator;
}

/** Feedback queued while the server is away; bounded, oldest dropped. */
const MAX_FEEDBACK = 10_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Sleeps `ms`, or less when `signal` aborts. */
const sleepUnless = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/** A failure worth retrying (the server or the network), rather than refusing the assignment or shadow for good. */
const transient = (err: unknown) => (err instanceof DownloadError && err.transient) || (err instanceof DeviceApiError && (err.code === 'network' || err.status >= 500));

/**
 * The edge agent: follows the desired state (long-poll plus socket.io push), and for a new assignment verifies the
 * signed manifest, downloads (resumably), installs, health-checks and swaps the model in, then reports `running`.
 * Whatever fails, the model in place keeps serving.
 */
export class Agent {
  private identity!: Identity;
  private client!: DeviceClient;
  private readonly store: ModelStore;
  private server!: InferenceServer;
  private telemetry!: TelemetryBuffer;
  private shadowReports!: ShadowReportBuffer;
  private shadow: ActiveShadow | null = null;
  /** The installed model being served (what `running` reports). */
  private current: InstalledModel | null = null;
  /** Serializes model changes: applying an assignment or a shadow, and a post-swap fallback. */
  private exclusiveTail: Promise<unknown> = Promise.resolve();
  private socket: Socket | null = null;
  private running: RunningState | null = null;
  private health: DeviceHealth = 'ok';
  private lastError: AgentError | null = null;
  /** The API refused our credentials (revoked device): we stop calling it and keep serving. */
  private unauthorized: string | null = null;
  private etag: string | null = null;
  private poll: AbortController | null = null;
  private stopped = false;
  private loopDone: Promise<void> = Promise.resolve();
  private timers: NodeJS.Timeout[] = [];
  private queuedFeedback: FeedbackItem[] = [];
  private flushing: Promise<void> | null = null;
  private heartbeating: Promise<void> | null = null;
  private heartbeatQueued: Promise<void> | null = null;
  private heartbeatRetry: NodeJS.Timeout | null = null;
  private heartbeatFailures = 0;
  private flushQueued: Promise<void> | null = null;
  private refused = new Set<string>();
  /** An assignment or shadow could not be fetched for a transient reason: ask for the desired state again after a backoff. */
  private retryFetch = false;
  private counters: Record<string, number> = { installs: 0, refused: 0, fallbacks: 0, feedbackDropped: 0 };
  port = 0;

  constructor(private readonly opts: AgentOptions) {
    this.store = new ModelStore(opts.stateDir);
  }

  private log(msg: string, fields?: Record<string, unknown>) {
    this.opts.log?.(msg, fields);
  }

  status() {
    return {
      health: this.health,
      error: this.lastError,
      unauthorized: this.unauthorized,
      running: this.running,
      deviceId: this.identity?.deviceId,
      counters: this.counters,
      probation: this.server?.probation ?? null,
      shadow: this.shadowStatus(),
    };
  }

  /** The shadow candidate and its running comparison, or null. */
  shadowStatus() {
    if (!this.shadow) return null;
    const d = this.shadow.desired;
    return { rolloutId: d.rolloutId, versionId: d.version.id, versionNumber: d.version.number, variantId: d.variant.id, sha256: d.sha256, sampleRate: this.shadow.evaluator.sampleRate, ...this.shadow.evaluator.stats() };
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.exclusiveTail.then(fn, fn);
    this.exclusiveTail = run.catch(() => undefined);
    return run;
  }

  async start(): Promise<void> {
    const identity = await new IdentityStore(this.opts.stateDir).load();
    if (!identity) throw new Error(`agent: not enrolled (no identity in ${this.opts.stateDir}); run "edgefleet-agent enroll" first`);
    this.identity = identity;
    this.client = new DeviceClient(identity.server, identity);
    this.telemetry = new TelemetryBuffer({ file: path.join(this.opts.stateDir, 'telemetry.json'), send: (buckets) => this.client.telemetry({ buckets }) });
    this.shadowReports = new ShadowReportBuffer({ file: path.join(this.opts.stateDir, 'shadow.json'), send: (items) => this.client.shadow({ items }) });
    this.server = new InferenceServer({
      port: this.opts.port ?? 8600,
      onInference: (v, ms, ok) => this.telemetry.record(v, ms, ok),
      onServed: (model, feeds, outputs) => this.shadow?.evaluator.offer(model.versionId, feeds, outputs),
      onFeedback: (item) => this.queueFeedback(item),
      status: () => this.status(),
    });
    await this.restoreCurrent();
    if (this.opts.serve !== false) this.port = await this.server.listen();
    this.log('serving', { port: this.port, model: this.running?.sha256 ?? null });
    if (this.opts.push !== false) this.connectPush();
    this.timers.push(setInterval(() => void this.heartbeat(), this.opts.heartbeatMs ?? 30_000));
    this.timers.push(setInterval(() => void this.flush(), this.opts.flushMs ?? 60_000));
    this.loopDone = this.loop();
  }

  /** Inference on the current model without HTTP: what `POST /v1/infer` does, telemetry included. */
  infer(feeds: Record<string, TensorData>) {
    return this.server.infer(feeds);
  }

  /** The true label of a prediction {@link infer} made: what `POST /v1/feedback` does. */
  feedback(predictionId: string, label: number): void {
    this.server.feedback(predictionId, label);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    if (this.heartbeatRetry) clearTimeout(this.heartbeatRetry);
    this.poll?.abort();
    this.socket?.close();
    await this.loopDone;
    await this.exclusive(async () => {
      const shadow = this.shadow;
      this.shadow = null;
      await shadow?.evaluator.dispose();
    });
    await this.flush();
    await this.server?.close();
  }

  /** Loads the model `active.json` names (the previous one if that fails), so a restart serves at once, offline too. */
  private async restoreCurrent() {
    const pointers = await this.store.pointers();
    for (const m of [pointers.current, pointers.previous]) {
      if (!m || !(await this.store.has(m.sha256))) continue;
      try {
        await this.load(m);
        return;
      } catch (err) {
        this.fail('restore/failed', err, { sha256: m.sha256, versionId: m.versionId, source: 'restore' });
      }
    }
  }

  /** A session on an installed model that passed the health check (the manifest's probe included). */
  private async openChecked(m: { sha256: string }, manifest?: Record<string, unknown>): Promise<ModelSession>;
  private async openChecked(m: { sha256: string }, manifest: Record<string, unknown> | undefined, isolated: true): Promise<InferenceRunner>;
  private async openChecked(m: { sha256: string }, manifest?: Record<string, unknown>, isolated = false): Promise<InferenceRunner> {
    const file = this.store.pathOf(m.sha256);
    const threads = this.opts.threads ?? 1;
    const session = isolated
      ? await IsolatedSession.create(file, { threads })
      : this.opts.sessions
        ? await this.opts.sessions.acquire(m.sha256, file)
        : await ModelSession.create(file, { threads });
    try {
      // models whose manifest carries the platform's probe, checked against it
      if ((await healthCheck(session, manifest)).probed) this.counters.probed = (this.counters.probed ?? 0) + 1;
    } catch (err) {
      await session.dispose();
      throw err;
    }
    return session;
  }

  private async load(m: InstalledModel, manifest?: Record<string, unknown>, onFallback?: (reason: string) => void) {
    const session = await this.openChecked(m, manifest);
    const probation = this.opts.probation === false || !onFallback ? undefined : { ...this.opts.probation, onFallback: (e: { reason: string }) => onFallback(e.reason), onPassed: (p: ServedModel) => this.log('probation passed', { sha256: p.sha256 }) };
    await this.server.swap(session, m, probation);
    this.setCurrent(m);
  }

  private setCurrent(m: InstalledModel) {
    this.current = m;
    this.running = { v: 1, versionId: m.versionId, variantId: m.variantId, sha256: m.sha256 };
  }

  private fail(code: string, err: unknown, about: Pick<AgentError, 'sha256' | 'versionId' | 'source'> = {}) {
    const e = err as { code?: string; message?: string };
    this.lastError = { code: e.code ?? code, message: e.message ?? String(err), at: new Date().toISOString(), ...about };
    this.health = 'degraded';
    this.log('error', { ...this.lastError });
  }

  /**
   * A fetch that failed on the server's or the network's side: logged and retried (see the loop), not refused and not
   * reported against the version — a server restart mid-download must not fail a rollout's health gate.
   */
  private retryLater(what: string, err: unknown) {
    this.retryFetch = true;
    this.counters.fetchRetries = (this.counters.fetchRetries ?? 0) + 1;
    this.log(what, { message: (err as Error).message });
  }

  /** Clears a failure of one of `sources` (settled: what it concerned is no longer wanted, or now works). */
  private settle(...sources: AgentError['source'][]) {
    if (!this.lastError || !sources.includes(this.lastError.source) || this.unauthorized) return;
    this.lastError = null;
    this.health = 'ok';
  }

  private handleAuth(err: unknown): boolean {
    if (err instanceof DeviceApiError && err.unauthorized) {
      if (!this.unauthorized) this.log('unauthorized', { code: err.code });
      this.unauthorized = err.code;
      this.health = 'failing';
      this.lastError = { code: err.code, message: err.message, at: new Date().toISOString(), source: 'auth' };
      this.poll?.abort();
      this.socket?.close();
      return true;
    }
    return false;
  }

  private connectPush() {
    const url = new URL('/devices', this.identity.server).toString();
    this.socket = io(url, { auth: { token: `${this.identity.deviceId}.${this.identity.secret}` }, transports: ['websocket'], reconnectionDelayMax: 30_000 });
    // A push only wakes the long-poll; the desired state itself always comes from the REST endpoint.
    this.socket.on('desired.changed', (e: { etag?: string }) => {
      if (e?.etag !== this.etag) this.poll?.abort();
    });
    this.socket.on('connect_error', () => {});
  }

  private async loop() {
    let failures = 0;
    let fetchRetries = 0;
    while (!this.stopped && !this.unauthorized) {
      this.poll = new AbortController();
      try {
        const state = await this.client.desired({ etag: this.etag, wait: this.etag ? (this.opts.waitS ?? 30) : 0, signal: this.poll.signal });
        failures = 0;
        if (state) {
          this.etag = state.etag;
          this.retryFetch = false;
          if (state.assignment) await this.apply(state.assignment);
          await this.applyShadow(state.shadow ?? null);
          await this.heartbeat();
          if (this.retryFetch) {
            // Download failed on the server's or network's side: the same state again after a jittered backoff
            // (a push or a new state cuts the wait short).
            this.etag = null;
            await sleepUnless(backoffDelay(fetchRetries++, 1_000, 60_000), this.poll.signal);
          } else fetchRetries = 0;
        }
      } catch (err) {
        if (this.stopped) break;
        if (this.poll.signal.aborted) continue;
        if (this.handleAuth(err)) break;
        failures++;
        // Logged on the first failure of a streak and then sparingly: a desired state that cannot be read or
        // parsed would otherwise leave the device silently idle.
        if (failures === 1 || failures % 20 === 0) this.log('desired/failed', { failures, error: err instanceof Error ? err.message.slice(0, 500) : String(err) });
        // Server away: keep serving, back off (jittered) before asking again.
        await sleep(Math.random() * Math.min(30_000, 500 * 2 ** Math.min(failures, 6)));
      }
    }
  }

  /** Installs an assignment; on any failure the current model stays and the error is reported. */
  apply(a: DesiredAssignment): Promise<void> {
    return this.exclusive(() => this.applyNow(a));
  }

  private async applyNow(a: DesiredAssignment): Promise<void> {
    if (this.running?.sha256 === a.sha256 && this.running.variantId === a.variant.id) {
      // Desired is what runs (a rollback returned the device here): an earlier assignment's failure is settled, and
      // so is a failed restore of another model at start.
      this.settle('assignment', 'restore');
      return;
    }
    const key = `${a.variant.id}:${a.sha256}:${a.signature}`;
    if (this.refused.has(key)) return;
    try {
      await this.fetchVerified(a);
      const m: InstalledModel = { sha256: a.sha256, versionId: a.version.id, variantId: a.variant.id, modelId: a.model.id, installedAt: new Date().toISOString() };
      const previous = this.current;
      await this.load(m, a.manifest, previous ? (reason) => void this.exclusive(() => this.fallBack(m, previous, key, reason)) : undefined);
      await this.store.activate(m, this.pinned());
      this.counters.installs!++;
      this.settle('assignment', 'restore');
      this.log('installed', { sha256: a.sha256, version: a.version.number });
    } catch (err) {
      if (this.handleAuth(err)) return;
      if (transient(err)) return this.retryLater('install/retrying', err);
      this.refused.add(key);
      this.counters.refused!++;
      this.fail('install/failed', err, { sha256: a.sha256, versionId: a.version.id, source: 'assignment' });
    }
  }

  /** Verifies the signed manifest, then makes sure the artifact is in the store (resumable download). */
  private async fetchVerified(a: DesiredAssignment): Promise<void> {
    verifyManifest(a.manifest, a.signature, platformPublicKey(this.identity.platformKey), { sha256: a.sha256, bytes: a.bytes });
    if (await this.store.has(a.sha256)) return;
    const dl = await resumableDownload({
      url: this.client.url(a.artifactUrl),
      sha256: a.sha256,
      bytes: a.bytes,
      dir: path.join(this.opts.stateDir, 'downloads'),
      headers: { authorization: this.client.authorization },
    });
    await this.store.install(dl.path, a.sha256);
  }

  /** Store files to keep beside the active pointers: the shadow candidate (it may become the next assignment). */
  private pinned(): string[] {
    return this.shadow ? [this.shadow.desired.sha256] : [];
  }

  /** The new model failed in service (the server already swapped back): re-activate the previous one and report. */
  private async fallBack(failed: InstalledModel, previous: InstalledModel, key: string, reason: string): Promise<void> {
    this.refused.add(key);
    this.counters.fallbacks!++;
    if (this.running?.sha256 === failed.sha256) this.setCurrent(previous);
    try {
      if ((await this.store.pointers()).current?.sha256 === failed.sha256) await this.store.activate({ ...previous, installedAt: new Date().toISOString() }, this.pinned());
    } catch (err) {
      this.log('reactivate failed', { message: (err as Error).message });
    }
    this.fail('model/failed_in_service', new Error(`swapped back to the previous model: ${reason}`), { sha256: failed.sha256, versionId: failed.versionId, source: 'assignment' });
    await this.heartbeat();
  }

  /**
   * Follows the desired `shadow`: a new candidate is verified, installed (not activated), health-checked and run
   * beside the served model; a removed or changed one is disposed. A candidate that fails is reported (with its
   * versionId) and dropped.
   */
  applyShadow(s: DesiredShadow | null): Promise<void> {
    return this.exclusive(() => this.applyShadowNow(s));
  }

  private async applyShadowNow(s: DesiredShadow | null): Promise<void> {
    const key = s ? `${s.rolloutId}:${s.variant.id}:${s.sha256}:${s.signature}` : null;
    if (this.shadow && this.shadow.key === key && s) {
      this.shadow.evaluator.sampleRate = s.sampleRate;
      return;
    }
    if (this.shadow) {
      const old = this.shadow;
      this.shadow = null;
      await old.evaluator.dispose();
      this.settle('shadow');
      this.log('shadow stopped', { versionId: old.desired.version.id, ...old.evaluator.stats() });
      await this.store.prune(await this.store.pointers()).catch(() => undefined);
    } else if (!s) this.settle('shadow');
    if (!s || !key || this.refused.has(key)) return;
    try {
      await this.fetchVerified(s);
      const isolated = (this.opts.shadowIsolation ?? (this.opts.sessions ? 'inline' : 'process')) === 'process';
      const session = isolated ? await this.openChecked(s, s.manifest, true) : await this.openChecked(s, s.manifest);
      const evaluator = new ShadowEvaluator({
        session,
        candidate: { rolloutId: s.rolloutId, versionId: s.version.id, variantId: s.variant.id, sha256: s.sha256 },
        sampleRate: s.sampleRate,
        maxConcurrent: this.opts.shadowConcurrency ?? 1,
        onSample: (x) => this.shadowReports.record(x),
      });
      this.shadow = { key, desired: s, evaluator };
      this.log('shadow started', { versionId: s.version.id, sha256: s.sha256, sampleRate: s.sampleRate });
    } catch (err) {
      if (this.handleAuth(err)) return;
      if (transient(err)) return this.retryLater('shadow/retrying', err);
      this.refused.add(key);
      this.counters.refused!++;
      this.fail('shadow/failed', err, { sha256: s.sha256, versionId: s.version.id, source: 'shadow' });
    }
  }

  /**
   * Reports running state and health. One heartbeat at a time: two in flight could reach the API out of order and
   * leave it with the older `running` until the next period. A call during a heartbeat waits for it and then sends
   * once more (calls in between share that one), so the last report carries the latest state. A failed report is
   * retried within seconds rather than at the next period, so the platform learns of a swap promptly.
   */
  heartbeat(): Promise<void> {
    if (!this.heartbeating) {
      this.heartbeating = this.heartbeatOnce().finally(() => (this.heartbeating = null));
      return this.heartbeating;
    }
    this.heartbeatQueued ??= this.heartbeating.then(() => {
      this.heartbeatQueued = null;
      return this.heartbeat();
    });
    return this.heartbeatQueued;
  }

  private async heartbeatOnce(): Promise<void> {
    // A revoked device stops calling the API; /v1/status and the log carry the reason.
    if (this.unauthorized) return;
    try {
      const e = this.health === 'ok' ? null : this.lastError;
      await this.client.heartbeat({
        v: 1,
        running: this.running,
        health: this.health,
        counters: { ...this.counters, ...(this.lastError ? { lastErrorAt: Date.parse(this.lastError.at) } : {}) },
        error: e ? { code: e.code.slice(0, 100), message: e.message.slice(0, 1000), ...(e.versionId ? { versionId: e.versionId } : {}) } : null,
      });
      this.heartbeatFailures = 0;
    } catch (err) {
      if (this.handleAuth(err) || this.stopped || this.heartbeatRetry) return;
      const delay = backoffDelay(this.heartbeatFailures++, 1_000, 30_000);
      this.heartbeatRetry = setTimeout(() => {
        this.heartbeatRetry = null;
        void this.heartbeat();
      }, delay);
    }
  }

  private queueFeedback(item: FeedbackItem) {
    this.queuedFeedback.push(item);
    if (this.queuedFeedback.length > MAX_FEEDBACK) {
      this.counters.feedbackDropped! += this.queuedFeedback.length - MAX_FEEDBACK;
      this.queuedFeedback.splice(0, this.queuedFeedback.length - MAX_FEEDBACK);
    }
  }

  /**
   * Sends telemetry and queued feedback; what cannot be sent stays (telemetry on disk, feedback in memory). One flush
   * at a time: overlapping ones (a slow send outlasting the flush period) would read the same spool and feedback and
   * send them twice. A call during a flush waits for it and then runs once more (calls in between share that run).
   */
  flush(): Promise<void> {
    if (!this.flushing) {
      this.flushing = this.flushOnce().finally(() => (this.flushing = null));
      return this.flushing;
    }
    this.flushQueued ??= this.flushing.then(() => {
      this.flushQueued = null;
      return this.flush();
    });
    return this.flushQueued;
  }

  private async flushOnce(): Promise<void> {
    if (this.unauthorized || !this.client) return;
    await this.telemetry.flush().catch(() => false);
    await this.shadowReports.flush().catch(() => false);
    while (this.queuedFeedback.length > 0) {
      const items = this.queuedFeedback.slice(0, 1000);
      try {
        await this.client.feedback({ items });
        this.queuedFeedback.splice(0, items.length);
      } catch (err) {
        this.handleAuth(err);
        break;
      }
    }
  }
}
