import fs from 'node:fs/promises';
import type { DeviceFacts, VariantManifest } from '@edgefleet/contracts';
import type { SigningKey } from '@edgefleet/platform';
import { SIGNING_KEY } from '../src/signing/signing.module.js';
import { fixture, type TestApp } from './test-app.js';

export const LENET = fixture('models/mnist-lenet5/model.onnx');
const MiB = 1024 * 1024;

export const factsFor = (over: Partial<DeviceFacts> = {}): DeviceFacts => ({
  v: 1,
  arch: 'aarch64',
  cpuModel: 'Cortex-A72',
  cpuCores: 4,
  ramBytes: 4096 * MiB,
  accelerators: [],
  os: 'Linux 6.1',
  onnxruntimeVersion: '1.22.0',
  agentVersion: '0.1.0',
  ...over,
});

export async function createToken(sut: TestApp, body: object = {}): Promise<{ id: string; token: string }> {
  const res = await sut.http.post('/api/enrollment-tokens').send({ name: 'line-1', ...body }).expect(201);
  return res.body;
}

export interface Enrolled {
  deviceId: string;
  secret: string;
  auth: string;
}

export async function enroll(sut: TestApp, token: string, facts: Partial<DeviceFacts> = {}, name?: string): Promise<Enrolled> {
  const res = await sut.http.post('/api/device/enroll').send({ token, facts: factsFor(facts), ...(name ? { name } : {}) }).expect(201);
  return { deviceId: res.body.deviceId, secret: res.body.secret, auth: `Bearer ${res.body.deviceId}.${res.body.secret}` };
}

/** A model with one uploaded version (lenet); pipelines are off in these tests, so no variant appears by itself. */
export async function createVersion(sut: TestApp, name = 'lenet'): Promise<{ modelId: string; versionId: string; number: number }> {
  const modelId = (await sut.http.post('/api/models').send({ name, task: 'image-classification' }).expect(201)).body.id;
  const v = (await sut.http.post(`/api/models/${modelId}/versions`).attach('file', await fs.readFile(LENET), 'model.onnx').expect(201)).body;
  return { modelId, versionId: v.id, number: v.number };
}

/**
 * Inserts a variant row as the worker would, reusing the version's blob, with a manifest signed by the app's
 * own key (the worker signs with the same one).
 */
export async function insertVariant(sut: TestApp, versionId: string, profileSlug: string, opts: { recommended?: boolean; recipeId?: string } = {}) {
  const version = await sut.db.modelVersion.findUniqueOrThrow({ where: { id: versionId }, include: { artifact: true, model: true } });
  const profile = await sut.db.hardwareProfile.findFirstOrThrow({ where: { slug: profileSlug } });
  const { storageKey, byteSize, sha256, orgId } = version.artifact;
  const recipeId = opts.recipeId ?? 'int8-dyn';
  const artifact = await sut.db.artifact.create({ data: { orgId, kind: 'variant', format: 'onnx', storageKey, byteSize, sha256 } });
  const manifest: VariantManifest = {
    v: 1,
    model: { id: version.model.id, name: version.model.name },
    version: { id: version.id, number: version.number },
    profile: profile.slug,
    recipe: recipeId,
    artifact: { sha256, bytes: Number(byteSize), format: 'onnx' },
    createdAt: new Date().toISOString(),
  };
  const key = sut.app.get<SigningKey>(SIGNING_KEY);
  return sut.db.variant.create({
    data: {
      versionId,
      profileId: profile.id,
      recipeId,
      recipe: { id: recipeId, precision: 'int8', steps: [{ name: 'int8-dynamic' }] },
      precision: 'int8',
      artifactId: artifact.id,
      evaluation: { v: 1, sizeBytes: Number(byteSize) },
      reports: [],
      verdict: 'passed',
      verdictReasons: [],
      judgedOn: 'synthetic-agreement',
      onParetoFront: true,
      recommended: opts.recommended ?? true,
      manifest,
      signature: key.sign(manifest),
    },
  });
}

/** Collects a binary response body as a Buffer. */
export const binary = (res: any, cb: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
};
