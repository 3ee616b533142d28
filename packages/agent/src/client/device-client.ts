import {
  DesiredState,
  type EnrollRequest,
  EnrollResponse,
  type FeedbackBatch,
  type HeartbeatRequest,
  HeartbeatResponse,
  type ShadowBatch,
  type TelemetryBatch,
} from '@edgefleet/contracts';

export class DeviceApiError extends Error {
  constructor(
    readonly status: number,
    /** The API's error code (`device/revoked`, …) or `network`. */
    readonly code: string,
    message: string,
  ) {
    super(`agent/client: ${message}`);
  }
  get unauthorized() {
    return this.status === 401;
  }
}

export interface BackoffOptions {
  /** @defaultValue 3 */
  retries?: number;
  /** @defaultValue 200 */
  baseMs?: number;
  /** @defaultValue 10000 */
  maxMs?: number;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** Full jitter: a random delay in [0, min(max, base·2^attempt)]. */
export const backoffDelay = (attempt: number, base: number, max: number) => Math.random() * Math.min(max, base * 2 ** attempt);

const retryable = (err: unknown) => !(err instanceof DeviceApiError) || err.status >= 500 || err.code === 'network';

export class DeviceClient {
  private readonly backoff: Required<BackoffOptions>;
  constructor(
    readonly server: string,
    private readonly credentials: { deviceId: string; secret: string } | null,
    backoff: BackoffOptions = {},
  ) {
    this.backoff = { retries: 3, baseMs: 200, maxMs: 10_000, ...backoff };
  }

  get authorization(): string {
    if (!this.credentials) throw new Error('agent/client: not enrolled');
    return `Bearer ${this.credentials.deviceId}.${this.credentials.secret}`;
  }

  url(p: string) {
    return new URL(p, this.server).toString();
  }

  /** Retries network errors and 5xx with jittered exponential backoff; 4xx fail at once. */
  async withRetry<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (signal?.aborted || !retryable(err) || attempt >= this.backoff.retries) throw err;
        await sleep(backoffDelay(attempt, this.backoff.baseMs, this.backoff.maxMs), signal);
      }
    }
  }

  private async request(method: string, p: string, opts: { body?: unknown; headers?: Record<string, string>; auth?: boolean; signal?: AbortSignal } = {}): Promise<Response> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.auth !== false) headers.authorization = this.authorization;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(this.url(p), { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body), signal: opts.signal });
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      throw new DeviceApiError(0, 'network', `${method} ${p}: ${(err as Error).message}`);
    }
    if (res.status >= 400) {
      const body = (await res.json().catch(() => ({}))) as { error?: string; message?: string };
      throw new DeviceApiError(res.status, body.error ?? `http/${res.status}`, `${method} ${p}: ${res.status} ${body.error ?? ''} ${body.message ?? ''}`.trim());
    }
    return res;
  }

  async enroll(body: EnrollRequest): Promise<EnrollResponse> {
    const res = await this.withRetry(() => this.request('POST', '/api/device/enroll', { body, auth: false }));
    return EnrollResponse.parse(await res.json());
  }

  /** The desired state, or `null` on 304 (unchanged since `etag`). `wait` long-polls up to that many seconds. */
  async desired(opts: { etag?: string | null; wait?: number; signal?: AbortSignal } = {}): Promise<DesiredState | null> {
    const headers: Record<string, string> = opts.etag ? { 'if-none-match': `"${opts.etag}"` } : {};
    const q = opts.wait ? `?wait=${opts.wait}` : '';
    const res = await this.withRetry(() => this.request('GET', `/api/device/desired${q}`, { headers, signal: opts.signal }), opts.signal);
    if (res.status === 304) return null;
    return DesiredState.parse(await res.json());
  }

  async heartbeat(body: HeartbeatRequest): Promise<HeartbeatResponse> {
    const res = await this.withRetry(() => this.request('POST', '/api/device/heartbeat', { body }));
    return HeartbeatResponse.parse(await res.json());
  }

  async telemetry(body: TelemetryBatch): Promise<void> {
    await this.withRetry(() => this.request('POST', '/api/device/telemetry', { body }));
  }

  async feedback(body: FeedbackBatch): Promise<void> {
    await this.withRetry(() => this.request('POST', '/api/device/feedback', { body }));
  }

  /** Per-minute shadow comparisons of a candidate against the served model (`POST /api/device/shadow`). */
  async shadow(body: ShadowBatch): Promise<void> {
    await this.withRetry(() => this.request('POST', '/api/device/shadow', { body }));
  }
}
