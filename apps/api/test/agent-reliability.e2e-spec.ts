import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createToken, createVersion, insertVariant } from './device-fixtures.js';
import { createTestApp, fixture, type TestApp } from './test-app.js';

const AGENT_CLI = path.resolve(import.meta.dirname, '../../../packages/agent/dist/cli/main.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

interface Seen {
  method: string;
  url: string;
  range: string | undefined;
  ifRange: string | undefined;
  status?: number;
}

/**
 * A small HTTP proxy between the agent and the API, on a fixed port once started: it records every request,
 * can stall artifact responses after a number of bytes (a transfer in progress), and can be stopped and started
 * again to take the server away without losing the database. WebSocket upgrades are not proxied (the agent falls
 * back to the long-poll).
 */
class Proxy {
  readonly seen: Seen[] = [];
  /** Artifact responses send this many body bytes, then stall until the client goes away. */
  stallArtifactAfter: number | null = null;
  private server: http.Server | null = null;
  port = 0;

  constructor(private readonly upstreamPort: number) {}

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const server = http.createServer((req, res) => {
      const seen: Seen = { method: req.method!, url: req.url!, range: req.headers.range, ifRange: req.headers['if-range'] as string | undefined };
      this.seen.push(seen);
      const stallAfter = req.url!.startsWith('/api/device/artifacts/') ? this.stallArtifactAfter : null;
      const up = http.request({ host: '127.0.0.1', port: this.upstreamPort, method: req.method, path: req.url, headers: req.headers }, (upRes) => {
        seen.status = upRes.statusCode;
        res.writeHead(upRes.statusCode!, upRes.headers);
        if (stallAfter === null) {
          upRes.pipe(res);
          return;
        }
        let sent = 0;
        upRes.on('data', (chunk: Buffer) => {
          const room = stallAfter - sent;
          if (room <= 0) return;
          res.write(chunk.subarray(0, room));
          sent += Math.min(room, chunk.length);
        });
      });
      up.on('error', () => res.destroy());
      res.on('close', () => up.destroy());
      req.pipe(up);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Refuses connections from now on and cuts the open ones. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    const closed = new Promise((r) => server.close(r));
    server.closeAllConnections();
    await closed;
  }
}

/** `edgefleet-agent` run as a real process, the server being reached through a {@link Proxy}. */
class AgentProcess {
  private proc: ChildProcess | null = null;
  log = '';
  base = '';

  constructor(readonly stateDir: string) {}

  async enroll(server: string, token: string): Promise<string> {
    const { stdout } = await promisify(execFile)(process.execPath, [AGENT_CLI, 'enroll', '--server', server, '--token', token, '--state', this.stateDir]);
    return JSON.parse(stdout.trim().split('\n').at(-1)!).deviceId;
  }

  async start(): Promise<{ port: number; model: string | null }> {
    this.log = '';
    const proc = spawn(process.execPath, [AGENT_CLI, 'run', '--state', this.stateDir, '--port', '0', '--wait', '2', '--heartbeat-ms', '300', '--flush-ms', '300'], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    proc.stdout!.on('data', (c: Buffer) => (this.log += c.toString()));
    proc.stderr!.on('data', (c: Buffer) => (this.log += c.toString()));
    const line = await until('the agent to listen', async () => /\{[^\n]*"msg":"serving"[^\n]*\}/.exec(this.log)?.[0]);
    const serving = JSON.parse(line) as { port: number; model: string | null };
    this.base = `http://127.0.0.1:${serving.port}`;
    return serving;
  }

  async kill(signal: NodeJS.Signals): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill(signal);
    await exited;
  }

  async status() {
    return (await (await fetch(`${this.base}/v1/status`)).json()) as { health: string; model: { sha256: string } | null };
  }
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const digitInput = () => Array.from({ length: 784 }, (_, i) => ((i * 7) % 28) / 28);

/** The agent's resilience against the real API: a download cut by a crash, and the server going away. */
describe('edge agent reliability (real processes)', () => {
  let sut: TestApp;
  let apiPort: number;
  const cleanup: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    sut = await createTestApp({ AUTO_PIPELINES: 'false' });
    await sut.app.listen(0, '127.0.0.1');
    apiPort = (sut.app.getHttpServer().address() as AddressInfo).port;
  });
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });
  afterAll(async () => {
    await sut?.close();
  });

  /** A proxy, a state directory and an enrolled agent (not yet running), all torn down after the test. */
  const setup = async (group: string) => {
    const proxy = new Proxy(apiPort);
    await proxy.start();
    cleanup.push(() => proxy.stop());
    const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'edgefleet-agent-rel-'));
    cleanup.push(() => fs.rm(stateDir, { recursive: true, force: true }));
    const agent = new AgentProcess(stateDir);
    cleanup.push(() => agent.kill('SIGKILL'));
    const { token } = await createToken(sut, { group });
    const deviceId = await agent.enroll(proxy.url, token);
    const device = async () => (await sut.http.get(`/api/devices/${deviceId}`).expect(200)).body;
    return { proxy, agent, stateDir, deviceId, device };
  };

  it('killed mid-download (SIGKILL), the restarted agent resumes with one Range request and installs the model once', async () => {
    const { proxy, agent, stateDir, deviceId, device } = await setup('rel-download');
    const bytes = await fs.readFile(fixture('models/person-mobilenetv2/model.onnx'));
    const sha = sha256(bytes);
    const modelId = (await sut.http.post('/api/models').send({ name: 'rel-mobilenet', task: 'image-classification' }).expect(201)).body.id;
    const version = (await sut.http.post(`/api/models/${modelId}/versions`).attach('file', bytes, 'model.onnx').expect(201)).body;
    const variant = await insertVariant(sut, version.id, (await device()).profile.slug);
    expect((variant.manifest as { artifact: { sha256: string } }).artifact.sha256).toBe(sha);

    const half = Math.floor(bytes.length / 2);
    proxy.stallArtifactAfter = half;
    await agent.start();
    await sut.http.put(`/api/devices/${deviceId}/assignment`).send({ modelId, version: version.number }).expect(200);
    const partial = path.join(stateDir, 'downloads', `${sha}.partial`);
    await until('half of the artifact on disk', async () => ((await fs.stat(partial).catch(() => null))?.size ?? 0) >= half);
    await agent.kill('SIGKILL');
    expect((await fs.readFile(partial)).equals(bytes.subarray(0, half))).toBe(true);
    expect(await fs.readdir(path.join(stateDir, 'models')).catch(() => [])).toEqual([]);

    proxy.stallArtifactAfter = null;
    const before = proxy.seen.length;
    expect((await agent.start()).model).toBeNull();
    await until('running the resumed model', async () => (await device()).running?.sha256 === sha);

    const artifactUrl = `/api/device/artifacts/${variant.id}`;
    const downloads = proxy.seen.filter((s) => s.url === artifactUrl);
    expect(downloads).toHaveLength(2);
    expect(downloads[0]).toMatchObject({ range: undefined, status: 200 });
    expect(proxy.seen.slice(before).filter((s) => s.url === artifactUrl)).toEqual([{ method: 'GET', url: artifactUrl, range: `bytes=${half}-`, ifRange: `"${sha}"`, status: 206 }]);

    expect(await fs.readdir(path.join(stateDir, 'models'))).toEqual([`${sha}.onnx`]);
    expect(sha256(await fs.readFile(path.join(stateDir, 'models', `${sha}.onnx`)))).toBe(sha);
    expect(await fs.readdir(path.join(stateDir, 'downloads'))).toEqual([]);
    expect(agent.log.match(/"msg":"installed"/g)).toHaveLength(1);
    expect(await agent.status()).toMatchObject({ health: 'ok', model: { sha256: sha } });
    expect(await device()).toMatchObject({ health: 'ok', running: { versionId: version.id, variantId: variant.id, sha256: sha } });
  });

  it('with the server away, keeps serving /v1/infer and spools telemetry; all of it arrives once the server is back', async () => {
    const { proxy, agent, stateDir, deviceId, device } = await setup('rel-offline');
    const v = await createVersion(sut, 'rel-offline');
    const variant = await insertVariant(sut, v.versionId, (await device()).profile.slug);
    const sha = (variant.manifest as { artifact: { sha256: string } }).artifact.sha256;
    await agent.start();
    await sut.http.put(`/api/devices/${deviceId}/assignment`).send({ modelId: v.modelId, version: v.number }).expect(200);
    await until('running the model', async () => (await device()).running?.sha256 === sha);

    const body = JSON.stringify({ inputs: { input: { dims: [1, 1, 28, 28], data: digitInput() } } });
    const infer = async () => {
      const res = await fetch(`${agent.base}/v1/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { modelVersion: { sha256: string } }).modelVersion.sha256).toBe(sha);
    };
    const count = async () => (await sut.http.get(`/api/models/${v.modelId}/versions/${v.number}/telemetry?window=1h&bucket=1h`).expect(200)).body.totals.count as number;

    const online = 5;
    for (let i = 0; i < online; i++) await infer();
    // nothing is in flight from here on: the next flush has nothing to send until the next inference
    await until('the first telemetry', async () => (await count()) === online);

    await proxy.stop();
    const offline = 12;
    for (let i = 0; i < offline; i++) await infer();
    const spool = path.join(stateDir, 'telemetry.json');
    const spooled = async () => {
      const s = JSON.parse(await fs.readFile(spool, 'utf8').catch(() => '{"buckets":[]}')) as { dropped: number; buckets: { count: number }[] };
      return { dropped: s.dropped ?? 0, count: s.buckets.reduce((n, b) => n + b.count, 0) };
    };
    // a failed flush keeps everything on disk
    await until('the offline telemetry in the spool', async () => (await spooled()).count === offline);
    await sleep(700);
    expect(await spooled()).toEqual({ dropped: 0, count: offline });
    await infer();
    expect(await agent.status()).toMatchObject({ model: { sha256: sha } });
    expect(await count()).toBe(online);

    await proxy.start();
    const total = online + offline + 1;
    await until('the spooled telemetry to arrive', async () => (await count()) === total);
    await sleep(900); // a few more flush periods: nothing is sent twice
    expect(await count()).toBe(total);
    expect(await spooled()).toEqual({ dropped: 0, count: 0 });
  });
});
