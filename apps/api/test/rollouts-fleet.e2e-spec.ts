import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ACTIVE_ROLLOUT_STATUSES, type CreateRolloutRequest, type RolloutDeviceDto, type RolloutDto, type RolloutEventDto, type VariantManifest } from '@edgefleet/contracts';
import type { PrismaClient } from '@edgefleet/db';
import { contentKey, LocalArtifactStorage, SigningKey } from '@edgefleet/platform';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LENET } from './device-fixtures.js';
import {
  type Digits,
  enrollAgent,
  type FleetAgent,
  loadDigits,
  type PlatformSetup,
  preparePlatform,
  type Proc,
  sleep,
  startAgent,
  startApiProcess,
  startTraffic,
  startWorkerProcess,
  type Traffic,
  until,
} from './fleet-processes.js';
import { lenetWithout, nanOnBlackPixelsLenet, scaledLenet } from './rollout-models.js';
import { newApiKey } from '../src/auth/tokens.js';

/**
 * Rollouts end to end with nothing simulated: the built API and worker as processes, real Postgres and Redis, and
 * six real `edgefleet-agent run` processes serving MNIST digits with labels fed back, so gates judge real telemetry,
 * real feedback and real shadow runs.
 */
const AGENTS = 6;
/** 20 % → 60 % → 100 % of six devices: waves of 2, 2 and 2. */
const WAVES = [20, 60, 100];

interface Version {
  id: string;
  number: number;
  sha256: string;
}

describe('rollouts with real agents, API and worker processes', () => {
  let platform: PlatformSetup;
  let db: PrismaClient;
  let dataDir: string;
  let env: Record<string, string>;
  let apiUrl: string;
  let api: Proc;
  let worker: Proc;
  let signingKey: SigningKey;
  let modelId: string;
  let profileId: string;
  let profileSlug: string;
  const agents: FleetAgent[] = [];
  const versions: Record<string, Version> = {};
  let digits: Digits;
  let traffic: Traffic | null = null;

  // The admin API key the test talks to the API process with (inserted into its database in beforeAll).
  const apiKey = newApiKey();
  const auth = { authorization: `Bearer ${apiKey}` };
  const http = async <T = any>(method: string, url: string, body?: unknown, expectStatus?: number): Promise<T> => {
    const res = await fetch(`${apiUrl}/api${url}`, {
      method,
      ...(body === undefined ? { headers: auth } : { headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (expectStatus !== undefined ? res.status !== expectStatus : !res.ok) throw new Error(`${method} ${url}: ${res.status} ${text}${res.status >= 500 ? `\napi: ${api.log.slice(-3000)}` : ''}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  const startApi = async () => {
    api = await startApiProcess(apiUrl, env);
  };
  const startWorker = async () => {
    worker = await startWorkerProcess(env);
  };

  /** Uploads a model file as a new version and gives it a recommended, signed variant for the agents' profile. */
  const addVersion = async (label: string, bytes: Buffer, variantBytes: Buffer = bytes): Promise<Version> => {
    const form = new FormData();
    form.set('file', new Blob([bytes]), `${label}.onnx`);
    const res = await fetch(`${apiUrl}/api/models/${modelId}/versions`, { method: 'POST', headers: auth, body: form });
    if (res.status !== 201) throw new Error(`upload ${label}: ${res.status} ${await res.text()}\napi: ${api.log.slice(-3000)}`);
    const v = (await res.json()) as { id: string; number: number };
    const sha256 = createHash('sha256').update(variantBytes).digest('hex');
    const tmp = path.join(dataDir, `variant-${randomUUID()}`);
    await fs.writeFile(tmp, variantBytes);
    await new LocalArtifactStorage(path.join(dataDir, 'artifacts')).putFile(tmp, contentKey(sha256));
    const org = await db.model.findUniqueOrThrow({ where: { id: modelId }, select: { orgId: true, name: true } });
    const artifact = await db.artifact.create({
      data: { orgId: org.orgId, kind: 'variant', format: 'onnx', storageKey: contentKey(sha256), byteSize: variantBytes.length, sha256 },
    });
    const manifest: VariantManifest = {
      v: 1,
      model: { id: modelId, name: org.name },
      version: { id: v.id, number: v.number },
      profile: profileSlug,
      recipe: 'fp32',
      artifact: { sha256, bytes: variantBytes.length, format: 'onnx' },
      createdAt: new Date().toISOString(),
    };
    await db.variant.create({
      data: {
        versionId: v.id,
        profileId,
        recipeId: 'fp32',
        recipe: { id: 'fp32', precision: 'fp32', steps: [{ name: 'optimize', level: 'basic' }] },
        precision: 'fp32',
        artifactId: artifact.id,
        evaluation: { v: 1, sizeBytes: variantBytes.length },
        reports: [],
        verdict: 'passed',
        verdictReasons: [],
        judgedOn: 'synthetic-agreement',
        onParetoFront: true,
        recommended: true,
        manifest,
        signature: signingKey.sign(manifest),
      },
    });
    return (versions[label] = { id: v.id, number: v.number, sha256 });
  };

  const runningVersions = async () => {
    const devices = await db.device.findMany({ where: { id: { in: agents.map((a) => a.deviceId) } }, select: { id: true, running: true } });
    return new Map(devices.map((d) => [d.id, (d.running as { versionId?: string } | null)?.versionId ?? null]));
  };
  /** The tail of every process's log, for a failure message. */
  const diagnostics = () =>
    [
      `api: ${api.log.slice(-1500)}`,
      `worker: ${worker.log.slice(-1500)}`,
      ...agents.map((a) => `${a.name}: ${a.proc.log.slice(-800)}`),
    ].join('\n');
  const allRun = (v: Version, timeoutMs = 40_000) =>
    until(`every agent on v${v.number}`, async () => [...(await runningVersions()).values()].every((id) => id === v.id), timeoutMs).catch(
      async (err: Error) => {
        const identity = JSON.parse(await fs.readFile(path.join(agents[0]!.stateDir, 'identity.json'), 'utf8')) as {
          deviceId: string;
          secret: string;
        };
        const desired = await (
          await fetch(`${apiUrl}/api/device/desired`, { headers: { authorization: `Bearer ${identity.deviceId}.${identity.secret}` } })
        ).text();
        const status = await (await fetch(`${agents[0]!.base}/v1/status`)).text();
        const files = await fs.readdir(agents[0]!.stateDir, { recursive: true });
        throw new Error(
          `${err.message}\n${diagnostics()}\nstatus of ${agents[0]!.name}: ${status.slice(0, 1500)}\nfiles: ${files.join(' ')}\ndesired of ${agents[0]!.name}: ${desired.slice(0, 1500)}\nrunning: ${JSON.stringify([...(await runningVersions())])}`,
        );
      },
    );

  const rollout = (id: string) => http<RolloutDto>('GET', `/rollouts/${id}`);
  const rolloutDevices = async (id: string) =>
    (await http<{ items: RolloutDeviceDto[] }>('GET', `/rollouts/${id}/devices?limit=200`)).items;
  const rolloutEvents = async (id: string) => (await http<{ items: RolloutEventDto[] }>('GET', `/rollouts/${id}/events?limit=200`)).items;
  const settle = (id: string, statuses: string[], timeoutMs = 60_000) =>
    until(
      `rollout ${id} to be ${statuses.join('|')}`,
      async () => {
        const r = await rollout(id);
        return statuses.includes(r.status) && r;
      },
      timeoutMs,
    ).catch(async (err: Error) => {
      // The rollout's own account goes last: CI prints the tail of a failure, and the logs are the part to lose.
      throw new Error(`${err.message}\nworker: ${worker.log.slice(-3000)}\napi: ${api.log.slice(-2000)}\n${describeRollout(await rollout(id))}`);
    });

  /** Status, reason and every wave's phase with its gates' verdicts, on a few lines. */
  const describeRollout = (r: RolloutDto) =>
    [
      `rollout ${r.id}: ${r.status}${r.reason ? ` (${r.reason})` : ''}`,
      ...r.waves.map(
        (w, i) =>
          `  wave ${i + 1}: ${w.phase}, ${w.devices} devices; ${
            w.verdict ? w.verdict.gates.map((g) => `${g.gate} ${g.verdict}: ${g.reason}`).join('; ') : 'no verdict yet'
          }`,
      ),
    ].join('\n');

  const canary = (version: Version, gates: CreateRolloutRequest['gates'], bakeTimeS = 2): CreateRolloutRequest => ({
    modelId,
    version: version.number,
    target: { group: 'line' },
    strategy: { kind: 'canary', waves: WAVES, bakeTimeS },
    gates: { errorRate: null, latencyP95: null, inconclusiveTimeoutS: 120, ...gates },
    createdBy: 'e2e',
  });

  /** A bad version is stopped in its first wave and rolled back; no device outside that wave ever had it. */
  const expectStoppedAtFirstWave = async (bad: Version, request: CreateRolloutRequest, reason: RegExp) => {
    const before = await runningVersions();
    const created = await http<RolloutDto>('POST', '/rollouts', request, 201);
    const r = await settle(created.id, ['rolled_back', 'completed', 'paused']);
    expect(r.status, describeRollout(r)).toBe('rolled_back');
    expect(r.reason).toMatch(reason);
    expect(r.waves[0]!.phase).toBe('failed');
    expect(r.waves.slice(1).every((w) => w.phase === 'pending')).toBe(true);

    const devices = await rolloutDevices(created.id);
    const firstWave = devices.filter((d) => d.wave === 0).map((d) => d.deviceId);
    expect(firstWave).toHaveLength(2);
    for (const d of devices.filter((d) => d.wave !== 0)) expect(d.state).toBe('pending');
    // History: only first-wave devices were ever switched (or shadowed) to the bad version.
    const touched = new Set((await rolloutEvents(created.id)).filter((e) => e.kind === 'device' && e.deviceId).map((e) => e.deviceId));
    for (const id of touched) expect(firstWave).toContain(id);
    // …and on disk: agents outside the first wave never downloaded it.
    for (const a of agents.filter((a) => !firstWave.includes(a.deviceId))) {
      const files = await fs.readdir(path.join(a.stateDir, 'models')).catch(() => [] as string[]);
      expect(files).not.toContain(`${bad.sha256}.onnx`);
    }
    // Every device is back on (still on) what it ran before.
    await until('every agent back on its previous version', async () => {
      const now = await runningVersions();
      return [...before].every(([id, v]) => now.get(id) === v);
    });
    return { rollout: r, firstWave };
  };

  beforeAll(async () => {
    // Accounts have their own suites (auth*.e2e-spec.ts); this one calls the API as the open test apps do.
    platform = await preparePlatform('rollouts-fleet', apiKey, { AUTO_PIPELINES: 'false', AUTH_REQUIRED: 'false' });
    ({ db, dataDir, env, apiUrl } = platform);
    signingKey = await SigningKey.load({ pem: platform.pem, file: path.join(dataDir, 'unused.pem') });
    await startApi();
    await startWorker();

    digits = await loadDigits(600);

    modelId = (await http<{ id: string }>('POST', '/models', { name: 'digits', task: 'image-classification' }, 201)).id;
    const { token } = await http<{ token: string }>('POST', '/enrollment-tokens', { name: 'line', group: 'line' }, 201);
    const enrolled = await Promise.all(
      Array.from({ length: AGENTS }, async (_, i) => {
        const name = `cam-${i}`;
        const stateDir = path.join(dataDir, name);
        return { name, stateDir, deviceId: await enrollAgent(apiUrl, token, stateDir, name) };
      }),
    );
    const profile = (await db.device.findUniqueOrThrow({ where: { id: enrolled[0]!.deviceId }, include: { profile: true } })).profile!;
    profileId = profile.id;
    profileSlug = profile.slug;
    agents.push(...(await Promise.all(enrolled.map(startAgent))));

    const lenet = await fs.readFile(LENET);
    await addVersion('v1', lenet);
    await http('POST', '/assignments', { modelId, version: versions.v1!.number, target: { group: 'line' } });
    await allRun(versions.v1!);
    traffic = startTraffic(agents, digits);
    // A baseline for the gates: the replaced version's own requests and labels.
    await until('baseline feedback on v1', async () => (await db.feedback.count({ where: { versionId: versions.v1!.id } })) >= 200);
  }, 120_000);

  // A test that fails mid-rollout must not leave its rollout holding the devices: every later one would get a 409.
  afterEach(async () => {
    if (!api) return;
    const { items } = await http<{ items: RolloutDto[] }>('GET', `/rollouts?modelId=${modelId}&limit=50`);
    const active = items.filter((r) => ACTIVE_ROLLOUT_STATUSES.includes(r.status));
    if (active.length === 0) return;
    for (const r of active.filter((r) => r.status !== 'rolling_back')) {
      await http('POST', `/rollouts/${r.id}/rollback`, { actor: 'e2e', reason: 'cleanup after a failed test' });
    }
    for (const r of active) await settle(r.id, ['rolled_back']);
  }, 90_000);

  afterAll(async () => {
    await traffic?.stop();
    await Promise.all(agents.map((a) => a.proc.stop()));
    await worker?.stop();
    await api?.stop();
    await platform?.cleanup();
  });

  it('promotes a good version through three canary waves to every device, and a manual rollback returns the fleet', async () => {
    const good = await addVersion('v2', await scaledLenet());
    // An accuracy gate this version must pass by chance alone almost never: failing it takes ten misses in 100 labels
    // where LeNet's 98.4 % expects 1.6 (p ≈ 1e-5 a wave). Each wave waits for its 100 labels, so on a loaded machine
    // the three waves take a while; a stall past the 120 s inconclusive timeout pauses the rollout, which says why.
    const created = await http<RolloutDto>(
      'POST',
      '/rollouts',
      canary(good, { errorRate: { maxIncrease: 0.02, minRequests: 20 }, accuracy: { maxDrop: 0.08, minLabelled: 100 } }, 1),
      201,
    );
    const r = await settle(created.id, ['completed', 'rolled_back', 'paused'], 200_000);
    expect(r.status, describeRollout(r)).toBe('completed');
    expect(r.waves.map((w) => w.phase)).toEqual(['passed', 'passed', 'passed']);
    expect(r.waves.map((w) => w.devices)).toEqual([2, 2, 2]);
    for (const w of r.waves) for (const g of w.verdict!.gates) expect(g.verdict, g.reason).toBe('pass');
    await allRun(good);
    expect(traffic!.failed, traffic!.errors.join('\n')).toBe(0);

    const back = await http<RolloutDto>(
      'POST',
      `/rollouts/${created.id}/rollback`,
      { actor: 'ops@example.com', reason: 'customer complaint' },
      200,
    );
    expect(['rolling_back', 'rolled_back']).toContain(back.status);
    await allRun(versions.v1!);
    const done = await rollout(created.id);
    expect(done).toMatchObject({ status: 'rolled_back', reason: expect.stringContaining('customer complaint') });
    const events = await rolloutEvents(created.id);
    expect(events.some((e) => e.actor === 'ops@example.com' && /roll/.test(e.kind))).toBe(true);
    expect(traffic!.failed, traffic!.errors.join('\n')).toBe(0);
  }, 300_000);

  it('stops a version that answers NaN in the field at its first wave and rolls it back', async () => {
    const nan = await addVersion('nan', await nanOnBlackPixelsLenet());
    await expectStoppedAtFirstWave(nan, canary(nan, { health: { maxFailures: 0 } }, 5), /health|error/i);
  }, 120_000);

  it('stops a version that fails to load on the devices at its first wave', async () => {
    const lenet = await fs.readFile(LENET);
    // A signed, hash-correct variant whose bytes onnxruntime cannot load (a truncated export).
    const broken = await addVersion('broken', await scaledLenet(), lenet.subarray(0, 20_000));
    await expectStoppedAtFirstWave(broken, canary(broken, { health: { maxFailures: 0 } }, 5), /health/i);
  }, 120_000);

  it('stops a version whose accuracy on feedback labels drops by ten points at its first wave', async () => {
    // Digit 0 is ~10 % of MNIST: never predicting it costs about ten points of accuracy. 300 labels keep the
    // sampling error (±2 points) well inside the margin to the 5-point gate.
    const worse = await addVersion('no-zeros', await lenetWithout([0]));
    const { rollout: r } = await expectStoppedAtFirstWave(
      worse,
      canary(worse, { accuracy: { maxDrop: 0.05, minLabelled: 300 } }, 2),
      /accuracy/i,
    );
    const gate = r.waves[0]!.verdict!.gates.find((g) => g.gate === 'accuracy')!;
    expect(gate.verdict).toBe('fail');
    expect(gate.baseline! - gate.observed!).toBeGreaterThan(0.05);
  }, 120_000);

  it('stops a version whose shadow agreement is about 60 % before any device switches to it', async () => {
    // Never predicting 0–3 changes the top-1 of ~40 % of digits.
    const disagreeing = await addVersion('no-0-3', await lenetWithout([0, 1, 2, 3]));
    const req = canary(disagreeing, { shadow: { sampleRate: 1, minSamples: 60, minAgreement: 0.9 } });
    const { rollout: r, firstWave } = await expectStoppedAtFirstWave(disagreeing, req, /shadow|agreement/i);
    const gate = r.waves[0]!.verdict!.gates.find((g) => g.gate === 'shadow')!;
    expect(gate.verdict).toBe('fail');
    expect(gate.observed!).toBeGreaterThan(0.45);
    expect(gate.observed!).toBeLessThan(0.75);
    // Shadowed, never switched: the first wave's devices ran the current version all along.
    const switched = (await rolloutEvents(r.id)).filter((e) => e.kind === 'device' && e.to === 'assigned');
    expect(switched).toEqual([]);
    expect(firstWave).toHaveLength(2);
  }, 120_000);

  it('continues a rollout from where it was after the API and the worker restart mid-wave', async () => {
    const next = versions.v2!;
    const created = await http<RolloutDto>('POST', '/rollouts', canary(next, {}, 3), 201);
    await until('wave 1 baking', async () => (await rollout(created.id)).waves[0]!.phase === 'baking' && true);
    await worker.stop('SIGKILL');
    await api.stop('SIGKILL');
    await sleep(500);
    await startApi();
    await startWorker();
    const r = await settle(created.id, ['completed', 'rolled_back', 'paused'], 90_000);
    expect(r.status, describeRollout(r)).toBe('completed');
    await allRun(next);
    const kinds = (await rolloutEvents(created.id)).map((e) => e.kind);
    // Each wave started and passed exactly once: nothing was redone or skipped.
    expect(kinds.filter((k) => k === 'wave.started')).toHaveLength(3);
    expect(kinds.filter((k) => k === 'wave.passed')).toHaveLength(3);
  }, 150_000);
});
