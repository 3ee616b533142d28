import { open } from 'node:fs/promises';
import path from 'node:path';
import { CompressError, describeCause } from '../errors.js';
import { cloneModelProto } from './model-proto.js';
import { onnx } from './onnx.js';
import { isExternalTensor, tensorPayloadBytes } from './tensors.js';

/** Every tensor in the model that may carry data: initializers and tensor attributes, subgraphs included. */
function* allTensors(model: onnx.IModelProto): Generator<onnx.ITensorProto> {
  if (model.graph) yield* graphTensors(model.graph);
}

function* graphTensors(graph: onnx.IGraphProto): Generator<onnx.ITensorProto> {
  yield* graph.initializer ?? [];
  for (const sparse of graph.sparseInitializer ?? []) {
    if (sparse.values) yield sparse.values;
    if (sparse.indices) yield sparse.indices;
  }
  for (const node of graph.node ?? []) {
    for (const attribute of node.attribute ?? []) {
      if (attribute.t) yield attribute.t;
      yield* attribute.tensors ?? [];
      if (attribute.g) yield* graphTensors(attribute.g);
      for (const sub of attribute.graphs ?? []) yield* graphTensors(sub);
    }
  }
}

export function hasExternalData(model: onnx.IModelProto): boolean {
  for (const tensor of allTensors(model)) if (isExternalTensor(tensor)) return true;
  return false;
}

export function externalDataBytes(model: onnx.IModelProto): number {
  let total = 0;
  for (const tensor of allTensors(model)) if (isExternalTensor(tensor)) total += tensorPayloadBytes(tensor);
  return total;
}

interface ExternalRef {
  location: string;
  offset: number;
  length: number | undefined;
}

function externalRef(tensor: onnx.ITensorProto): ExternalRef {
  const entries = new Map((tensor.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const location = entries.get('location');
  if (!location) throw invalid(`tensor "${tensor.name}" is external but names no location`);
  const offset = entries.has('offset') ? Number(entries.get('offset')) : 0;
  const length = entries.has('length') ? Number(entries.get('length')) : undefined;
  if (!Number.isSafeInteger(offset) || offset < 0 || (length !== undefined && (!Number.isSafeInteger(length) || length < 0))) {
    throw invalid(`tensor "${tensor.name}" has a malformed external offset/length`);
  }
  return { location, offset, length };
}

/**
 * A copy of the model with every external tensor's bytes read into raw_data, so it can be handed
 * to ORT as one buffer. Locations must stay inside `baseDir`, like ORT itself demands.
 */
export async function inlineExternalData(model: onnx.IModelProto, baseDir: string): Promise<onnx.ModelProto> {
  const copy = cloneModelProto(model);
  const root = path.resolve(baseDir);
  for (const tensor of allTensors(copy)) {
    if (!isExternalTensor(tensor)) continue;
    const ref = externalRef(tensor);
    const file = path.resolve(root, ref.location);
    const relative = path.relative(root, file);
    if (path.isAbsolute(ref.location) || relative.startsWith('..') || path.isAbsolute(relative)) {
      throw invalid(`tensor "${tensor.name}": external location "${ref.location}" escapes the model directory`);
    }
    const expected = tensorPayloadBytes(tensor);
    const length = ref.length ?? expected;
    if (tensor.dataType !== onnx.TensorProto.DataType.STRING && length !== expected) {
      throw invalid(`tensor "${tensor.name}": external length ${length} bytes, its shape needs ${expected}`);
    }
    tensor.rawData = await readRange(file, ref.offset, length, tensor.name ?? '');
    tensor.dataLocation = onnx.TensorProto.DataLocation.DEFAULT;
    tensor.externalData = [];
  }
  return copy;
}

async function readRange(file: string, offset: number, length: number, tensorName: string): Promise<Uint8Array> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    throw invalid(`tensor "${tensorName}": cannot open external data file (${describeCause(err)})`, err);
  }
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, offset);
    if (bytesRead !== length) {
      throw invalid(`tensor "${tensorName}": external data file ends before offset ${offset} + ${length} bytes`);
    }
    return buffer;
  } finally {
    await handle.close();
  }
}

function invalid(detail: string, cause?: unknown): CompressError {
  return new CompressError('model/external_data_invalid', 'load', detail, cause === undefined ? undefined : { cause });
}
