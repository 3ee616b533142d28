import { createHash, type KeyObject, randomUUID, sign } from 'node:crypto';
import { EventEmitter } from 'node:events';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { canonicalJson, type DesiredAssignment, type DesiredShadow, type HeartbeatRequest, ShadowBatch, TelemetryBatch } from '@edgefleet/contracts';
import { IdentityStore } from '../src/state/identity-store.js';
import { platformKey } from './keys.js';

export const MODEL_ID = '1f1d1c1e-0f6a-4b8e-9a52-3f3c2b1a0d9e';
export const uuid = () => randomUUID();

export interface Version {
  versionId: string;
  number: number;
  variantId: string;
  bytes: Uint8Array;
}

export const version = (number: number, bytes: Uint8Array): Version => ({ versionId: uuid(), number, variantId: uuid(), bytes });

/**
 * The device API as the agent sees it, in-process: desired state with ETag and long-poll, artifacts, heartbeats,
 * telemetry and shadow batches (validated with the contracts' schemas) — enough to drive a real {@link Agent}.
 */
export class FakeDeviceApi {
  readonly platform = platformKey();
  readonly heartbeats: { at: number; body: HeartbeatRequest }[] = [];
  readonly shadowItems: ShadowBatch['items'] = [];
  readonly telemetry: TelemetryBatch['buckets'] = [];
  /** Answer `POST /api/device/shadow` with 503 while false. */
  shadowUp = true;
  /** Answer this many artifact downloads with 503 (a server restarting). */
  artifactFailures = 0;
  private readonly artifacts = new Map<string, Uint8Array>();
  private state: { etag: string; assignment: DesiredAssignment | null; shadow: DesiredShadow | null } = { etag: 'e0', assignment: null, shadow: null };
  private readonly changes = new EventEmitter();
  private readonly server = http.createServer((req, res) => void this.handle(req, res));
  private n = 0;
  url = '';

  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async close(): Promise<void> {
    this.changes.emit('change');
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  /** Writes an enrolled identity for this server into `stateDir`. */
  async enroll(stateDir: string): Promise<string> {
    const deviceId = uuid();
    await new IdentityStore(stateDir).save({ v: 1, server: this.url, deviceId, secret: 'eds_test', platformKey: this.platform.dto, enrolledAt: new Date().toISOString() });
    return deviceId;
  }

  /** A signed assignment of `v` (manifest `extra` such as a probe; `key` to sign with another key). */
  assignment(v: Version, opts: { extra?: Record<string, unknown>; key?: KeyObject } = {}): DesiredAssignment {
    const sha256 = createHash('sha256').update(v.bytes).digest('hex');
    this.artifacts.set(v.variantId, v.bytes);
    const manifest = {
      v: 1,
      model: { id: MODEL_ID, name: 'm' },
      version: { id: v.versionId, number: v.number },
      profile: 'x86-cpu-fp32',
      recipe: 'fp32',
      artifact: { sha256, bytes: v.bytes.byteLength, format: 'onnx' },
      createdAt: new Date().toISOString(),
      ...opts.extra,
    };
    return {
      model: { id: MODEL_ID, name: 'm' },
      version: { id: v.versionId, number: v.number },
      variant: { id: v.variantId, recipe: { id: 'fp32', precision: 'fp32', steps: [{ name: 'optimize', level: 'basic' }] }, precision: 'fp32', profile: 'x86-cpu-fp32' },
      manifest,
      signature: sign(null, Buffer.from(canonicalJson(manifest)), opts.key ?? this.platform.privateKey).toString('base64'),
      artifactUrl: `/api/device/artifacts/${v.variantId}`,
      bytes: v.bytes.byteLength,
      sha256,
    };
  }

  shadow(v: Version, sampleRate: number, rolloutId = uuid(), opts: { extra?: Record<string, unknown> } = {}): DesiredShadow {
    return { ...this.assignment(v, opts), rolloutId, sampleRate };
  }

  /** Changes the desired state (new etag) and wakes long-polls. Returns when it changed (ms). */
  setDesired(next: { assignment?: DesiredAssignment | null; shadow?: DesiredShadow | null }): number {
    this.state = { etag: `e${++this.n}`, assignment: next.assignment === undefined ? this.state.assignment : next.assignment, shadow: next.shadow === undefined ? this.state.shadow : next.shadow };
    this.changes.emit('change');
    return Date.now();
  }

  heartbeatsSince(t: number) {
    return this.heartbeats.filter((h) => h.at >= t).map((h) => h.body);
  }

  private async body(req: http.IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    for await (const c of req as AsyncIterable<Buffer>) chunks.push(c);
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://x');
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== undefined && !req.headers.authorization.endsWith('.eds_test')) return json(401, { error: 'device/unauthorized' });
    if (req.method === 'GET' && url.pathname === '/api/device/desired') {
      const etag = (req.headers['if-none-match'] ?? '').replaceAll('"', '');
      const wait = Number(url.searchParams.get('wait') ?? 0);
      if (etag === this.state.etag && wait > 0) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(done, wait * 1000);
          function done() {
            clearTimeout(t);
            resolve();
          }
          this.changes.once('change', done);
        });
      }
      if (etag === this.state.etag) {
        res.writeHead(304);
        return res.end();
      }
      return json(200, { v: 1, ...this.state });
    }
    const artifact = /^\/api\/device\/artifacts\/(.+)$/.exec(url.pathname);
    if (req.method === 'GET' && artifact) {
      if (this.artifactFailures > 0) {
        this.artifactFailures--;
        return json(503, { error: 'service/unavailable' });
      }
      const bytes = this.artifacts.get(artifact[1]!);
      if (!bytes) return json(403, { error: 'artifact/forbidden' });
      res.writeHead(200, { 'content-length': bytes.byteLength });
      return res.end(bytes);
    }
    if (req.method === 'POST' && url.pathname === '/api/device/heartbeat') {
      this.heartbeats.push({ at: Date.now(), body: (await this.body(req)) as HeartbeatRequest });
      return json(200, { v: 1, desiredEtag: this.state.etag });
    }
    if (req.method === 'POST' && url.pathname === '/api/device/telemetry') {
      this.telemetry.push(...TelemetryBatch.parse(await this.body(req)).buckets);
      return json(202, { accepted: 1 });
    }
    if (req.method === 'POST' && url.pathname === '/api/device/shadow') {
      const batch = ShadowBatch.safeParse(await this.body(req));
      if (!this.shadowUp) return json(503, { error: 'service/unavailable' });
      if (!batch.success) return json(400, { error: 'request/validation_failed', message: batch.error.message });
      this.shadowItems.push(...batch.data.items);
      return json(202, { accepted: batch.data.items.length });
    }
    if (req.method === 'POST' && url.pathname === '/api/device/feedback') return json(202, { accepted: 1 });
    return json(404, { error: 'route/not_found' });
  }
}

export async function waitFor<T>(fn: () => T | Promise<T>, timeoutMs = 10_000, what = 'condition'): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const modelFile = async (dir: string, name: string, bytes: Uint8Array) => {
  const p = path.join(dir, name);
  await fs.writeFile(p, bytes);
  return p;
};
