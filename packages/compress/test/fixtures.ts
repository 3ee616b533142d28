import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

// shared/ sits beside the repository root; resolve from this file so any clone location works.
const FIXTURES = new URL('../../../../shared/fixtures/', import.meta.url);

export function fixturePath(relative: string): string {
  return fileURLToPath(new URL(relative, FIXTURES));
}

export const MODELS = {
  lenet: fixturePath('models/mnist-lenet5/model.onnx'),
  lenetBn: fixturePath('models/mnist-lenet5-bn/model.onnx'),
  mobilenet: fixturePath('models/person-mobilenetv2/model.onnx'),
} as const;

export const NPZ = {
  mnistCalib: fixturePath('npz/mnist-calib-1k.npz'),
  mnistBnCalib: fixturePath('npz/mnist-bn-calib-1k.npz'),
  naturalEval: fixturePath('npz/natural128-eval-102.npz'),
  naturalCalib: fixturePath('npz/natural128-calib-100.npz'),
} as const;

export function readFixture(file: string): Uint8Array {
  return readFileSync(file);
}

/** The raw MNIST t10k labels (idx1 format: 8-byte header, then one byte per label). */
export function mnistTestLabels(): Uint8Array {
  return gunzipSync(readFileSync(fixturePath('data/mnist/t10k-labels-idx1-ubyte.gz'))).subarray(8);
}

/** The raw MNIST t10k images (idx3 format: 16-byte header, then 28×28 bytes per image). */
export function mnistTestImages(): Uint8Array {
  return gunzipSync(readFileSync(fixturePath('data/mnist/t10k-images-idx3-ubyte.gz'))).subarray(16);
}

/** The 202 natural images as uint8 NCHW [202,3,128,128], with their labels (-1 = unlabeled). */
export function naturalImages(): { pixels: Uint8Array; labels: number[] } {
  const meta = JSON.parse(readFileSync(fixturePath('data/natural-images-128/meta.json'), 'utf8')) as { labels: number[] };
  return { pixels: readFileSync(fixturePath('data/natural-images-128/images.u8')), labels: meta.labels };
}
