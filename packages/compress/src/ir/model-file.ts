import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describeCause, CompressError } from '../errors.js';
import { inlineExternalData, hasExternalData } from './external-data.js';
import { encodeModelProto, loadModelProto } from './model-proto.js';
import type { onnx } from './onnx.js';

/** Reads a model file, pulling external-data tensors (files next to the model) into the proto. */
export async function readModelFile(file: string): Promise<onnx.ModelProto> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(file);
  } catch (err) {
    throw new CompressError('io/read_failed', 'load', `cannot read ${file}: ${describeCause(err)}`, { cause: err });
  }
  const model = loadModelProto(bytes);
  return hasExternalData(model) ? inlineExternalData(model, path.dirname(file)) : model;
}

/** Accepts what the public API accepts (bytes, a path, or a decoded proto) and returns a proto. */
export async function toModelProto(source: Uint8Array | string | onnx.IModelProto): Promise<onnx.ModelProto> {
  if (typeof source === 'string') return readModelFile(source);
  if (source instanceof Uint8Array) return loadModelProto(source);
  return loadModelProto(encodeModelProto(source));
}

/**
 * Writes bytes next to the target under a temporary name, then renames: a reader (or a crash)
 * never sees half a file.
 */
export async function writeFileAtomic(file: string, bytes: Uint8Array): Promise<void> {
  const dir = path.dirname(path.resolve(file));
  await fs.mkdir(dir, { recursive: true });
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await fs.writeFile(temp, bytes);
    await fs.rename(temp, file);
  } catch (err) {
    await fs.rm(temp, { force: true });
    throw err;
  }
}

export async function writeModelFile(file: string, model: onnx.IModelProto): Promise<number> {
  const bytes = encodeModelProto(model);
  await writeFileAtomic(file, bytes);
  return bytes.length;
}
