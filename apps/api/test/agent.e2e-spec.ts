import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import fs from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ModelSession } from '@edgefleet/agent';
import { canonicalJson } from '@edgefleet/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken, createVersion, insertVariant, LENET } from './device-fixtures.js';
import { createTestApp, fixture, type TestApp } from './test-app.js';

const AGENT_CLI = path.resolve(import.meta.dirname, '../../../packages/agent/dist/cli/main.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const digitInput = () => Array.from({ length: 784 }, (_, i) => ((i * 7) % 28) / 28);

/**
 * The real agent against the real API: `edgefleet-agent enroll` and `edgefleet-agent run` are separate node
 * processes (the built CLI); the API runs in-process on a random port with real Postgres and Redis.
 */
describe('edge agent ↔ API (real processes)', () => {
  let sut: TestApp;
  let url: string;
  let stateDir: string;
  let agent: ChildProcess | null = null;
  let agentLog = '';
  let deviceId: string;
  let base: string;
  let v1: { modelId: string; versionId: string; number: number };
  let sha1: string;

  beforeAll(async () => {
    sut = await createTestApp({ AUTO_PIPELINES: 'false' });
    await sut.app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(sut.app.getHttpServer().address() as AddressInfo).port}`;
    stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'edgefleet-agent-e2e-'));
  });
  afterAll(async () => {
    if (agent && agent.exitCode === null) {
      agent.kill('SIGTERM');
      await new Promise((r) => agent!.once('exit', r));
    }
    await sut?.close();
    await fs.rm(stateDir, { recursive: true, force: true });
  });

  /** Spawns `edgefleet-agent run` and waits for its local API; returns the `serving` log line. */
  const startAgent = async () => {
    agentLog = '';
    agent = spawn(process.execPath, [AGENT_CLI, 'run', '--state', stateDir, '--port', '0', '--wait', '2', '--heartbeat-ms', '500', '--flush-ms', '500'], { stdio: ['ignore', 'pipe', 'pipe'] });
    agent.stdout!.on('data', (c: Buffer) => (agentLog += c.toString()));
    agent.stderr!.on('data', (c: Buffer) => (agentLog += c.toString()));
    const line = await until('the agent to listen', async () => /\{[^\n]*"msg":"serving"[^\n]*\}/.exec(agentLog)?.[0]);
    const serving = JSON.parse(line) as { port: number; model: string | null };
    base = `http://127.0.0.1:${serving.port}`;
    return serving;
  };
  const killAgent = async (signal: NodeJS.Signals) => {
    const exited = new Promise((r) => agent!.once('exit', r));
    agent!.kill(signal);
    await exited;
  };

  const device = async () => (await sut.http.get(`/api/devices/${deviceId}`).expect(200)).body;
  const assign = (version: number) => sut.http.put(`/api/devices/${deviceId}/assignment`).send({ modelId: v1.modelId, version }).expect(200);
  const infer = async () => {
    const res = await fetch(`${base}/v1/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: { input: { dims: [1, 1, 28, 28], data: digitInput() } } }) });
    expect(res.status).toBe(200);
    return (await res.json()) as { predictionId: string; modelVersion: { versionId: string; sha256: string }; outputs: Record<string, { dims: number[]; data: number[] }> };
  };
  const agentStatus = async () => (await (await fetch(`${base}/v1/status`)).json()) as { health: string; error: { code: string } | null; unauthorized: string | null; model: { sha256: string } | null };

  it('enrolls with a real `edgefleet-agent enroll` process: identity.json 0600, facts of this machine, key pinned', async () => {
    const { token } = await createToken(sut, { group: 'agents' });
    const { stdout } = await promisify(execFile)(process.execPath, [AGENT_CLI, 'enroll', '--server', url, '--token', token, '--state', stateDir, '--name', 'bench-1']);
    deviceId = JSON.parse(stdout.trim().split('\n').at(-1)!).deviceId;
    const identityFile = path.join(stateDir, 'identity.json');
    expect((await fs.stat(identityFile)).mode & 0o777).toBe(0o600);
    const identity = JSON.parse(await fs.readFile(identityFile, 'utf8'));
    const key = (await sut.http.get('/api/keys/artifact-signing').expect(200)).body;
    expect(identity).toMatchObject({ v: 1, server: url, deviceId, platformKey: { fingerprint: key.fingerprint } });
    const d = await device();
    expect(d).toMatchObject({ name: 'bench-1', group: 'agents', facts: { arch: os.arch(), cpuCores: os.cpus().length, ramBytes: os.totalmem(), onnxruntimeVersion: '1.30.0', agentVersion: '0.1.0' } });
    expect(d.profile).not.toBeNull();
  });

  it('runs as a real `edgefleet-agent run` process: installs the assigned variant, reports running, serves /v1/infer', async () => {
    await startAgent();
    expect((await fetch(`${base}/v1/infer`, { method: 'POST', body: JSON.stringify({ inputs: {} }) })).status).toBe(503);

    v1 = await createVersion(sut, 'agent-e2e');
    const profile = (await device()).profile.slug;
    const variant = await insertVariant(sut, v1.versionId, profile);
    sha1 = (variant.manifest as { artifact: { sha256: string } }).artifact.sha256;
    await assign(1);

    const d = await until('running v1', async () => {
      const d = await device();
      return d.running?.sha256 === sha1 && d;
    });
    expect(d).toMatchObject({ health: 'ok', running: { versionId: v1.versionId, variantId: variant.id, sha256: sha1 }, status: 'online' });
    expect(await fs.readdir(path.join(stateDir, 'models'))).toEqual([`${sha1}.onnx`]);
    expect(JSON.parse(await fs.readFile(path.join(stateDir, 'active.json'), 'utf8'))).toMatchObject({ current: { sha256: sha1 }, previous: null });

    const out = await infer();
    expect(out.predictionId).toEqual(expect.any(String));
    expect(out.modelVersion).toMatchObject({ versionId: v1.versionId, sha256: sha1 });
    expect(out.outputs.output!.dims).toEqual([1, 10]);
    expect(out.outputs.output!.data).toHaveLength(10);
    expect(out.outputs.output!.data.every(Number.isFinite)).toBe(true);
  });

  it('sends inference telemetry and feedback that reach the version telemetry (count, accuracy)', async () => {
    const out = await infer();
    const logits = out.outputs.output!.data;
    const predicted = logits.indexOf(Math.max(...logits));
    const fb = await fetch(`${base}/v1/feedback`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ predictionId: out.predictionId, label: predicted }) });
    expect(fb.status).toBe(202);
    const t = await until('feedback and telemetry to arrive', async () => {
      const t = (await sut.http.get(`/api/models/${v1.modelId}/versions/1/telemetry?window=1h&bucket=1h`).expect(200)).body;
      return t.totals.labelled === 1 && t.totals.count >= 2 && t;
    });
    expect(t.totals).toMatchObject({ labelled: 1, accuracy: 1, errors: 0 });
  });

  it('refuses a manifest signed with another key and keeps serving the old model', async () => {
    const second = (await sut.http.post(`/api/models/${v1.modelId}/versions`).attach('file', await fs.readFile(fixture('models/mnist-lenet5-bn/model.onnx')), 'model.onnx').expect(201)).body;
    const variant = await insertVariant(sut, second.id, (await device()).profile.slug);
    const { privateKey } = generateKeyPairSync('ed25519');
    await sut.db.variant.update({ where: { id: variant.id }, data: { signature: sign(null, Buffer.from(canonicalJson(variant.manifest)), privateKey).toString('base64') } });
    await assign(second.number);
    const status = await until('the agent to refuse the forged manifest', async () => {
      const s = await agentStatus();
      return s.error?.code === 'manifest/bad_signature' && s;
    });
    expect(status).toMatchObject({ health: 'degraded', model: { sha256: sha1 } });
    await until('heartbeat health degraded', async () => (await device()).health === 'degraded');
    const d = await until('the error on the device', async () => {
      const d = await device();
      return d.lastError?.code === 'manifest/bad_signature' && d;
    });
    expect(d.lastError).toMatchObject({ code: 'manifest/bad_signature', message: expect.any(String), at: expect.any(String) });
    expect(d.running.sha256).toBe(sha1);
    expect((await infer()).modelVersion.sha256).toBe(sha1);
  });

  it('refuses a tampered artifact (sha256 mismatch), deletes the download and keeps serving the old model', async () => {
    const bn = await fs.readFile(fixture('models/mnist-lenet5-bn/model.onnx'));
    const third = (await sut.http.post(`/api/models/${v1.modelId}/versions`).attach('file', bn, 'model.onnx').expect(201)).body;
    const variant = await insertVariant(sut, third.id, (await device()).profile.slug);
    const sha = (variant.manifest as { artifact: { sha256: string } }).artifact.sha256;
    // flip one byte of the stored blob: same size, signed manifest intact, bytes no longer match
    const blob = path.join(sut.dataDir, 'artifacts', 'sha256', sha.slice(0, 2), sha);
    const bytes = await fs.readFile(blob);
    bytes[Math.floor(bytes.length / 2)] ^= 0xff;
    await fs.writeFile(blob, bytes);
    await assign(third.number);
    const status = await until('the agent to refuse the tampered artifact', async () => {
      const s = await agentStatus();
      return s.error?.code === 'download/sha256_mismatch' && s;
    });
    expect(status).toMatchObject({ health: 'degraded', model: { sha256: sha1 } });
    expect(await fs.readdir(path.join(stateDir, 'downloads'))).toEqual([]);
    expect(await fs.readdir(path.join(stateDir, 'models'))).toEqual([`${sha1}.onnx`]);
    expect((await infer()).modelVersion.sha256).toBe(sha1);
  });

  it('after a crash, restarts serving the installed model from disk while the server is unreachable', async () => {
    await killAgent('SIGKILL');
    const identityFile = path.join(stateDir, 'identity.json');
    const identity = await fs.readFile(identityFile, 'utf8');
    // point the agent at a port nothing listens on
    await fs.writeFile(identityFile, identity.replace(url, 'http://127.0.0.1:9'), { mode: 0o600 });
    try {
      expect((await startAgent()).model).toBe(sha1);
      expect((await infer()).modelVersion.sha256).toBe(sha1);
      await sleep(1_000);
      expect((await agentStatus()).model?.sha256).toBe(sha1);
      await killAgent('SIGTERM');
    } finally {
      await fs.writeFile(identityFile, identity, { mode: 0o600 });
    }
    expect((await startAgent()).model).toBe(sha1);
    await until('running again', async () => (await device()).running?.sha256 === sha1);
  });

  it('measures local inference latency: HTTP /v1/infer vs ORT directly (mnist-lenet5)', async () => {
    const N = 200;
    const body = JSON.stringify({ inputs: { input: { dims: [1, 1, 28, 28], data: digitInput() } } });
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const http: number[] = [];
    for (let i = 0; i < N; i++) {
      const t = performance.now();
      await (await fetch(`${base}/v1/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).json();
      http.push(performance.now() - t);
    }
    const session = await ModelSession.create(LENET, { threads: 1 });
    const direct: number[] = [];
    try {
      const feeds = { input: { dims: [1, 1, 28, 28], data: Float32Array.from(digitInput()) } };
      for (let i = 0; i < N; i++) {
        const t = performance.now();
        await session.run(feeds);
        direct.push(performance.now() - t);
      }
    } finally {
      await session.dispose();
    }
    console.log(`mnist-lenet5, ${N} runs, median: HTTP /v1/infer ${median(http).toFixed(3)} ms, ORT direct ${median(direct).toFixed(3)} ms`);
    expect(median(http)).toBeGreaterThan(0);
  });

  it('revoked device: the agent gets 401 device/revoked, reports it on /v1/status and keeps serving', async () => {
    await sut.http.post(`/api/devices/${deviceId}/revoke`).expect(200);
    const status = await until('the agent to notice the revocation', async () => {
      const s = await agentStatus();
      return s.unauthorized === 'device/revoked' && s;
    });
    expect(status).toMatchObject({ health: 'failing', error: { code: 'device/revoked' }, model: { sha256: sha1 } });
    expect((await infer()).modelVersion.sha256).toBe(sha1);
    expect(agentLog).toContain('"msg":"unauthorized","code":"device/revoked"');
    expect((await device()).status).toBe('revoked');
  });

  it('simulate --count 20: twenty agents in one process enroll, follow a group assignment and report running', async () => {
    const N = 20;
    const { token } = await createToken(sut, { group: 'sim' });
    const simDir = await fs.mkdtemp(path.join(os.tmpdir(), 'edgefleet-sim-e2e-'));
    let log = '';
    const sim = spawn(process.execPath, [AGENT_CLI, 'simulate', '--count', String(N), '--server', url, '--token', token, '--state', simDir, '--wait', '2', '--heartbeat-ms', '500', '--flush-ms', '1000'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    sim.stdout!.on('data', (c: Buffer) => (log += c.toString()));
    sim.stderr!.on('data', (c: Buffer) => (log += c.toString()));
    try {
      await until('the simulated agents to start', async () => log.includes('"msg":"simulating"'), 30_000);
      const devices = async () => (await sut.http.get('/api/devices?group=sim&limit=100').expect(200)).body.items as { name: string; profile: { slug: string }; running: { sha256: string } | null; health: string }[];
      expect((await devices()).length).toBe(N);
      const model = await createVersion(sut, 'sim-e2e');
      const variant = await insertVariant(sut, model.versionId, (await devices())[0]!.profile.slug);
      const sha = (variant.manifest as { artifact: { sha256: string } }).artifact.sha256;
      const t0 = performance.now();
      expect((await sut.http.post('/api/assignments').send({ modelId: model.modelId, version: model.number, target: { group: 'sim' } }).expect(200)).body.assigned).toBe(N);
      const all = await until(`all ${N} simulated devices to run the new version`, async () => {
        const ds = await devices();
        return ds.every((d) => d.running?.sha256 === sha && d.health === 'ok') && ds;
      }, 30_000);
      console.log(`simulate: ${N} agents running the new version ${(performance.now() - t0).toFixed(0)} ms after the assignment`);
      expect(new Set(all.map((d) => d.name)).size).toBe(N);
      // one identity per agent, no HTTP port without --serve
      expect((await fs.readdir(simDir)).filter((f) => f.startsWith('agent-'))).toHaveLength(N);
      expect(log.match(/"msg":"serving","agent":\d+,"port":0,/g)).toHaveLength(N);
    } finally {
      const exited = new Promise((r) => sim.once('exit', r));
      sim.kill('SIGTERM');
      await exited;
      await fs.rm(simDir, { recursive: true, force: true });
    }
    expect(sim.exitCode).toBe(0);
  });
});
